package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/report"
	"github.com/orgiam/orgiam/internal/store"
)

// faultCorruptAccountFiles damages three accounts' files in a collected run
// (a credential report with a user name whose comma is not quoted, as moto
// writes it, one cut short mid-row, and a users.json that is not JSON), then
// rebuilds the index
// and writes the reports: each damaged account is partial with its file
// named, and every other account keeps all its rows.
func faultCorruptAccountFiles(t *testing.T) int {
	world, sim, cfg := runWorld(t, 8, fakeaws.Knobs{})
	ctx := context.Background()
	const run = "2026-11-23"
	var out, errb bytes.Buffer
	if err := runCollect(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth); err != nil {
		t.Fatalf("collect: %v\n%s", err, errb.String())
	}
	cli := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := Run(ctx, append(args, "--store", cfg.Store), IO{Out: &o, Err: &e, Now: testNow})
		return code, o.String(), e.String()
	}
	mustRun := func(args ...string) string {
		t.Helper()
		code, o, e := cli(args...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d, want 0 (one account's damaged file must not fail the command): %s", args, code, e)
		}
		return o
	}
	const principals = "SELECT account_id, kind, arn FROM principals ORDER BY account_id, arn"
	usersBefore := mustRun("report", "users")
	credsBefore := mustRun("report", "credentials")
	indexBefore := mustRun("query", "sql", principals, "--format", "csv")

	ids := activeMember(world, 3)
	if len(ids) < 3 {
		t.Fatalf("%d active member accounts, want 3", len(ids))
	}
	badCreds, badUsers, truncated := ids[0], ids[1], ids[2]
	credPath := filepath.Join(cfg.Store, filepath.FromSlash(store.CredentialReportKey(run, badCreds)))
	csv, err := os.ReadFile(credPath)
	if err != nil {
		t.Fatal(err)
	}
	// The first user's name gains an unquoted comma: one field too many.
	lines := strings.SplitN(string(csv), "\n", 3)
	if len(lines) < 3 || !strings.Contains(lines[1], ",") {
		t.Fatalf("credential report of %s has no user row: %q", badCreds, csv)
	}
	lines[1] = strings.Replace(lines[1], ",", ",j,", 1)
	if err := os.WriteFile(credPath, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	usersPath := filepath.Join(cfg.Store, filepath.FromSlash(store.IAMKey(run, badUsers, store.DataUsers)))
	if err := os.WriteFile(usersPath, []byte(`[{"UserName": "alice", `), 0o600); err != nil {
		t.Fatal(err)
	}
	// A credential report cut short in the middle of its last row.
	truncPath := filepath.Join(cfg.Store, filepath.FromSlash(store.CredentialReportKey(run, truncated)))
	csv, err = os.ReadFile(truncPath)
	if err != nil {
		t.Fatal(err)
	}
	cut := strings.TrimRight(string(csv), "\n")
	cut = cut[:strings.LastIndex(cut, ",")-3]
	if err := os.WriteFile(truncPath, []byte(cut), 0o600); err != nil {
		t.Fatal(err)
	}
	damaged := map[string]string{badCreds: "credential-report.csv", badUsers: "users.json", truncated: "credential-report.csv"}

	// The index: rebuilt, the damaged accounts partial naming their file,
	// every other account ok with all its principals.
	if o := mustRun("index"); !strings.Contains(o, "index.sqlite") {
		t.Errorf("index: %q", o)
	}
	status := mustRun("query", "sql", "SELECT id, scan_status, coalesce(scan_error, '') AS scan_error FROM accounts ORDER BY id", "--format", "json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(status), &rows); err != nil {
		t.Fatalf("accounts of the index: %v: %s", err, status)
	}
	accounts := 0
	for _, r := range rows {
		id, st, msg := r["id"], r["scan_status"], r["scan_error"]
		switch file, bad := damaged[id.(string)]; {
		case bad && (st != "partial" || !strings.Contains(msg.(string), file)):
			t.Errorf("index: damaged account %v is %v %q, want partial naming %s", id, st, msg, file)
		case !bad && st != "ok" && st != "skipped":
			t.Errorf("index: healthy account %v is %v %q", id, st, msg)
		}
		accounts++
	}
	if accounts < 8 {
		t.Errorf("index lists %d accounts: %s", accounts, status)
	}
	indexAfter := mustRun("query", "sql", principals, "--format", "csv")
	keptRows(t, "index principals", indexBefore, indexAfter, badUsers)

	// The reports: every other account's rows as before, and the summary
	// marks the damaged accounts partial with the file named.
	keptRows(t, "users report", usersBefore, mustRun("report", "users"), badUsers, badCreds, truncated)
	keptRows(t, "credentials report", credsBefore, mustRun("report", "credentials"), badCreds, truncated)
	var s report.Summary
	if err := json.Unmarshal([]byte(mustRun("report", "summary", "--format", "json")), &s); err != nil {
		t.Fatal(err)
	}
	if s.Partial != len(damaged) || s.Failed != 0 {
		t.Errorf("summary: %d partial and %d failed, want %d and 0", s.Partial, s.Failed, len(damaged))
	}
	for _, a := range s.Accounts {
		file, bad := damaged[a.AccountID]
		switch {
		case bad && (a.Status != report.StatusPartial || !strings.Contains(a.Error, file)):
			t.Errorf("summary: damaged account %s is %s %q, want partial naming %s", a.AccountID, a.Status, a.Error, file)
		case !bad && a.Status != "ok" && a.Status != "skipped":
			t.Errorf("summary: healthy account %s is %s %q", a.AccountID, a.Status, a.Error)
		case !bad && a.Status == "ok" && a.Users == 0:
			t.Errorf("summary: healthy account %s has no users", a.AccountID)
		}
	}
	return lost(t, store.NewFile(cfg.Store), run, nil)
}

// keptRows checks that every line of before that names none of the damaged
// accounts is in after, and that after has at least one such line.
func keptRows(t *testing.T, what, before, after string, damaged ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range strings.Split(after, "\n") {
		have[l] = true
	}
	var missing []string
	kept := 0
line:
	for _, l := range strings.Split(before, "\n")[1:] {
		for _, id := range damaged {
			if strings.Contains(l, id) {
				continue line
			}
		}
		if l == "" {
			continue
		}
		if kept++; !have[l] {
			missing = append(missing, l)
		}
	}
	sort.Strings(missing)
	if kept == 0 {
		t.Errorf("%s: no rows of the healthy accounts to compare", what)
	}
	if len(missing) > 0 {
		t.Errorf("%s: %d of %d rows of the healthy accounts lost after the damage, e.g. %q", what, len(missing), kept, missing[0])
	}
}
