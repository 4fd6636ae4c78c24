package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// CompletionName is the report set's completion record,
// reports/reports.json. WriteAllResult deletes it before it writes the
// reports and writes it after the last one, so a set whose writing was cut
// (a Lambda timeout, a killed process, a failed put) has no record and is
// never read as complete, even when its run's manifest exists (the reports
// of a run can be written again after it finished).
const CompletionName = "reports.json"

// CompletionSince is the run schema version (run.json's schemaVersion)
// from which runs write the record. A run of an earlier version has none,
// and its reports are read as they were before.
const CompletionSince = 4

// ErrIncomplete is wrapped by CheckComplete's error for a run whose reports
// were not all written.
var ErrIncomplete = errors.New("reports incomplete")

// Completion is reports/reports.json: the files of the set, each with its
// size and SHA-256, in the order they were written.
type Completion struct {
	SchemaVersion int             `json:"schemaVersion"`
	Run           string          `json:"run"`
	Files         []CompletedFile `json:"files"`
}

// CompletedFile is one report file of the set.
type CompletedFile struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// CheckComplete says whether the run's report set may be read: nil when its
// completion record exists, or when the run predates the record; otherwise
// an error wrapping ErrIncomplete that says so and how to mend it. Readers
// treat an incomplete set as absent (or say it is), never as the run's
// reports.
func CheckComplete(ctx context.Context, s store.Store, run string) error {
	ok, err := s.Exists(ctx, store.ReportKey(run, CompletionName))
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	var info snapshot.RunInfo
	switch err := snapshot.ReadJSON(ctx, s, store.RunInfoKey(run), &info); {
	case errors.Is(err, store.ErrNotFound):
		return nil // a run of the earliest layouts, before run.json
	case err != nil:
		return err
	case info.SchemaVersion < CompletionSince:
		return nil
	}
	return fmt.Errorf("run %s: %w: reports/%s is missing, so its reports were not all written; run `orgiam report --run %s` again", run, ErrIncomplete, CompletionName, run)
}

// Complete is CheckComplete for a reader that takes an incomplete set as
// absent: true when the set may be read, false (and no error) when it was
// not all written, and the error of a store that could not say.
func Complete(ctx context.Context, s store.Store, run string) (bool, error) {
	err := CheckComplete(ctx, s, run)
	if errors.Is(err, ErrIncomplete) {
		return false, nil
	}
	return err == nil, err
}

// ReadCompletion reads the run's completion record (store.ErrNotFound when
// it has none).
func ReadCompletion(ctx context.Context, s store.Store, run string) (Completion, error) {
	var c Completion
	err := snapshot.ReadJSON(ctx, s, store.ReportKey(run, CompletionName), &c)
	return c, err
}

// hashingWriter counts and hashes what goes through it.
type hashingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func newHashingWriter(w io.Writer) *hashingWriter { return &hashingWriter{w: w, h: sha256.New()} }

func (hw *hashingWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}

func (hw *hashingWriter) file(name string) CompletedFile {
	return CompletedFile{Name: name, Bytes: hw.n, SHA256: hex.EncodeToString(hw.h.Sum(nil))}
}

// writeCompletion writes the record, last.
func writeCompletion(ctx context.Context, s store.Store, run string, files []CompletedFile) error {
	data, err := json.MarshalIndent(Completion{SchemaVersion: 1, Run: run, Files: files}, "", "  ")
	if err != nil {
		return err
	}
	key := store.ReportKey(run, CompletionName)
	if err := s.Put(ctx, key, append(data, '\n')); err != nil {
		return fmt.Errorf("write %s/%s: %w", s, key, err)
	}
	return nil
}

// clearCompletion deletes the record before the set is written again.
func clearCompletion(ctx context.Context, s store.Store, run string) error {
	key := store.ReportKey(run, CompletionName)
	if err := s.Delete(ctx, key); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete %s/%s: %w", s, key, err)
	}
	return nil
}
