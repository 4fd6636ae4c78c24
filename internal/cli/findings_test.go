package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/report"
)

// reportStore is the report package's test run (2026-11-15) in a store of
// its own, made complete. Its findings: 6 high, 7 medium, 5 low, all FAIL.
func reportStore(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "store")
	copyTree(t, filepath.Join("..", "report", "testdata", "store"), root)
	if err := os.WriteFile(filepath.Join(root, "2026-11-15", "manifest.json"), []byte(`{"runId":"","date":"2026-11-15","prefix":"2026-11-15"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return root
}

func reportNow() time.Time { return time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC) }

// runFindings runs the command line and returns the exit code, stdout, stderr.
func runFindings(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, IO{Out: &stdout, Err: &stderr, Now: reportNow})
	return code, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReportMachineFormats(t *testing.T) {
	root := reportStore(t)
	for _, tc := range []struct {
		format string
		check  func(t *testing.T, out []byte)
	}{
		{"ocsf", func(t *testing.T, out []byte) {
			var v []struct {
				ClassUID int    `json:"class_uid"`
				Status   string `json:"status_code"`
				Finding  struct {
					UID string `json:"uid"`
				} `json:"finding_info"`
			}
			if err := json.Unmarshal(out, &v); err != nil || len(v) != 27 {
				t.Fatalf("%d findings (%v), want 27", len(v), err)
			}
			if v[0].ClassUID != 2004 || v[0].Finding.UID == "" || v[0].Status != "FAIL" {
				t.Errorf("first OCSF finding %+v: want class 2004 (Detection Finding), a uid, FAIL", v[0])
			}
		}},
		{"asff", func(t *testing.T, out []byte) {
			var v []report.ASFF
			if err := json.Unmarshal(out, &v); err != nil || len(v) != 27 {
				t.Fatalf("%d findings (%v), want 27", len(v), err)
			}
			if v[0].SchemaVersion != report.ASFFSchemaVersion || v[0].AwsAccountID != "111111111111" || v[0].Region != "eu-west-1" {
				t.Errorf("first ASFF finding %+v: want schema %s, account 111111111111, region eu-west-1 (--security-hub-region)", v[0], report.ASFFSchemaVersion)
			}
		}},
		{"sarif", func(t *testing.T, out []byte) {
			var v struct {
				Version string `json:"version"`
				Runs    []struct {
					Results []struct {
						RuleID string `json:"ruleId"`
					} `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(out, &v); err != nil || len(v.Runs) != 1 || len(v.Runs[0].Results) != 27 {
				t.Fatalf("SARIF %+v (%v), want one run of 27 results", v, err)
			}
			if v.Version != "2.1.0" || v.Runs[0].Results[0].RuleID != "1.3" {
				t.Errorf("SARIF version %s, first rule %s; want 2.1.0, 1.3", v.Version, v.Runs[0].Results[0].RuleID)
			}
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			code, out, errs := runFindings(t, "report", "findings", "--store", root, "--run", "2026-11-15", "--format", tc.format, "--security-hub-region", "eu-west-1")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			tc.check(t, []byte(out))
		})
	}
}

