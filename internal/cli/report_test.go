package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// copyTree copies the folder src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// The report command streams a snapshot's report: the bytes are the golden
// ones, and a run whose files cannot be read leaves --out untouched.
func TestReportCommandFromSnapshot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	copyTree(t, filepath.Join("..", "report", "testdata", "store"), root)
	const run = "2026-11-15"
	if err := os.WriteFile(filepath.Join(root, run, "manifest.json"), []byte(`{"runId":"","date":"2026-11-15","prefix":"2026-11-15"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "users.csv")
	var stdout, stderr bytes.Buffer
	io := IO{Out: &stdout, Err: &stderr, Now: func() time.Time { return time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC) }}
	if code := Run(context.Background(), []string{"report", "users", "--store", root, "--run", run, "--format", "csv", "--out", out}, io); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "report", "testdata", "golden", "users.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report users --format csv differs from the golden users.csv:\n%s", got)
	}

	// An unreadable account list: an error, and --out keeps what it held.
	if err := os.WriteFile(filepath.Join(root, run, "accounts.json"), []byte(`[{`), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := Run(context.Background(), []string{"report", "users", "--store", root, "--run", run, "--out", out}, io); code == 0 || !strings.Contains(stderr.String(), "accounts.json") {
		t.Fatalf("unreadable account list: exit %d, %s", code, stderr.String())
	}
	if again, _ := os.ReadFile(out); !bytes.Equal(again, want) {
		t.Errorf("--out changed by a report that failed: %q", again)
	}
}
