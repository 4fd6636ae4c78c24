package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/diff"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// demoStore collects two simulated runs a day apart with changes between
// them (`orgiam demo --runs 2`) and returns the store folder.
func demoStore(t *testing.T, accounts int) string {
	t.Helper()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"demo", "--runs", "2", "--accounts", itoa(accounts), "--store", dir}, IO{Out: &out, Err: &errb, Now: testNow})
	if code != ExitOK {
		t.Fatalf("demo exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	return dir
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestDiffCommand(t *testing.T) {
	dir := demoStore(t, 6)
	ctx := context.Background()
	st := store.NewFile(dir)
	runs, err := snapshot.Runs(ctx, st)
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs %v, %v", runs, err)
	}
	// The pipeline wrote the second run's diff.json against the first.
	data, err := st.Get(ctx, store.ReportKey(runs[1], "diff.json"))
	if err != nil {
		t.Fatalf("diff.json: %v", err)
	}
	var stored diff.Report
	if err := json.Unmarshal(data, &stored); err != nil || stored.From.Run != runs[0] {
		t.Fatalf("diff.json from %q: %v", stored.From.Run, err)
	}
	if ok, _ := st.Exists(ctx, store.ReportKey(runs[0], "diff.json")); ok {
		t.Error("the first run has a diff.json: there was nothing to compare it with")
	}

	var out, errb bytes.Buffer
	code := Run(ctx, []string{"diff", "--store", dir, "--format", "json"}, IO{Out: &out, Err: &errb, Now: testNow})
	if code != ExitOK {
		t.Fatalf("diff exit %d: %s", code, errb.String())
	}
	var rep diff.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.From.Run != runs[0] || rep.To.Run != runs[1] {
		t.Fatalf("compared %s → %s", rep.From.Run, rep.To.Run)
	}
	has := func(kind, action, sev, detail string) bool {
		for _, c := range rep.Changes {
			if c.Kind == kind && c.Action == action && c.Severity == sev && strings.Contains(c.Detail, detail) {
				return true
			}
		}
		return false
	}
	for _, w := range []struct{ kind, action, sev, detail string }{
		{diff.KindPrincipals, diff.Added, diff.SevMedium, "user ext-contractor created"},
		{diff.KindAttachments, diff.Added, diff.SevHigh, "AdministratorAccess"},
		{diff.KindTrusts, diff.Added, diff.SevHigh, "outside the organization"},
		{diff.KindKeys, diff.Added, diff.SevMedium, "AKIADRIFTCONTRACTOR1"},
		{diff.KindPasswords, diff.Added, diff.SevMedium, "ext-contractor"},
		{diff.KindFindings, diff.New, diff.SevHigh, "MFA"},
	} {
		if !has(w.kind, w.action, w.sev, w.detail) {
			t.Errorf("no %s %s %s %q in %+v", w.sev, w.kind, w.action, w.detail, rep.Changes)
		}
	}
	// Only what was changed: the other accounts are identical collects.
	for _, c := range rep.Changes {
		if !strings.Contains(c.Principal, "ext-contractor") && !strings.Contains(c.Principal, "vendor-audit") {
			t.Errorf("unexpected change (noise?): %+v", c)
		}
	}

	// Refusals: exit 2 with the reason.
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--from", runs[1], "--to", runs[0]}, "after --to"},
		{[]string{"--kind", "bogus"}, "unknown kind"},
		{[]string{"--format", "xml"}, "--format"},
		{[]string{"--from", "2026-01-01"}, "no such run"},
	} {
		out.Reset()
		errb.Reset()
		code := Run(ctx, append([]string{"diff", "--store", dir}, tc.args...), IO{Out: &out, Err: &errb, Now: testNow})
		if code != ExitUsage || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("diff %v: exit %d, stderr %q (want 2, %q)", tc.args, code, errb.String(), tc.msg)
		}
	}
	// --kind and a text format.
	out.Reset()
	if code := Run(ctx, []string{"diff", "--store", dir, "--kind", "trusts", "--format", "md"}, IO{Out: &out, Err: &errb, Now: testNow}); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), "| high | trusts | added |") || strings.Contains(out.String(), "| attachments |") {
		t.Errorf("md --kind trusts:\n%s", out.String())
	}
}

// The notification carries what changed, with severities; with
// --notify-on-drift-only, a run without changes sends nothing.
func TestNotifyDrift(t *testing.T) {
	dir := demoStore(t, 4)
	ctx := context.Background()
	st := store.NewFile(dir)
	runs, _ := snapshot.Runs(ctx, st)
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
	}))
	defer srv.Close()
	cfg := config.Defaults()
	cfg.Notify = []string{"webhook:" + srv.URL}
	cfg.NotifyOnDriftOnly = true
	env := &pipeline.Env{Cfg: cfg, Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: testNow}
	if _, err := pipeline.Notify(ctx, env, pipeline.NotifyInput{Run: runs[0]}); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 0 {
		t.Fatalf("run without drift notified: %v", bodies)
	}
	if _, err := pipeline.Notify(ctx, env, pipeline.NotifyInput{Run: runs[1]}); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 1 {
		t.Fatalf("%d notifications", len(bodies))
	}
	var msg struct{ Text string }
	json.Unmarshal([]byte(bodies[0]), &msg)
	for _, want := range []string{"changes since run " + runs[0], "high", "[high] trusts added", "AdministratorAccess"} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("notification lacks %q:\n%s", want, msg.Text)
		}
	}
}