func TestReportMutelistAndFailOn(t *testing.T) {
	root := reportStore(t)
	ml := writeFile(t, "mutes.yaml", `mutes:
  - account: "3333*"
    reason: sandbox account, closed next month
  - principal: "arn:aws:iam::*:user/alice"
    check: "1.9"
    reason: alice signs in through the IdP only
    expires: 2026-12-31
  - check: "1.15"
    reason: waiver ended
    expires: 2026-11-14
`)
	// Unmuted high: 1.3 and 1.6 (root), 1.15 (the expired waiver), alice's
	// and bob's administrator access without MFA; muted: account 3333's 4,
	// alice's 1.9.
	code, out, errs := runFindings(t, "report", "findings", "--store", root, "--run", "2026-11-15", "--format", "json", "--mutelist", ml, "--fail-on", "high")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d: %s", code, ExitFindings, errs)
	}
	if !strings.Contains(errs, "orgiam: --fail-on high: 5 unmuted FAIL findings at or above high remain (high 5, medium 10, low 7; 5 muted)") {
		t.Errorf("stderr %q", errs)
	}
	if !strings.Contains(errs, "mutes.yaml:8: mutelist entry expired on 2026-11-14") {
		t.Errorf("the expired entry is not warned about: %q", errs)
	}
	fs, err := report.DecodeFindings([]byte(out))
	if err != nil || len(fs) != 27 {
		t.Fatalf("%d findings (%v): muted ones must still be listed", len(fs), err)
	}
	muted := map[string]string{}
	for _, f := range fs {
		if f.Muted {
			muted[f.AccountID+" "+f.CheckID+" "+f.Principal] = f.MuteReason
		}
	}
	if len(muted) != 5 || muted["111111111111 1.9 arn:aws:iam::111111111111:user/alice"] != "alice signs in through the IdP only" ||
		muted["333333333333 1.4 root"] != "sandbox account, closed next month" {
		t.Errorf("muted %v", muted)
	}

	// The summary counts what is not muted.
	code, out, errs = runFindings(t, "report", "summary", "--store", root, "--run", "2026-11-15", "--format", "json", "--mutelist", ml, "--fail-on", "low")
	if code != ExitFindings {
		t.Fatalf("summary --fail-on low: exit %d: %s", code, errs)
	}
	var sum report.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Totals.High != 5 || sum.Totals.Medium != 10 || sum.Totals.Low != 7 || sum.Totals.Muted != 5 {
		t.Errorf("totals %+v", sum.Totals)
	}

	// Every high muted: --fail-on high passes, medium does not.
	all := writeFile(t, "all-high.yaml", "mutes:\n  - check: '{1.3,1.4,1.6,1.9,1.15,iam_user_administrator_mfa}'\n    reason: accepted\n")
	if code, _, errs := runFindings(t, "report", "findings", "--store", root, "--run", "2026-11-15", "--mutelist", all, "--fail-on", "high"); code != 0 {
		t.Errorf("every high muted, --fail-on high: exit %d: %s", code, errs)
	}
	if code, _, _ := runFindings(t, "report", "findings", "--store", root, "--run", "2026-11-15", "--mutelist", all, "--fail-on", "medium"); code != ExitFindings {
		t.Errorf("--fail-on medium with medium findings: exit %d", code)
	}
	// No --fail-on: findings do not change the exit code.
	if code, _, _ := runFindings(t, "report", "findings", "--store", root, "--run", "2026-11-15"); code != 0 {
		t.Errorf("no --fail-on: exit %d", code)
	}
	// --check narrows the findings and the gate.
	code, out, _ = runFindings(t, "report", "findings", "--store", root, "--run", "2026-11-15", "--format", "json", "--check", "1.14", "--fail-on", "high")
	fs, _ = report.DecodeFindings([]byte(out))
	if code != 0 || len(fs) != 2 || fs[0].CheckID != "1.14" {
		t.Errorf("--check 1.14 --fail-on high: exit %d, %d findings", code, len(fs))
	}
}

func TestFindingsBadInput(t *testing.T) {
	root := reportStore(t)
	badKey := writeFile(t, "bad-key.yaml", "mutes:\n  - reason: r\n    acount: '1'\n")
	badGlob := writeFile(t, "bad-glob.yaml", "mutes:\n  - reason: r\n    principal: 'arn:aws:iam::*:user/[ab'\n")
	badCheck := writeFile(t, "bad-check.yaml", "mutes:\n  - reason: r\n    check: '2.1'\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "findings", "--format", "xml"}, `--format "xml": expected csv, json, md, html, or for findings ocsf, asff or sarif`},
		{[]string{"report", "users", "--format", "ocsf"}, "--format ocsf: only the findings report has it"},
		{[]string{"report", "findings", "--fail-on", "critical"}, `--fail-on "critical": expected high, medium or low`},
		{[]string{"report", "users", "--fail-on", "high"}, "--fail-on: for the findings and summary reports, not users"},
		{[]string{"report", "findings", "--check", "1.9,9.9"}, `--check "9.9": no such check (the checks are 1.2, 1.3, 1.4,`},
		{[]string{"report", "findings", "--mutelist", badKey}, `--mutelist: ` + badKey + `:3: unknown key "acount"`},
		{[]string{"report", "findings", "--mutelist", badGlob}, `--mutelist: ` + badGlob + `:3: principal: bad glob "arn:aws:iam::*:user/[ab": unclosed [`},
		{[]string{"report", "findings", "--mutelist", badCheck}, `--mutelist: ` + badCheck + `:3: check "2.1": no check has that id`},
		{[]string{"report", "findings", "--mutelist", filepath.Join(root, "nope.yaml")}, "--mutelist: open " + filepath.Join(root, "nope.yaml")},
		{[]string{"report", "findings", "--to", "splunk"}, `--to "splunk": the only destination is security-hub`},
		{[]string{"report", "users", "--to", "security-hub"}, "--to security-hub: imports the findings report"},
		{[]string{"report", "findings", "--to", "security-hub", "--format", "asff"}, "--to security-hub imports the findings and writes no file"},
		{[]string{"report", "findings", "--security-hub-region", "us-esat-1"}, `--security-hub-region "us-esat-1" is not an AWS region (did you mean us-east-1?)`},
	} {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			code, out, errs := runFindings(t, append(tc.args, "--store", root, "--run", "2026-11-15")...)
			if code != ExitUsage {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.HasPrefix(errs, "orgiam: "+tc.want) || strings.Count(errs, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q", errs, "orgiam: "+tc.want)
			}
			if out != "" {
				t.Errorf("wrote %q", out)
			}
		})
	}
}

