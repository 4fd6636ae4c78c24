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
//   - 3: orgiam's additions to Organizations' shapes in camelCase wherever
//     they are stored (Account orgId, parentId, ouPath, management,
//     skipReason; OU type, parentId, path; Organization listRoleArn);
//     organizations/<org-id>/organization.json has a schemaVersion, and
//     that folder's lists (accounts.json, ous.json, policies.json,
//     policy-chains.json, delegated-administrators.json) are
//     {"schemaVersion": N, "items": [...]} (OrgList) instead of bare
//     arrays; OrgPolicy targets and DelegatedAdministrator
//     servicePrincipals, orgiam's additions, in camelCase. The run's own
//     accounts.json stays a bare array: it is the Step Functions
//     Distributed Map's item list, whose JSON reader takes an array; the
//     manifest's version dates it.
//   - 4: account.json holds the account-level settings of their own
//     collectors, securityContact and serverCertificates; runs of versions
//     1-3 kept them in iam/security-contact.json and
//     iam/server-certificates.json, which the reports read when account.json
//     has neither (internal/report/testdata/store-before-account-settings).
//     A run's report set is complete only with reports/reports.json
//     (report.CompletionSince); runs of versions 1-3 have none, and their
//     reports are read as before.
//
// Readers accept versions 1 to 4: the fields whose keys changed case are
// tagged case:ignore (ReadJSON's decoder matches member names exactly
// otherwise), so the same struct reads every version, and ReadOrgList takes
// a bare array as the previous form of a list; tests read stored files of
// versions 1 and 2 (testdata/v1, testdata/v2). A record from a newer orgiam
// is refused rather than half read.
const SchemaVersion = 4

// checkSchema says what is wrong with a record's version, read from what.
func checkSchema(what string, v int) error {
	if v > SchemaVersion {
		return fmt.Errorf("%s: schemaVersion %d is newer than this orgiam reads (%d): read the run with a newer orgiam", what, v, SchemaVersion)
	}
	return nil
}
