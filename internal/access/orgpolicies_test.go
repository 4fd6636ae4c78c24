package access

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/evaluate"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// The organization of orgPolicyOrg: testOrg's accounts placed as
//
//	r-ab12      Root            111 (management)
//	ou-ab12-1   Root/Work       333
//	ou-ab12-2   Root/Work/Prod  222
const (
	orgID  = "o-test1234"
	rootID = "r-ab12"
	workOU = "ou-ab12-1"
	prodOU = "ou-ab12-2"
	slrARN = "arn:aws:iam::" + acB + ":role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport"
)

var parentOf = map[string]string{mgmt: rootID, acC: workOU, acB: prodOU, workOU: rootID, prodOU: workOU}

var accountNames = map[string]string{mgmt: "management", acB: "prod-app", acC: "work-tools"}

// orgPolicy is one policy of a fixture: its document and where it is attached.
type orgPolicy struct {
	id, name, typ, content string
	targets                []string
}

const (
	fullAccess    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	rcpFullAccess = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
)

// orgPolicyOrg is testOrg with the OU tree above, an admin role in the
// management account and a service-linked admin role in 222, and the given
// organization policies stored as discover stores them: policies.json with
// targets and policy-chains.json built from the targets, root first. Chains
// may name extra policy ids (extra: target id → ids) that policies.json
// does not hold.
func orgPolicyOrg(t *testing.T, pols []orgPolicy, extra map[string][]string) snapshot.Reader {
	t.Helper()
	r := testOrg(t)
	put := func(key string, v any) { putJSON(t, r, key, v) }
	put(store.OrgKey(run, orgID, "ous.json"), []snapshot.OU{
		{ID: rootID, Name: "Root", Type: "ROOT", Path: "Root"},
		{ID: workOU, Name: "Work", Type: "ORGANIZATIONAL_UNIT", ParentID: rootID, Path: "Root/Work"},
		{ID: prodOU, Name: "Prod", Type: "ORGANIZATIONAL_UNIT", ParentID: workOU, Path: "Root/Work/Prod"},
	})
	var accts []snapshot.Account
	for _, id := range []string{mgmt, acB, acC} {
		accts = append(accts, snapshot.Account{ID: id, Name: accountNames[id], OrgID: orgID, ParentID: parentOf[id], Management: id == mgmt})
	}
	put(store.AccountListKey(run), accts)
	admin := []snapshot.AttachedPolicy{{PolicyName: "AdministratorAccess", PolicyArn: adminArn}}
	put(store.IAMKey(run, mgmt, "roles"), []snapshot.Role{{RoleName: "admin", Arn: "arn:aws:iam::" + mgmt + ":role/admin",
		AssumeRolePolicyDocument: trust(`{"AWS":"arn:aws:iam::`+mgmt+`:root"}`, ""), AttachedManagedPolicies: admin}})
	put(store.IAMKey(run, acB, "roles"), []snapshot.Role{
		{RoleName: "OrganizationAccountAccessRole", Arn: "arn:aws:iam::" + acB + ":role/OrganizationAccountAccessRole", AssumeRolePolicyDocument: trust(`{"AWS":"arn:aws:iam::`+mgmt+`:root"}`, ""), AttachedManagedPolicies: admin},
		{RoleName: "AWSServiceRoleForSupport", Path: "/aws-service-role/support.amazonaws.com/", Arn: slrARN, AssumeRolePolicyDocument: trust(`{"Service":"support.amazonaws.com"}`, ""), AttachedManagedPolicies: admin},
	})

	var stored []snapshot.OrgPolicy
	attached := map[string]map[string][]string{} // type → target → ids
	for _, p := range pols {
		op := snapshot.OrgPolicy{ID: p.id, Name: p.name, Type: p.typ, Content: json.RawMessage(p.content)}
		for _, tg := range p.targets {
			typ := "ACCOUNT"
			switch {
			case strings.HasPrefix(tg, "r-"):
				typ = "ROOT"
			case strings.HasPrefix(tg, "ou-"):
				typ = "ORGANIZATIONAL_UNIT"
			}
			op.Targets = append(op.Targets, snapshot.PolicyTarget{TargetID: tg, Type: typ})
			if attached[p.typ] == nil {
				attached[p.typ] = map[string][]string{}
			}
			attached[p.typ][tg] = append(attached[p.typ][tg], p.id)
		}
		stored = append(stored, op)
	}
	var chains []snapshot.PolicyChain
	for _, typ := range []string{snapshot.PolicyTypeSCP, snapshot.PolicyTypeRCP} {
		if attached[typ] == nil {
			continue // the type is not enabled: no chains
		}
		for _, acct := range []string{mgmt, acB, acC} {
			var path []string
			for cur := acct; cur != ""; cur = parentOf[cur] {
				path = append([]string{cur}, path...)
			}
			c := snapshot.PolicyChain{AccountID: acct, Type: typ}
			for _, tg := range path {
				l := snapshot.PolicyLevel{TargetID: tg, Type: "ORGANIZATIONAL_UNIT", Policies: append(slices.Clone(attached[typ][tg]), extra[tg]...)}
				switch {
				case tg == rootID:
					l.Type = "ROOT"
				case tg == acct:
					l.Type, l.Name = "ACCOUNT", accountNames[acct]
				}
				if l.Policies == nil {
					l.Policies = []string{}
				}
				c.Levels = append(c.Levels, l)
			}
			chains = append(chains, c)
		}
	}
	put(store.OrgKey(run, orgID, store.OrgPoliciesFile), stored)
	put(store.OrgKey(run, orgID, "policy-chains.json"), chains)
	return r
}