func TestCollectFailOnAndMutelist(t *testing.T) {
	opts := fakeaws.Options{Seed: 5, Orgs: 1, AccountsPerOrg: 4}
	knobs := func(*fakeaws.World) fakeaws.Knobs { return fakeaws.Knobs{} }
	_, _, m, code, _ := fakeRun(t, opts, knobs, func(c *config.Config) { c.FailOn = "low" })
	if m.Totals.Failed != 0 {
		t.Fatalf("%d accounts failed", m.Totals.Failed)
	}
	if code != ExitFindings {
		t.Fatalf("collect --fail-on low: exit %d, want %d", code, ExitFindings)
	}
	// Everything muted: the same organization passes the gate, and the
	// stored summary counts the findings as muted.
	ml := writeFile(t, "all.yaml", "mutes:\n  - reason: accepted for the test\n")
	var storeDir string
	_, _, _, code, _ = fakeRun(t, opts, knobs, func(c *config.Config) { c.FailOn = "low"; c.Mutelist = ml; storeDir = c.Store })
	if code != 0 {
		t.Fatalf("collect --fail-on low with every finding muted: exit %d", code)
	}
	var sum report.Summary
	data, err := os.ReadFile(filepath.Join(storeDir, "2026-11-23", "reports", "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Totals.Muted == 0 || sum.Totals.High+sum.Totals.Medium+sum.Totals.Low != 0 {
		t.Errorf("summary totals %+v: want every finding muted", sum.Totals)
	}
}

func TestCollectBadFailOnAndMutelist(t *testing.T) {
	isolate(t)
	dir := filepath.Join(t.TempDir(), "data")
	bad := writeFile(t, "m.yaml", "mutes:\n  - reason: r\n    check: '{1.1'\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"collect", "--fail-on", "critical"}, `orgiam: --fail-on: "critical": expected high, medium or low`},
		{[]string{"collect", "--mutelist", bad}, "orgiam: --mutelist: " + bad + `:3: check: bad glob "{1.1": unclosed {`},
	} {
		code, _, errs := runFindings(t, append(tc.args, "--store", dir)...)
		if code != ExitUsage || !strings.HasPrefix(errs, tc.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%v: the store was created", tc.args)
		}
	}
}

// report findings --to security-hub against the fakeaws organization it
// collected: every finding into us-east-1 as the administrator, while
// eu-west-1, where Security Hub is not enabled, is reported on its own.
func TestReportToSecurityHub(t *testing.T) {
	opts := fakeaws.Options{Seed: 5, Orgs: 1, AccountsPerOrg: 4}
	var storeDir string
	w, srv, _, code, _ := fakeRun(t, opts, func(*fakeaws.World) fakeaws.Knobs { return fakeaws.Knobs{} }, func(c *config.Config) { storeDir = c.Store })
	if code != 0 {
		t.Fatalf("collect: exit %d", code)
	}
	srv.SetSecurityHub(fakeaws.SecurityHubOptions{Disabled: []string{"eu-west-1"}, ThrottleFirst: 2})
	t.Setenv("AWS_ENDPOINT_URL", srv.URL())
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIASECURITYHUBTEST1")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_MAX_ATTEMPTS", "6")
	data, err := os.ReadFile(filepath.Join(storeDir, "2026-11-23", "reports", "findings.json"))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := report.DecodeFindings(data)
	if err != nil || len(fs) == 0 {
		t.Fatalf("%d findings in the run (%v)", len(fs), err)
	}
	var stdout, stderr bytes.Buffer
	code = Run(context.Background(), []string{"report", "findings", "--to", "security-hub", "--store", storeDir, "--security-hub-region", "eu-west-1,us-east-1"},
		IO{Out: &stdout, Err: &stderr, Now: testNow})
	if code != ExitUsage {
		t.Errorf("exit %d, want 2 (a region refused)", code)
	}
	t.Logf("stdout: %s\nstderr: %s", stdout.String(), stderr.String())
	got := srv.SecurityHubFindings("us-east-1")
	if len(got) != len(fs) {
		t.Errorf("us-east-1 holds %d findings, want the run's %d", len(got), len(fs))
	}
	admin := w.Orgs()[0].ManagementAccountID
	accounts := map[string]bool{}
	for _, f := range got {
		accounts[f.Finding["AwsAccountId"].(string)] = true
		if f.Caller != admin {
			t.Fatalf("imported by %s, want the administrator %s", f.Caller, admin)
		}
	}
	if len(accounts) < 2 {
		t.Errorf("findings of %d accounts, want the organization's", len(accounts))
	}
	if !strings.Contains(stdout.String(), "security-hub us-east-1: "+strconv.Itoa(len(fs))+" findings of ") {
		t.Errorf("stdout %q", stdout.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "orgiam: security-hub eu-west-1: ") || !strings.Contains(lines[0], "InvalidAccessException") {
		t.Errorf("stderr %q: want one line for eu-west-1", stderr.String())
	}
	if n := srv.SecurityHubCalls()["eu-west-1"]; n != 1 {
		t.Errorf("eu-west-1 called %d times after refusing, want 1", n)
	}
}
