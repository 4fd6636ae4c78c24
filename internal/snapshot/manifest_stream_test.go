package snapshot

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/orgiam/orgiam/internal/store"
)

// TestManifestAccounts: the streamed read gives the same manifest as
// Manifest, its account lines one at a time and in order; an error of the
// callback stops it; a damaged manifest and a newer schema are refused with
// the key named.
func TestManifestAccounts(t *testing.T) {
	ctx := context.Background()
	st := store.NewFile(t.TempDir())
	run := "2026-11-20"
	m := Manifest{
		SchemaVersion: SchemaVersion, RunID: "r1", Date: run,
		Started:       time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC),
		Finished:      time.Date(2026, 11, 20, 4, 9, 0, 0, time.UTC),
		Organizations: []Organization{{ID: "o-abc"}},
		Accounts: []AccountResult{
			{ID: "111111111111", Name: "a", Status: StatusOK, Counts: map[string]int{"users": 3}},
			{ID: "222222222222", Name: "b", Status: StatusFailed, Error: "AccessDenied"},
			{ID: "333333333333", Name: "c", Status: StatusPartial, Warnings: []string{"w"}},
		},
		Totals: Totals{Accounts: 3, OK: 1, Failed: 1, Partial: 1},
		Errors: []string{"organization o-def: not listed"},
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, store.ManifestKey(run), b); err != nil {
		t.Fatal(err)
	}
	r := Reader{Store: st, Run: run}
	var got []AccountResult
	head, err := r.ManifestAccounts(ctx, func(a AccountResult) error { got = append(got, a); return nil })
	if err != nil {
		t.Fatal(err)
	}
	full, err := r.Manifest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, full.Accounts) || head.Accounts != nil {
		t.Errorf("accounts %+v, want %+v (and none in the head: %v)", got, full.Accounts, head.Accounts)
	}
	full.Accounts = nil
	if !reflect.DeepEqual(head, full) {
		t.Errorf("head %+v, want %+v", head, full)
	}

	stop := errors.New("stop")
	n := 0
	if _, err := r.ManifestAccounts(ctx, func(AccountResult) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("callback error: %v after %d lines", err, n)
	}

	for name, data := range map[string]string{
		"truncated": string(b[:len(b)/2]),
		"array":     `[]`,
		"newer":     `{"schemaVersion":99,"accounts":[]}`,
	} {
		if err := st.Put(ctx, store.ManifestKey(run), []byte(data)); err != nil {
			t.Fatal(err)
		}
		if _, err := r.ManifestAccounts(ctx, func(AccountResult) error { return nil }); err == nil || !strings.Contains(err.Error(), "manifest.json") {
			t.Errorf("%s manifest: %v", name, err)
		}
	}
	if _, err := (Reader{Store: st, Run: "2026-11-21"}).ManifestAccounts(ctx, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("no manifest: %v", err)
	}
}

func TestManifestFinished(t *testing.T) {
	ctx := context.Background()
	st := store.NewFile(t.TempDir())
	r := Reader{Store: st, Run: "2026-11-20"}
	if _, err := r.ManifestFinished(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no manifest: %v, want ErrNotFound", err)
	}
	want := time.Date(2026, 11, 20, 4, 9, 0, 123, time.UTC)
	for _, tt := range []struct{ name, doc, err string }{
		{"as written", "", ""},
		// Found wherever it is, after the accounts too.
		{"last", `{"accounts":[{"id":"111111111111","counts":{"users":3}}],"errors":["x"],"finished":"2026-11-20T04:09:00.000000123Z"}`, ""},
		{"missing", `{"started":"2026-11-20T04:00:00Z","accounts":[]}`, "no finished time"},
		{"not a time", `{"finished":5}`, "finished:"},
		{"not an object", `[]`, "not an object"},
	} {
		doc := []byte(tt.doc)
		if tt.doc == "" {
			var err error
			if doc, err = json.Marshal(Manifest{SchemaVersion: SchemaVersion, Date: "2026-11-20", Finished: want, Accounts: []AccountResult{{ID: "111111111111"}}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Put(ctx, store.ManifestKey(r.Run), doc); err != nil {
			t.Fatal(err)
		}
		got, err := r.ManifestFinished(ctx)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "manifest.json") {
				t.Errorf("%s: %v, want an error naming the file and %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: %v, %v; want %v", tt.name, got, err, want)
		}
	}
}
