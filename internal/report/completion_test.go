package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// failingPut fails the put of one key, as a Lambda timeout or a lost
// connection cuts a report set in the middle.
type failingPut struct {
	store.Store
	key string
}

func (f failingPut) Put(ctx context.Context, key string, data []byte) error {
	if key == f.key {
		return errors.New("connection reset")
	}
	return f.Store.Put(ctx, key, data)
}

func putRunInfo(t *testing.T, s store.Store, version int) {
	t.Helper()
	data := []byte(fmt.Sprintf(`{"schemaVersion":%d,"runId":"r1","date":"2026-11-15"}`, version))
	if err := s.Put(context.Background(), store.RunInfoKey(fixtureRun), data); err != nil {
		t.Fatal(err)
	}
}

// TestCompletionRecord: reports.json is written last and lists every report
// with its size and hash; a set cut in the middle has none and
// CheckComplete refuses it, even after an earlier complete set; writing the
// set again completes it; runs before the record are read as before.
func TestCompletionRecord(t *testing.T) {
	ctx := context.Background()
	r := fixture(t)
	putRunInfo(t, r.Store, CompletionSince)
	if err := CheckComplete(ctx, r.Store, fixtureRun); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("before any report: %v, want ErrIncomplete", err)
	}

	// Cut at the sixth file: the first five are stored, no record.
	cut := snapshot.Reader{Store: failingPut{Store: r.Store, key: store.ReportKey(fixtureRun, "findings.json")}, Run: fixtureRun}
	if _, err := WriteAllResult(ctx, cut, fixtureOptions()); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("cut write: %v", err)
	}
	if ok, _ := r.Store.Exists(ctx, store.ReportKey(fixtureRun, "users.csv")); !ok {
		t.Fatal("the files before the cut should be stored (the test would prove nothing)")
	}
	err := CheckComplete(ctx, r.Store, fixtureRun)
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "orgiam report --run "+fixtureRun) {
		t.Fatalf("after a cut write: %v, want ErrIncomplete naming the mend", err)
	}

	res, err := WriteAllResult(ctx, r, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckComplete(ctx, r.Store, fixtureRun); err != nil {
		t.Fatalf("after a whole write: %v", err)
	}
	c, err := ReadCompletion(ctx, r.Store, fixtureRun)
	if err != nil {
		t.Fatal(err)
	}
	if c.Run != fixtureRun || len(c.Files) != len(res.Keys) {
		t.Fatalf("record %+v for keys %v", c, res.Keys)
	}
	for i, f := range c.Files {
		if store.ReportKey(fixtureRun, f.Name) != res.Keys[i] {
			t.Errorf("file %d is %s, key %s", i, f.Name, res.Keys[i])
		}
		data, err := r.Store.Get(ctx, res.Keys[i])
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if f.Bytes != int64(len(data)) || f.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: record says %d bytes %s, stored %d bytes %x", f.Name, f.Bytes, f.SHA256, len(data), sum)
		}
	}

	// Written again and cut: the earlier record is gone first.
	if _, err := WriteAllResult(ctx, cut, fixtureOptions()); err == nil {
		t.Fatal("cut write succeeded")
	}
	if err := CheckComplete(ctx, r.Store, fixtureRun); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("a set cut after a complete one: %v, want ErrIncomplete", err)
	}

	// A run of an earlier version, or with no run.json, has no record.
	old := fixture(t)
	if err := CheckComplete(ctx, old.Store, fixtureRun); err != nil {
		t.Errorf("no run.json: %v", err)
	}
	putRunInfo(t, old.Store, CompletionSince-1)
	if err := CheckComplete(ctx, old.Store, fixtureRun); err != nil {
		t.Errorf("schema %d: %v", CompletionSince-1, err)
	}
}

// TestHistoryPassesOverIncompleteReports: first-seen dates come from the
// latest earlier run whose report set is complete.
func TestHistoryPassesOverIncompleteReports(t *testing.T) {
	ctx := context.Background()
	r := fixture(t)
	putRunInfo(t, r.Store, CompletionSince)
	if err := r.Store.Put(ctx, store.ManifestKey(fixtureRun), []byte(`{"schemaVersion":4,"started":"2026-11-15T04:00:00Z","finished":"2026-11-15T04:10:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	// The fixture run's findings.json exists (as if cut after it) but no
	// record: a later run must not take it as history.
	if _, err := WriteAllResult(ctx, snapshot.Reader{Store: failingPut{Store: r.Store, key: store.ReportKey(fixtureRun, "findings.html")}, Run: fixtureRun}, fixtureOptions()); err == nil {
		t.Fatal("cut write succeeded")
	}
	if ok, _ := r.Store.Exists(ctx, store.ReportKey(fixtureRun, "findings.json")); !ok {
		t.Fatal("findings.json should be stored before the cut")
	}
	later := snapshot.Reader{Store: r.Store, Run: "2026-11-16"}
	h, err := LoadHistory(ctx, later, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	if h.Previous != "" || len(h.Seen) != 0 {
		t.Errorf("history from an incomplete set: previous %q, %d seen", h.Previous, len(h.Seen))
	}
	if _, err := WriteAllResult(ctx, r, fixtureOptions()); err != nil {
		t.Fatal(err)
	}
	if h, err = LoadHistory(ctx, later, fixtureNow); err != nil || h.Previous != fixtureRun || len(h.Seen) == 0 {
		t.Errorf("history from the complete set: previous %q, %d seen, %v", h.Previous, len(h.Seen), err)
	}
}
