package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/diff"
	"github.com/orgiam/orgiam/internal/index"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

const run = "2026-11-20"

// testStore copies the index package's test snapshot, completes it with a
// manifest and a diff.json, and builds its index.
func testStore(t *testing.T) (string, store.Store) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "index", "testdata", "store")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	st := store.NewFile(dir)
	ctx := context.Background()
	start := time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	m := snapshot.Manifest{RunID: run, Date: run, Prefix: run, Started: start, Finished: start.Add(time.Minute)}
	b, _ := json.Marshal(m)
	if err := st.Put(ctx, store.ManifestKey(run), b); err != nil {
		t.Fatal(err)
	}
	rep := diff.Report{Version: 1, From: diff.RunRef{Run: "2026-11-19"}, To: diff.RunRef{Run: run}, Counts: map[string]int{"trusts": 1}, BySeverity: map[string]int{"high": 1},
		Changes: []diff.Change{{Kind: "trusts", Action: "added", Severity: "high", AccountID: "111111111111", Principal: "arn:aws:iam::111111111111:role/VendorRole", Subject: "AWS:444455556666", Detail: "new external trust of account 444455556666"}}}
	b, _ = json.Marshal(rep)
	if err := st.Put(ctx, store.ReportKey(run, "diff.json"), b); err != nil {
		t.Fatal(err)
	}
	if _, err := index.Build(ctx, snapshot.Reader{Store: st, Run: run}, filepath.Join(dir, run, "index.sqlite"), index.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir, st
}

func newServer(t *testing.T, dir string, st store.Store, token string) *httptest.Server {
	t.Helper()
	s, err := New(Options{Store: st, Token: token, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		IndexPath: func(_ context.Context, run string) (string, func(), error) {
			p := filepath.Join(dir, run, "index.sqlite")
			if _, err := os.Stat(p); err != nil {
				return "", nil, err
			}
			return p, func() {}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	return ts
}

func get(t *testing.T, c *http.Client, url string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPages(t *testing.T) {
	dir, st := testStore(t)
	ts := newServer(t, dir, st, "")
	c := ts.Client()
	for _, tc := range []struct {
		path   string
		code   int
		want   []string
		absent []string
	}{
		{"/", 200, []string{"Organization o-aaaa1111", "Workloads", "Prod"}, nil},
		{"/?ou=Root/Workloads/Prod", 200, []string{"Accounts in Root/Workloads/Prod", "/account/222222222222"}, []string{"/account/111111111111?"}},
		{"/account/111111111111", 200, []string{"alice", "CrossRole", "Roles other accounts can assume"}, nil},
		{"/account/111111111111?kind=group", 200, []string{"Admins", "Devs"}, []string{">alice<"}},
		{"/principals?filter=admin", 200, []string{"alice"}, []string{">bob<"}},
		{"/principals?kind=role&filter=external", 200, []string{"VendorRole"}, []string{">CrossRole<"}},
		{"/principals?q=ali", 200, []string{"alice"}, []string{">bob<"}},
		{"/principals?kind=user&after=arn:aws:iam::111111111111:user/alice", 200, []string{">bob<"}, []string{">alice<"}},
		{"/principals?filter=admin&after=arn:aws:iam::111111111111:user/alice", 200, nil, []string{">alice<"}},
		{"/principal?arn=arn:aws:iam::111111111111:user/alice", 200, []string{"Policies", "Admins", "Access keys"}, nil},
		{"/principal?arn=arn:aws:iam::111111111111:role/VendorRole", 200, []string{"Who can assume this role", "external"}, nil},
		{"/policy?id=arn:aws:iam::aws:policy/AdministratorAccess", 200, []string{"Statements", "(administrator)", "Attached to"}, nil},
		{"/findings?severity=high", 200, []string{"Failing checks", "high"}, nil},
		{"/trusts", 200, []string{"<svg", "VendorRole"}, nil},
		{"/trusts?after=999999", 200, []string{"No cross-account trust matches."}, nil},
		{"/trusts?external=1", 200, []string{"VendorRole"}, []string{">CrossRole<"}},
		{"/drift", 200, []string{"2026-11-19", "trusts 1"}, nil},
		{"/drift/run?run=" + run, 200, []string{"new external trust of account 444455556666"}, nil},
		// Not found: a 404 page that says why, never a stack trace.
		{"/nothing-here", 404, []string{"There is no page at /nothing-here"}, []string{"goroutine"}},
		{"/principal?arn=arn:aws:iam::111111111111:user/nobody", 404, []string{"no user, role or group"}, nil},
		{"/account/123", 404, []string{"not an account id"}, nil},
		{"/account/999999999999", 404, []string{"is not in run"}, nil},
		{"/?run=2026-01-01", 404, []string{"has no index.sqlite"}, nil},
		{"/?run=../../etc", 404, []string{"is not of the form"}, nil},
		{"/principals?filter=bogus", 404, []string{"filter"}, nil},
		{"/static/style.css", 200, []string{"--accent"}, nil},
	} {
		code, body := get(t, c, ts.URL+tc.path)
		if code != tc.code {
			t.Errorf("%s: %d, want %d\n%s", tc.path, code, tc.code, body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: lacks %q", tc.path, w)
			}
		}
		for _, a := range tc.absent {
			if strings.Contains(body, a) {
				t.Errorf("%s: has %q", tc.path, a)
			}
		}
		if strings.Contains(body, "http://") && !strings.Contains(tc.path, "static") && strings.Contains(body, "<script") {
			t.Errorf("%s: loads a script", tc.path)
		}
	}
	// Read-only.
	resp, err := c.Post(ts.URL+"/principals", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}

func TestToken(t *testing.T) {
	dir, st := testStore(t)
	const tok = "s3cret-token-0123456789"
	ts := newServer(t, dir, st, tok)
	c := ts.Client()
	for _, p := range []string{"/", "/static/style.css", "/nothing", "/drift"} {
		if code, _ := get(t, c, ts.URL+p); code != http.StatusUnauthorized {
			t.Errorf("%s without token: %d", p, code)
		}
		if code, _ := get(t, c, ts.URL+p, "Authorization", "Bearer wrong"); code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token: %d", p, code)
		}
	}
	if code, body := get(t, c, ts.URL+"/", "Authorization", "Bearer "+tok); code != 200 || !strings.Contains(body, "Organization") {
		t.Errorf("with the token: %d", code)
	}
	// ?token= once: a cookie, and a redirect to the URL without the token.
	noFollow := *c
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.Get(ts.URL + "/findings?token=" + tok)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || strings.Contains(resp.Header.Get("Location"), "token") || len(resp.Cookies()) != 1 {
		t.Fatalf("?token=: %d %q %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	if code, _ := get(t, c, ts.URL+"/findings", "Cookie", "orgiam_token="+tok); code != 200 {
		t.Errorf("with the cookie: %d", code)
	}
}

func TestCheckRefusesOtherSchemaAndUnreadableIndex(t *testing.T) {
	dir, st := testStore(t)
	p := filepath.Join(dir, run, "index.sqlite")
	mk := func() *Server {
		s, err := New(Options{Store: st, IndexPath: func(context.Context, string) (string, func(), error) { return p, func() {}, nil }})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE schema_version SET version = 999"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := mk().Check(context.Background()); err == nil || !strings.Contains(err.Error(), "schema version 999") {
		t.Errorf("other schema: %v", err)
	}
	if err := os.WriteFile(p, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mk().Check(context.Background()); err == nil || !strings.Contains(err.Error(), "not an orgiam index") {
		t.Errorf("unreadable: %v", err)
	}
}
