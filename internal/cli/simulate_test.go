package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/fakeaws"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	root := NewRoot(IO{Out: &out, Err: &errb, Now: testNow})
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	code := ExitOK
	if err := root.ExecuteContext(context.Background()); err != nil {
		code = ExitError
		if ee, ok := err.(*exitError); ok {
			code = ee.code
		}
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

const simRequest = `{"principal":"arn:aws:iam::111111111111:user/alice","action":"s3:GetObject","resource":"arn:aws:s3:::b/k",
 "identityPolicies":[{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}],
 "scps":[[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}],
         [{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]},{"Version":"2012-10-17","Statement":[{"Sid":"NoPublic","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}]],
 "context":{"aws:SecureTransport":"false"}}`

func TestSimulateInput(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "req.json")
	if err := os.WriteFile(file, []byte(simRequest), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "simulate", "--input", file, "--explain")
	if code != 0 || !strings.HasPrefix(out, "ExplicitlyDenied\n") || !strings.Contains(out, "SCP level 1: scps[1][1] statement 0 NoPublic: Deny") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCLI(t, strings.Replace(simRequest, `"false"}}`, `"true"}}`, 1), "simulate", "--input", "-", "--format", "json")
	var d struct {
		Decision string `json:"decision"`
		Matches  []struct {
			Type string `json:"type"`
			Sid  string `json:"sid"`
		} `json:"matches"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || code != 0 || d.Decision != "Allowed" || len(d.Matches) == 0 {
		t.Fatalf("exit %d, %v\n%s\n%s", code, err, out, errs)
	}
	bad := []struct{ in, want string }{
		{`{"principal":"arn:aws:iam::111111111111:user/a","action":"s3:GetObject","identityPolicy":[]}`, `unknown field "identityPolicy"`},
		{"{\n\"principal\": ,}", "line 2, column 14"},
		{`{"principal":"arn:aws:iam::111111111111:user/a","action":"s3:GetObject","identityPolicies":[{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}]}`, `identityPolicies[0]: statement 0: Effect "allow"`},
		{`{"principal":"user/a","action":"s3:GetObject"}`, "principal"},
	}
	for _, b := range bad {
		code, out, errs := runCLI(t, b.in, "simulate", "--input", "-")
		if code != ExitUsage || out != "" || !strings.Contains(errs, b.want) {
			t.Errorf("%s: exit %d, out %q, err %q (want %q)", b.in, code, out, errs, b.want)
		}
	}
	code, _, errs = runCLI(t, strings.Replace(simRequest, "s3:GetObject", "s3:GetObjectz", 1), "simulate", "--input", "-")
	if code != 0 || !strings.Contains(errs, "s3:GetObjectz is not in the IAM catalogue") {
		t.Errorf("unknown action: exit %d, %s", code, errs)
	}
	if code, _, _ := runCLI(t, "", "simulate"); code != ExitUsage {
		t.Errorf("no request: exit %d", code)
	}
	if code, _, errs := runCLI(t, strings.Replace(simRequest, `"action":"s3:GetObject"`, `"action":"s3:Get*"`, 1), "simulate", "--input", "-"); code != ExitUsage || !strings.Contains(errs, "without wildcards") {
		t.Errorf("wildcard action: exit %d %s", code, errs)
	}
	code, _, errs = runCLI(t, strings.Replace(simRequest, `"Sid":"Read",`, `"Sid":"Read","Condition":{"StringFuzzy":{"aws:username":"x"}},`, 1), "simulate", "--input", "-")
	if code != 0 || !strings.Contains(errs, `warning: statement 0 (Read): unknown condition operator "StringFuzzy"`) {
		t.Errorf("unknown operator: exit %d %s", code, errs)
	}
}

// TestEvaluatorOnSnapshot collects a small generated organization and asks
// simulate, who-can and can about it. The expectations follow from how
// internal/fakeaws builds every account: OrganizationAccountAccessRole trusts
// the management account and has AdministratorAccess.
func TestEvaluatorOnSnapshot(t *testing.T) {
	world, _, m, code, _ := fakeRun(t, fakeaws.Options{Seed: 3, AccountsPerOrg: 4}, func(*fakeaws.World) fakeaws.Knobs { return fakeaws.Knobs{} }, nil)
	if code != 0 {
		t.Fatalf("collect exit %d", code)
	}
	st := strings.TrimPrefix(m.Store, "file://")
	mgmt := world.Orgs()[0].ManagementAccountID
	var member string
	for _, a := range m.Accounts {
		if a.ID != mgmt && a.Status == "ok" {
			member = a.ID
			break
		}
	}
	oaar := "arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"
	code, out, errs := runCLI(t, "", "simulate", "--store", st, "--principal", oaar, "--action", "iam:CreateUser", "--resource", "arn:aws:iam::"+member+":user/x", "--explain")
	if code != 0 || !strings.HasPrefix(out, "Allowed\n") || !strings.Contains(out, "AdministratorAccess") {
		t.Fatalf("simulate: exit %d\n%s\n%s", code, out, errs)
	}
	// Across accounts IAM has no resource policy: denied.
	code, out, _ = runCLI(t, "", "simulate", "--store", st, "--principal", oaar, "--action", "iam:CreateUser", "--resource", "arn:aws:iam::"+mgmt+":user/x")
	if code != 0 || !strings.HasPrefix(out, "ImplicitlyDenied") {
		t.Fatalf("cross-account simulate: exit %d\n%s", code, out)
	}
	code, out, errs = runCLI(t, "", "who-can", "iam:CreateUser", "--store", st, "--format", "json")
	if code != 0 {
		t.Fatalf("who-can: exit %d\n%s", code, errs)
	}
	var rows []map[string]string
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("who-can json: %v\n%s", err, out)
	}
	found, chained := false, false
	for _, r := range rows {
		if r["principal"] == oaar && r["decision"] == "Allowed" && r["via"] == "" {
			found = true
		}
		if r["account"] == mgmt && strings.HasSuffix(r["via"], "role/OrganizationAccountAccessRole") {
			chained = true
		}
	}
	if !found {
		t.Errorf("who-can iam:CreateUser does not list %s:\n%s", oaar, out)
	}
	if !chained {
		t.Errorf("no principal of the management account %s reaches a member's OrganizationAccountAccessRole:\n%s", mgmt, out)
	}
	code, out, _ = runCLI(t, "", "can", oaar, "--store", st, "--service", "iam", "--format", "csv")
	if code != 0 || !strings.Contains(out, "iam,iam:CreateUser,*,Allowed") {
		t.Fatalf("can: exit %d\n%s", code, out)
	}
	if code, _, errs := runCLI(t, "", "can", "arn:aws:iam::"+member+":role/nope", "--store", st); code != ExitUsage || !strings.Contains(errs, "no such user or role") {
		t.Errorf("unknown principal: exit %d %s", code, errs)
	}
}

// TestSimulateNamesSCPLevel: on fakeaws's organization (FullAWSAccess
// everywhere and its default guardrails), a member account under the OU of
// the ProdProtectData guardrail is denied s3:DeleteBucket, and the answer
// names the OU by its path and the policy as "Name (p-id)".
func TestSimulateNamesSCPLevel(t *testing.T) {
	world, _, m, code, _ := fakeRun(t, fakeaws.Options{Seed: 3, AccountsPerOrg: 12}, func(*fakeaws.World) fakeaws.Knobs { return fakeaws.Knobs{} }, nil)
	if code != 0 {
		t.Fatalf("collect exit %d", code)
	}
	st := strings.TrimPrefix(m.Store, "file://")
	org := world.Orgs()[0]
	var guard *fakeaws.OrgPolicy
	for _, p := range org.Policies {
		if p.Name == "ProdProtectData" {
			guard = p
		}
	}
	if guard == nil || len(guard.Targets) != 1 {
		t.Fatalf("no ProdProtectData guardrail on one target: %+v", guard)
	}
	ou := guard.Targets[0]
	parent, path := map[string]string{}, ""
	for _, u := range org.OUs {
		parent[u.ID] = u.ParentID
		if u.ID == ou {
			path = u.Path
		}
	}
	under := func(id string) bool {
		for cur, n := id, 0; cur != "" && n < 10; cur, n = parent[cur], n+1 {
			if cur == ou {
				return true
			}
		}
		return false
	}
	ok := map[string]bool{}
	for _, a := range m.Accounts {
		ok[a.ID] = a.Status == "ok"
	}
	var inside, outside string
	for _, a := range world.Accounts() {
		if a.OrgID != org.ID || a.Management || !ok[a.ID] {
			continue
		}
		if under(a.ParentID) && inside == "" {
			inside = a.ID
		} else if !under(a.ParentID) && outside == "" {
			outside = a.ID
		}
	}
	if inside == "" || outside == "" || path == "" {
		t.Fatalf("no collected member account under %s (%q) and one outside: %q %q", ou, path, inside, outside)
	}
	ask := func(acct string, extra ...string) (int, string, string) {
		args := append([]string{"simulate", "--store", st, "--principal", "arn:aws:iam::" + acct + ":role/OrganizationAccountAccessRole",
			"--action", "s3:DeleteBucket", "--resource", "arn:aws:s3:::bucket-" + acct, "--resource-account", acct}, extra...)
		return runCLI(t, "", args...)
	}
	code, out, errs := ask(inside, "--explain")
	if code != 0 || !strings.HasPrefix(out, "ExplicitlyDenied\n") {
		t.Fatalf("simulate in %s: exit %d\n%s\n%s", inside, code, out, errs)
	}
	level := "(OU " + path + ", " + ou + ")"
	if !strings.Contains(out, level+": ProdProtectData ("+guard.ID+") statement 0 NoDataDeletion: Deny") {
		t.Errorf("the deny is not named by OU path and policy:\n%s", out)
	}
	if !strings.Contains(out, "explicitly denied") || !strings.Contains(out, "SCP level") || strings.Count(out, level) < 2 {
		t.Errorf("the explanation does not name the denying level %s:\n%s", level, out)
	}
	if strings.Contains(errs, "holds no SCPs") {
		t.Errorf("SCPs are stored, yet: %s", errs)
	}
	code, out, _ = ask(inside, "--explain", "--format", "json")
	if code != 0 || !strings.Contains(out, level) {
		t.Errorf("json explanation does not name %s: exit %d\n%s", level, code, out)
	}
	if code, out, errs := ask(outside); code != 0 || out != "Allowed\n" {
		t.Errorf("simulate in %s (outside %s): exit %d\n%s\n%s", outside, path, code, out, errs)
	}
}

// TestSimulateNotesOrganizationsWithoutSCPs: a list role that may not read
// organization policies leaves them out, and the answers name the
// organization.
func TestSimulateNotesOrganizationsWithoutSCPs(t *testing.T) {
	world, _, m, code, _ := fakeRun(t, fakeaws.Options{Seed: 3, AccountsPerOrg: 3}, func(*fakeaws.World) fakeaws.Knobs { return fakeaws.Knobs{DenyOrgPolicies: true} }, nil)
	// The accounts are scanned; the policies that could not be read are a
	// run error.
	if code != ExitAccountFailed || len(m.Errors) == 0 || !strings.Contains(strings.Join(m.Errors, "\n"), "organizations:ListPolicies") {
		t.Fatalf("collect with a list role that may not read policies: exit %d, errors %q", code, m.Errors)
	}
	st := strings.TrimPrefix(m.Store, "file://")
	org := world.Orgs()[0]
	var member string
	for _, a := range m.Accounts {
		if a.ID != org.ManagementAccountID && a.Status == "ok" {
			member = a.ID
			break
		}
	}
	if member == "" {
		t.Fatalf("no member account collected: %+v", m.Accounts)
	}
	code, out, errs := runCLI(t, "", "simulate", "--store", st, "--principal", "arn:aws:iam::"+member+":role/OrganizationAccountAccessRole", "--action", "iam:CreateUser", "--resource", "arn:aws:iam::"+member+":user/x")
	want := "holds no SCPs or RCPs of organization " + org.ID + ": they are not part of this evaluation for its accounts"
	if code != 0 || out != "Allowed\n" || !strings.Contains(errs, want) {
		t.Fatalf("exit %d\n%s\n%s\nwant a note: %s", code, out, errs, want)
	}
}
