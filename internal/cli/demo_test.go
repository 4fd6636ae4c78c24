package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDemoShowsProgressReportsAndRunnableHints(t *testing.T) {
	isolate(t)
	storeDir := filepath.Join(t.TempDir(), "demo store")
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"demo", "--accounts", "6", "--store", storeDir}, IO{Out: &out, Err: &errb, IsTTY: true, Now: testNow})
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	stdout, stderr := out.String(), errb.String()
	// The progress bar is drawn on a terminal.
	if !strings.Contains(stderr, "accounts, 0 failed") {
		t.Errorf("no progress bar on the terminal:\n%s", stderr)
	}
	if strings.Contains(stderr, "failed to discard") {
		t.Errorf("SDK body-drain warnings printed:\n%s", stderr)
	}
	// The summary names the reports, as paths that exist, and the high findings.
	var paths []string
	for _, line := range strings.Split(stdout, "\n") {
		if p := strings.TrimSpace(line); strings.HasPrefix(p, storeDir) && strings.Contains(p, "/reports/") {
			paths = append(paths, p)
		}
	}
	if len(paths) < 3 {
		t.Fatalf("summary names %d report paths:\n%s", len(paths), stdout)
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("named report %s: %v", p, err)
		}
	}
	if !strings.Contains(stdout, "high-severity failing") || !strings.Contains(stdout, "call rate") {
		t.Errorf("summary lacks the findings count or the call rate:\n%s", stdout)
	}
	if !strings.Contains(stdout, "next: ") || !strings.Contains(stdout, "query admins --store '"+storeDir+"'") {
		t.Errorf("next hints do not quote the store path:\n%s", stdout)
	}
}

func TestSelfCommand(t *testing.T) {
	for _, tt := range []struct{ arg0, want string }{
		{"/tmp/go-build1234/b001/exe/orgiam", "go run ./cmd/orgiam"},
		{"/opt/my tools/orgiam", "'/opt/my tools/orgiam'"},
		{"./orgiam", "./orgiam"},
	} {
		if got := selfCommand(tt.arg0); got != tt.want {
			t.Errorf("selfCommand(%q) = %q, want %q", tt.arg0, got, tt.want)
		}
	}
	if got := shellQuote("it's"); got != `'it'\''s'` {
		t.Errorf("shellQuote = %s", got)
	}
}