// everywhere is every target of the organization: where AWS attaches
// FullAWSAccess (and RCPFullAWSAccess) by default.
var everywhere = []string{rootID, workOU, prodOU, mgmt, acB, acC}

func loadOrgPolicies(t *testing.T, pols []orgPolicy, extra map[string][]string) *Org {
	t.Helper()
	o, err := Load(context.Background(), orgPolicyOrg(t, pols, extra))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func simulate(t *testing.T, o *Org, principal string, q Ask) *evaluate.Decision {
	t.Helper()
	p, ok := o.Principal(principal)
	if !ok {
		t.Fatalf("%s not loaded", principal)
	}
	d, err := o.Simulate(p, q)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func explained(d *evaluate.Decision) string { return strings.Join(d.Explain, "\n") }

var (
	prodAdmin = "arn:aws:iam::" + acB + ":role/OrganizationAccountAccessRole"
	workAdmin = "arn:aws:iam::" + acC + ":role/mfa-admin"
	mgmtAdmin = "arn:aws:iam::" + mgmt + ":role/admin"
)

func TestSCPDenyOnOU(t *testing.T) {
	o := loadOrgPolicies(t, []orgPolicy{
		{"p-FullAWSAccess", "FullAWSAccess", snapshot.PolicyTypeSCP, fullAccess, everywhere},
		{"p-denys3", "DenyS3", snapshot.PolicyTypeSCP, `{"Version":"2012-10-17","Statement":[{"Sid":"NoS3","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, []string{prodOU}},
	}, nil)
	if len(o.Warnings) != 0 || !o.HasOrgPolicies || len(o.NoOrgPolicies) != 0 {
		t.Fatalf("warnings %v, HasOrgPolicies %v, NoOrgPolicies %v", o.Warnings, o.HasOrgPolicies, o.NoOrgPolicies)
	}
	if got := len(o.Accounts[acB].SCPs); got != 4 {
		t.Fatalf("222 has %d SCP levels, want 4 (root, Work, Prod, account)", got)
	}
	if o.LevelName(prodOU) != "Root/Work/Prod" || o.LevelName(acB) != "prod-app" || o.LevelName(rootID) != "Root" {
		t.Fatalf("level names: %q %q %q", o.LevelName(prodOU), o.LevelName(acB), o.LevelName(rootID))
	}
	// Under Prod: denied, by the Prod level, with the policy named.
	q := Ask{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/k"}
	d := simulate(t, o, prodAdmin, q)
	if d.Decision != evaluate.ExplicitlyDenied {
		t.Fatalf("222 (Root/Work/Prod) s3:GetObject: %s\n%s", d.Decision, explained(d))
	}
	var deny *evaluate.Match
	for i, m := range d.Matches {
		if m.Effect == "Deny" {
			deny = &d.Matches[i]
		}
	}
	if deny == nil || deny.Type != "scp" || deny.LevelID != prodOU || deny.Level != 2 || deny.Policy != "DenyS3 (p-denys3)" || deny.Sid != "NoS3" {
		t.Fatalf("deny match %+v in %+v", deny, d.Matches)
	}
	// Outside Prod (in its parent Work): allowed, and other services under
	// Prod are unaffected.
	if d := simulate(t, o, workAdmin, Ask{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/k"}); d.Decision != evaluate.Allowed {
		t.Fatalf("333 (Root/Work) s3:GetObject: %s\n%s", d.Decision, explained(d))
	}
	if d := simulate(t, o, prodAdmin, Ask{Action: "ec2:DescribeInstances", Resource: "*"}); d.Decision != evaluate.Allowed {
		t.Fatalf("222 ec2:DescribeInstances: %s\n%s", d.Decision, explained(d))
	}
	// who-can leaves out 222's principals (but its service-linked role) and
	// alice's path through them; she still reaches the management account's
	// admin role, which SCPs do not restrict.
	got, err := o.WhoCan(context.Background(), q, WhoCanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := grantsString(got)
	if strings.Contains(s, acB+":role/OrganizationAccountAccessRole Allowed") || strings.Contains(s, "via "+prodAdmin) ||
		!strings.Contains(s, workAdmin+" Allowed") || !strings.Contains(s, slrARN+" Allowed") || !strings.Contains(s, "user/alice Allowed via "+mgmtAdmin) {
		t.Fatalf("who-can s3:GetObject with S3 denied under Prod:\n%s", s)
	}
}

func TestSCPMissingAllowAtALevel(t *testing.T) {
	// FullAWSAccess detached from Work: every account under it (Work and
	// Prod below it) lacks an Allow at that level.
	o := loadOrgPolicies(t, []orgPolicy{
		{"p-FullAWSAccess", "FullAWSAccess", snapshot.PolicyTypeSCP, fullAccess, []string{rootID, prodOU, mgmt, acB, acC}},
	}, nil)
	for _, who := range []string{workAdmin, prodAdmin} {
		d := simulate(t, o, who, Ask{Action: "ec2:DescribeInstances", Resource: "*"})
		if d.Decision != evaluate.ImplicitlyDenied || !strings.Contains(explained(d), "SCP level 1 ("+workOU+"): no statement allows") {
			t.Fatalf("%s with no SCP allowing at Work: %s\n%s", who, d.Decision, explained(d))
		}
	}
	if d := simulate(t, o, mgmtAdmin, Ask{Action: "ec2:DescribeInstances", Resource: "*"}); d.Decision != evaluate.Allowed {
		t.Fatalf("management account (at the root): %s\n%s", d.Decision, explained(d))
	}
}

func TestSCPsExemptions(t *testing.T) {
	denyAll := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`
	o := loadOrgPolicies(t, []orgPolicy{
		{"p-FullAWSAccess", "FullAWSAccess", snapshot.PolicyTypeSCP, fullAccess, everywhere},
		// Attached to the management account itself and to 222: SCPs do
		// not apply to the management account, nor to service-linked roles.
		{"p-denyall", "DenyAll", snapshot.PolicyTypeSCP, denyAll, []string{mgmt, acB}},
	}, nil)
	q := Ask{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/k"}
	d := simulate(t, o, mgmtAdmin, q)
	if d.Decision != evaluate.Allowed || !strings.Contains(explained(d), "SCPs do not apply: the principal is in the management account "+mgmt) {
		t.Fatalf("management account under DenyAll: %s\n%s", d.Decision, explained(d))
	}
	d = simulate(t, o, slrARN, q)
	if d.Decision != evaluate.Allowed || !strings.Contains(explained(d), "service-linked role") {
		t.Fatalf("service-linked role of 222 under DenyAll: %s\n%s", d.Decision, explained(d))
	}
	if d := simulate(t, o, prodAdmin, q); d.Decision != evaluate.ExplicitlyDenied {
		t.Fatalf("other role of 222 under DenyAll: %s\n%s", d.Decision, explained(d))
	}
}

func TestRCPDenyOnMemberResources(t *testing.T) {
	denyDelete := `{"Version":"2012-10-17","Statement":[{"Sid":"NoDelete","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"*"}]}`
	o := loadOrgPolicies(t, []orgPolicy{
		{"p-FullAWSAccess", "FullAWSAccess", snapshot.PolicyTypeSCP, fullAccess, everywhere},
		{"p-RCPFullAWSAccess", "RCPFullAWSAccess", snapshot.PolicyTypeRCP, rcpFullAccess, everywhere},
		{"p-nodelete", "NoDelete", snapshot.PolicyTypeRCP, denyDelete, []string{rootID}},
	}, nil)
	if len(o.Warnings) != 0 || len(o.Accounts[acB].RCPs) != 4 {
		t.Fatalf("warnings %v; 222 has %d RCP levels", o.Warnings, len(o.Accounts[acB].RCPs))
	}
	del := func(acct string) Ask {
		return Ask{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::bucket-" + acct + "/k", ResourceAccount: acct}
	}
	d := simulate(t, o, prodAdmin, del(acB))
	if d.Decision != evaluate.ExplicitlyDenied || !slices.ContainsFunc(d.Matches, func(m evaluate.Match) bool {
		return m.Type == "rcp" && m.LevelID == rootID && m.Policy == "NoDelete (p-nodelete)" && m.Effect == "Deny"
	}) {
		t.Fatalf("222's admin deletes in 222 under an RCP deny at the root: %s %+v\n%s", d.Decision, d.Matches, explained(d))
	}
	// The RCP applies to the resource's account, whoever calls: even the
	// management account's principals, whom SCPs do not restrict. (No
	// bucket policy grants it, so it would be implicitly denied anyway;
	// the explicit deny is the RCP's.)
	if d := simulate(t, o, mgmtAdmin, del(acB)); d.Decision != evaluate.ExplicitlyDenied {
		t.Fatalf("management admin deletes in 222: %s\n%s", d.Decision, explained(d))
	}
	// Resources of the management account are not subject to RCPs.
	d = simulate(t, o, mgmtAdmin, del(mgmt))
	if d.Decision != evaluate.Allowed || !strings.Contains(explained(d), "RCPs do not apply: the resource is in the management account") {
		t.Fatalf("management admin deletes in the management account: %s\n%s", d.Decision, explained(d))
	}
	// Other actions on member resources are allowed (RCPFullAWSAccess).
	if d := simulate(t, o, prodAdmin, Ask{Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket-222/k", ResourceAccount: acB}); d.Decision != evaluate.Allowed {
		t.Fatalf("222's admin reads in 222: %s\n%s", d.Decision, explained(d))
	}
	// Service-linked roles are exempt from RCPs too.
	if d := simulate(t, o, slrARN, del(acB)); d.Decision != evaluate.Allowed {
		t.Fatalf("service-linked role deletes in 222: %s\n%s", d.Decision, explained(d))
	}
}

func TestOrgPolicyWarnings(t *testing.T) {
	o := loadOrgPolicies(t, []orgPolicy{
		{"p-FullAWSAccess", "FullAWSAccess", snapshot.PolicyTypeSCP, fullAccess, everywhere},
		{"p-broken", "Broken", snapshot.PolicyTypeSCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}`, []string{prodOU}},
	}, map[string][]string{workOU: {"p-missing"}})
	w := strings.Join(o.Warnings, "\n")
	if !strings.Contains(w, "organization "+orgID+": SCP Broken (p-broken): ") || !strings.Contains(w, "Effect") {
		t.Errorf("no warning naming the policy that does not compile:\n%s", w)
	}
	// The unknown id is at an OU level, shared by both accounts under Work:
	// one warning, not one per account.
	if n := strings.Count(w, "names policy p-missing, which policies.json does not hold"); n != 1 {
		t.Errorf("%d warnings about the unknown policy id, want 1:\n%s", n, w)
	}
	if len(o.Warnings) != 2 {
		t.Errorf("warnings: %q", o.Warnings)
	}
	// Both are left out of their levels: the rest still evaluates.
	if d := simulate(t, o, prodAdmin, Ask{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/k"}); d.Decision != evaluate.Allowed {
		t.Fatalf("222 with the broken SCP left out: %s\n%s", d.Decision, explained(d))
	}
	if n := len(o.Accounts[acB].SCPs[2].Policies); n != 1 {
		t.Fatalf("Prod level holds %d compiled policies, want 1 (FullAWSAccess)", n)
	}
}

func TestNoOrgPolicies(t *testing.T) {
	o, err := Load(context.Background(), testOrg(t))
	if err != nil {
		t.Fatal(err)
	}
	if o.HasOrgPolicies || strings.Join(o.NoOrgPolicies, ",") != orgID || o.Accounts[acB].SCPs != nil {
		t.Fatalf("run without policies.json: HasOrgPolicies %v, NoOrgPolicies %v, SCPs %v", o.HasOrgPolicies, o.NoOrgPolicies, o.Accounts[acB].SCPs)
	}
}
