package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// htmlFixture is a small organization's report data for the HTML tests:
// three accounts in three OUs, users with and without administrator access,
// MFA and recent use, one whose name carries markup, and enough findings
// for more than one page.
type htmlFixture struct {
	sum      Summary
	users    []UserRow
	findings []Finding
}

const evilName = `</script><img src=x onerror="window.__pwned=1">`

func checkByID(t *testing.T, id string) Check {
	t.Helper()
	for _, c := range Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %s", id)
	return Check{}
}

func newHTMLFixture(t *testing.T) htmlFixture {
	t.Helper()
	now := time.Date(2026, 11, 15, 8, 30, 0, 0, time.UTC)
	fx := htmlFixture{sum: Summary{Run: "2026-11-15", GeneratedAt: now}}
	type acct struct{ id, name, ou string }
	accts := []acct{{"111111111111", "prod-a", "Root/Prod"}, {"222222222222", "dev-b", "Root/Dev"}, {"333333333333", "sandbox", "Root/Sandbox"}}
	user := func(a acct, name string, admin, console bool, mfa string, stale bool) UserRow {
		last := now.Add(-24 * time.Hour)
		st := stale
		c := console
		u := UserRow{AccountID: a.id, AccountName: a.name, OUPath: a.ou, UserName: name, ARN: "arn:aws:iam::" + a.id + ":user/" + name,
			ConsoleAccess: &c, MFA: mfa, Admin: admin, Stale: &st, LastActivity: &last, AccessKeys: []KeyInfo{}, Groups: []string{}, Tags: []string{}}
		if admin {
			u.Policies = []PolicyRef{{Name: "AdministratorAccess", ARN: "arn:aws:iam::aws:policy/AdministratorAccess", Kind: KindAWSManaged, Admin: true}}
		}
		return u
	}
	fx.users = []UserRow{
		user(accts[0], "alice", true, true, MFANone, false),
		user(accts[0], "bob", false, true, MFAVirtual, false),
		user(accts[1], evilName, false, false, MFANone, true),
		user(accts[1], "carol", false, true, MFAHardware, false),
		user(accts[2], "dave", false, true, MFAVirtual, true),
	}
	for i := 0; i < 30; i++ {
		fx.users = append(fx.users, user(accts[2], fmt.Sprintf("svc-%02d", i), false, false, MFANone, false))
	}
	f := func(a acct, who, check, evidence string) Finding {
		c := checkByID(t, check)
		return Finding{AccountID: a.id, AccountName: a.name, Principal: who, CheckID: c.ID, CheckIDLegacy: c.Legacy, Title: c.Title, Severity: c.Severity, Status: StatusFail, Evidence: evidence}
	}
	arn := func(u int) string { return fx.users[u].ARN }
	fx.findings = []Finding{
		f(accts[0], PrincipalRoot, "1.4", "Root has no MFA."),
		f(accts[0], arn(0), "1.9", "User has a console password and no MFA."),
		f(accts[0], arn(0), "1.13", "Key AKIA1 is 200 days old."),
		f(accts[0], arn(0), "1.13", "Key AKIA2 is 120 days old."),
		f(accts[1], arn(2), "1.11", "Unused for 100 days: "+evilName),
		f(accts[1], arn(3), "1.13", "Key AKIA3 is 95 days old."),
	}
	// 130 low findings over the service users: a second page.
	for i := 0; i < 130; i++ {
		u := 5 + i%30
		fx.findings = append(fx.findings, f(accts[2], arn(u), "1.14", fmt.Sprintf("Key %d of %s is not rotated by the owner.", i, fx.users[u].UserName)))
	}
	sortFindings(fx.findings)
	for _, a := range accts {
		s := AccountSummary{AccountID: a.id, AccountName: a.name, OUPath: a.ou, Status: "ok"}
		for _, x := range fx.findings {
			if x.AccountID == a.id {
				switch x.Severity {
				case SeverityHigh:
					s.High++
				case SeverityMedium:
					s.Medium++
				case SeverityLow:
					s.Low++
				}
			}
		}
		fx.sum.Accounts = append(fx.sum.Accounts, s)
	}
	fx.sum.Accounts = append(fx.sum.Accounts, AccountSummary{AccountID: "444444444444", AccountName: "locked", OUPath: "Root/Dev", Status: "failed", Error: "account 444444444444: sts:AssumeRole: AccessDenied"})
	fx.sum.Totals = AccountSummary{AccountID: "total", Status: "3 ok, 1 failed, 0 skipped"}
	return fx
}

