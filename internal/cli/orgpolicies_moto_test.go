package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
	"github.com/orgiam/orgiam/internal/testutil/moto"
)

// TestOrgPoliciesAgainstMoto builds an organization with SCPs and RCPs on
// the root, an OU and an account and a delegated administrator in
// moto_server, collects it, and checks policies.json, policy-chains.json
// and delegated-administrators.json against what was created, then a
// simulate answer denied by the OU's SCP.
//
// What moto (5.x) does, and this test relies on: CreateOrganization,
// CreateOrganizationalUnit and CreateAccount attach FullAWSAccess (and
// RCPFullAWSAccess) to the new root, OU or account, as AWS does; the root
// lists a policy type only once EnablePolicyType is called;
// ListTargetsForPolicy returns every target in one page; delegated
// administrators can be registered only for the few services moto lists
// (guardduty and access-analyzer among them; not config.amazonaws.com).
func TestOrgPoliciesAgainstMoto(t *testing.T) {
	srv := moto.Start(t)
	ctx := context.Background()
	base := baseCfg(srv.Endpoint)
	org := buildOrg(t, ctx, base, map[string]string{"prod-a": "Prod", "sandbox-b": "Sandbox"})
	prod, sandbox := org.accounts["prod-a"], org.accounts["sandbox-b"]
	root, wl, prodOU, sandboxOU := org.ous["Root"], org.ous["Workloads"], org.ous["Prod"], org.ous["Sandbox"]
	api := organizations.NewFromConfig(base)
	for _, typ := range []types.PolicyType{types.PolicyTypeServiceControlPolicy, types.PolicyTypeResourceControlPolicy} {
		if _, err := api.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(root), PolicyType: typ}); err != nil {
			t.Fatalf("EnablePolicyType %s: %v", typ, err)
		}
	}
	create := func(name string, typ types.PolicyType, content string, targets ...string) string {
		t.Helper()
		out, err := api.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String(name), Description: aws.String(name + " guardrail"), Type: typ, Content: aws.String(content)})
		if err != nil {
			t.Fatalf("CreatePolicy %s: %v", name, err)
		}
		id := aws.ToString(out.Policy.PolicySummary.Id)
		for _, tg := range targets {
			if _, err := api.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(tg)}); err != nil {
				t.Fatalf("AttachPolicy %s to %s: %v", name, tg, err)
			}
		}
		return id
	}
	denyLeave := create("DenyLeave", types.PolicyTypeServiceControlPolicy, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`, root)
	prodData := create("ProdProtectData", types.PolicyTypeServiceControlPolicy, `{"Version":"2012-10-17","Statement":[{"Sid":"NoDataDeletion","Effect":"Deny","Action":["s3:DeleteBucket","kms:ScheduleKeyDeletion"],"Resource":"*"}]}`, prodOU)
	noCommit := create("SandboxNoCommitments", types.PolicyTypeServiceControlPolicy, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"savingsplans:CreateSavingsPlan","Resource":"*"}]}`, sandbox)
	orgOnly := create("EnforceOrgIdentities", types.PolicyTypeResourceControlPolicy, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"`+org.id+`"}}}]}`, wl)
	if _, err := api.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{AccountId: aws.String(sandbox), ServicePrincipal: aws.String("guardduty.amazonaws.com")}); err != nil {
		t.Fatalf("RegisterDelegatedAdministrator: %v", err)
	}
	if _, err := api.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{AccountId: aws.String(sandbox), ServicePrincipal: aws.String("access-analyzer.amazonaws.com")}); err != nil {
		t.Fatalf("RegisterDelegatedAdministrator: %v", err)
	}

	dir := t.TempDir()
	t.Setenv("AWS_ENDPOINT_URL", srv.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEBASE00000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	storeDir := filepath.Join(dir, "data")
	var out, errb bytes.Buffer
	code := Run(ctx, []string{"collect", "--org-role", "arn:aws:iam::" + mgmt + ":role/orgiam-list",
		"--store", storeDir, "--date", "2026-11-23", "--credential-report-wait", "100ms"}, IO{Out: &out, Err: &errb})
	if code != 0 {
		t.Fatalf("collect exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	r := snapshot.Reader{Store: store.NewFile(storeDir), Run: "2026-11-23"}
	set, err := r.OrgPolicies(ctx, org.id)
	if err != nil {
		t.Fatal(err)
	}
	if !set.HasPolicies || !set.HasAdmins {
		t.Fatalf("policies stored %v, delegated administrators stored %v", set.HasPolicies, set.HasAdmins)
	}

	// policies.json: every policy of both types, content as a JSON object,
	// targets as attached.
	targets := map[string][]string{}
	byName := map[string]snapshot.OrgPolicy{}
	for _, p := range set.Policies {
		byName[p.Name] = p
		var obj map[string]any
		if err := json.Unmarshal(p.Content, &obj); err != nil || obj["Statement"] == nil {
			t.Errorf("policy %s (%s): content is not a policy object: %s", p.Name, p.ID, p.Content)
		}
		for _, tg := range p.Targets {
			targets[p.ID] = append(targets[p.ID], tg.TargetID)
		}
		sort.Strings(targets[p.ID])
	}
	everywhere := []string{root, wl, prodOU, sandboxOU, mgmt, prod, sandbox}
	sort.Strings(everywhere)
	wantTargets := map[string]struct {
		id, typ string
		targets []string
	}{
		"FullAWSAccess":        {"p-FullAWSAccess", snapshot.PolicyTypeSCP, everywhere},
		"RCPFullAWSAccess":     {"", snapshot.PolicyTypeRCP, everywhere},
		"DenyLeave":            {denyLeave, snapshot.PolicyTypeSCP, []string{root}},
		"ProdProtectData":      {prodData, snapshot.PolicyTypeSCP, []string{prodOU}},
		"SandboxNoCommitments": {noCommit, snapshot.PolicyTypeSCP, []string{sandbox}},
		"EnforceOrgIdentities": {orgOnly, snapshot.PolicyTypeRCP, []string{wl}},
	}
	if len(byName) != len(wantTargets) {
		t.Errorf("%d policies stored, want %d: %v", len(byName), len(wantTargets), slices.Sorted(func(yield func(string) bool) {
			for n := range byName {
				if !yield(n) {
					return
				}
			}
		}))
	}
	for name, w := range wantTargets {
		p, ok := byName[name]
		if !ok {
			t.Errorf("policy %s not stored", name)
			continue
		}
		if (w.id != "" && p.ID != w.id) || p.Type != w.typ || !slices.Equal(targets[p.ID], w.targets) {
			t.Errorf("policy %s: id %s type %s targets %v, want id %s type %s targets %v", name, p.ID, p.Type, targets[p.ID], w.id, w.typ, w.targets)
		}
	}
	if !bytes.Contains(byName["ProdProtectData"].Content, []byte(`"NoDataDeletion"`)) || byName["ProdProtectData"].Description != "ProdProtectData guardrail" {
		t.Errorf("ProdProtectData stored as %+v", byName["ProdProtectData"])
	}

	// policy-chains.json: root → OUs → account, per type, for every account.
	full, rcpFull := byName["FullAWSAccess"].ID, byName["RCPFullAWSAccess"].ID
	chain := func(acct, typ string) string {
		c, ok := set.Chain(acct, typ)
		if !ok {
			return "none"
		}
		var parts []string
		for _, l := range c.Levels {
			ps := slices.Clone(l.Policies)
			sort.Strings(ps)
			parts = append(parts, l.Type+":"+l.TargetID+"="+strings.Join(ps, "+"))
		}
		return strings.Join(parts, " > ")
	}
	sorted := func(ids ...string) string { sort.Strings(ids); return strings.Join(ids, "+") }
	wantChains := map[[2]string]string{
		{prod, snapshot.PolicyTypeSCP}: "ROOT:" + root + "=" + sorted(full, denyLeave) + " > ORGANIZATIONAL_UNIT:" + wl + "=" + full +
			" > ORGANIZATIONAL_UNIT:" + prodOU + "=" + sorted(full, prodData) + " > ACCOUNT:" + prod + "=" + full,
		{sandbox, snapshot.PolicyTypeSCP}: "ROOT:" + root + "=" + sorted(full, denyLeave) + " > ORGANIZATIONAL_UNIT:" + sandboxOU + "=" + full +
			" > ACCOUNT:" + sandbox + "=" + sorted(full, noCommit),
		{mgmt, snapshot.PolicyTypeSCP}: "ROOT:" + root + "=" + sorted(full, denyLeave) + " > ACCOUNT:" + mgmt + "=" + full,
		{prod, snapshot.PolicyTypeRCP}: "ROOT:" + root + "=" + rcpFull + " > ORGANIZATIONAL_UNIT:" + wl + "=" + sorted(rcpFull, orgOnly) +
			" > ORGANIZATIONAL_UNIT:" + prodOU + "=" + rcpFull + " > ACCOUNT:" + prod + "=" + rcpFull,
		{sandbox, snapshot.PolicyTypeRCP}: "ROOT:" + root + "=" + rcpFull + " > ORGANIZATIONAL_UNIT:" + sandboxOU + "=" + rcpFull + " > ACCOUNT:" + sandbox + "=" + rcpFull,
	}
	for k, w := range wantChains {
		if got := chain(k[0], k[1]); got != w {
			t.Errorf("chain of %s %s:\n got %s\nwant %s", k[0], k[1], got, w)
		}
	}
	if n := len(set.Chains); n != 6 {
		t.Errorf("%d chains stored, want 6 (3 accounts × 2 types)", n)
	}

	// delegated-administrators.json.
	if len(set.Admins) != 1 || set.Admins[0].ID != sandbox || set.Admins[0].Name != "sandbox-b" ||
		strings.Join(slices.Sorted(slices.Values(set.Admins[0].ServicePrincipals)), ",") != "access-analyzer.amazonaws.com,guardduty.amazonaws.com" {
		t.Errorf("delegated administrators: %+v", set.Admins)
	}

	// The evaluator reads them: prod-a's admin role may not delete buckets
	// (the Prod OU's SCP), the management account's may (SCPs do not apply).
	role := "arn:aws:iam::" + prod + ":role/OrganizationAccountAccessRole"
	code, sout, serr := runCLI(t, "", "simulate", "--store", storeDir, "--cache-dir", "none", "--principal", role, "--action", "s3:DeleteBucket",
		"--resource", "arn:aws:s3:::bucket-a", "--resource-account", prod, "--explain")
	if code != 0 || !strings.HasPrefix(sout, "ExplicitlyDenied\n") ||
		!strings.Contains(sout, "SCP level 2 (OU Root/Workloads/Prod, "+prodOU+"): ProdProtectData ("+prodData+") statement 0 NoDataDeletion: Deny") {
		t.Fatalf("simulate prod-a s3:DeleteBucket: exit %d\n%s\n%s", code, sout, serr)
	}
	if strings.Contains(serr, "holds no SCPs") {
		t.Errorf("SCPs were collected, yet: %s", serr)
	}
}
