package snapshot

import "fmt"

// SchemaVersion is the version of orgiam's own stored records (manifest.json,
// run.json, account.json's orgiam fields, error.json), written in each as
// "schemaVersion". AWS API shapes inside them are stored as AWS returns them
// and are not versioned here.
//
//   - 1 (no schemaVersion field): account.json's orgiam fields in PascalCase
//     (Partition, CollectRoleArn, Aliases, Summary, PasswordPolicy,
//     CollectedAt, Scan{Counts, APICalls, DurationMs, Warnings}); the others
//     already camelCase.
//   - 2: every orgiam record in camelCase, as most of them already were.
//
// Readers accept version 1: its only difference is the casing of keys, and
// the fields that changed are tagged case:ignore (ReadJSON's decoder matches
// member names exactly otherwise), so the same struct reads both; a test
// reads a stored version 1 file. A record from a
// newer orgiam is refused rather than half read.
const SchemaVersion = 2

// checkSchema says what is wrong with a record's version, read from what.
func checkSchema(what string, v int) error {
	if v > SchemaVersion {
		return fmt.Errorf("%s: schemaVersion %d is newer than this orgiam reads (%d): read the run with a newer orgiam", what, v, SchemaVersion)
	}
	return nil
}