// write writes findings.html and users.html into dir.
func (fx htmlFixture) write(t *testing.T, dir string) {
	t.Helper()
	for kind, data := range map[string]any{KindFindings: fx.findings, KindUsers: fx.users} {
		d, err := NewDoc(kind, data)
		if err != nil {
			t.Fatal(err)
		}
		d.Summary = &fx.sum
		var b bytes.Buffer
		if err := WriteDoc(&b, FormatHTML, d); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, kind+".html"), b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// expect is what the pages must show, counted here from the fixture's rows.
func (fx htmlFixture) expect() map[string]any {
	sev := map[string]int{}
	type roll struct {
		Check                          string `json:"check"`
		Findings, Principals, Accounts int
	}
	rolls := map[string]*roll{}
	principals, accounts := map[string]map[string]bool{}, map[string]map[string]bool{}
	evil, alice, aliceKey := 0, 0, 0
	for _, f := range fx.findings {
		sev[f.Severity]++
		r := rolls[f.CheckID]
		if r == nil {
			r = &roll{Check: f.CheckID}
			rolls[f.CheckID] = r
			principals[f.CheckID], accounts[f.CheckID] = map[string]bool{}, map[string]bool{}
		}
		r.Findings++
		principals[f.CheckID][f.AccountID+"|"+f.Principal] = true
		accounts[f.CheckID][f.AccountID] = true
		if strings.Contains(f.Principal, "onerror") {
			evil++
		}
		if f.Principal == fx.users[0].ARN {
			alice++
			if f.CheckID == "1.13" || f.CheckIDLegacy == "1.13" || strings.Contains(f.Evidence, "1.13") {
				aliceKey++
			}
		}
	}
	var checks []map[string]any
	for id, r := range rolls {
		checks = append(checks, map[string]any{"check": id, "findings": r.Findings, "principals": len(principals[id]), "accounts": len(accounts[id])})
	}
	admins, noMFA, stale := 0, 0, 0
	for _, u := range fx.users {
		if u.Admin {
			admins++
		}
		if *u.ConsoleAccess && u.MFA == MFANone {
			noMFA++
		}
		if *u.Stale {
			stale++
		}
	}
	return map[string]any{
		"run": fx.sum.Run, "generatedAt": fx.sum.GeneratedAt.Format(time.RFC3339), "severity": sev, "checks": checks,
		"findings": len(fx.findings), "worstAccount": "111111111111", "ous": 3,
		"searchUser": "alice", "userArn": fx.users[0].ARN, "userFindings": alice, "userKeyFindings": aliceKey,
		"evilArn": fx.users[2].ARN, "evilName": evilName, "evilFindings": evil,
		"unread": "444444444444", "unreadError": fx.sum.Accounts[3].Error, "users": len(fx.users), "admins": admins, "noMFA": noMFA, "stale": stale,
	}
}

// TestHTMLReportsInChromium opens findings.html and users.html in headless
// Chromium with playwright-core (testdata/browser/report.mjs): the summary,
// search, a facet filter, the severity order, frozen columns, details, the
// links between the reports, and an injected principal name shown as text.
func TestHTMLReportsInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (Debian package chromium; .ci/run installs it): the browser test does not run here")
	}
	pw, _ := filepath.Abs(filepath.Join("..", "web", "testdata", "e2e"))
	if _, err := os.Stat(filepath.Join(pw, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed in %s: run `make deps` (npm ci there)", pw)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not on PATH (.ci/run installs nodejs)")
	}
	fx := newHTMLFixture(t)
	dir := t.TempDir()
	fx.write(t, dir)
	expect, _ := json.Marshal(fx.expect())

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "report.mjs")
	cmd.Dir, _ = filepath.Abs(filepath.Join("testdata", "browser"))
	cmd.Env = append(os.Environ(), "PLAYWRIGHT="+pw, "CHROMIUM="+chromium, "DIR="+dir, "EXPECT="+string(expect))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("report.mjs: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	var res struct {
		OK     bool
		Checks int
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res); err != nil || !res.OK || res.Checks < 40 {
		t.Fatalf("report.mjs result %q (%v)", stdout.String(), err)
	}
	t.Logf("browser checks passed: %d", res.Checks)
}
