package access

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/evaluate"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

const (
	mgmt = "111111111111"
	acB  = "222222222222"
	acC  = "333333333333"
	run  = "2026-11-30"
)

func doc(stmts string) json.RawMessage {
	return json.RawMessage(`{"Version":"2012-10-17","Statement":[` + stmts + `]}`)
}

func trust(principal, cond string) json.RawMessage {
	c := ""
	if cond != "" {
		c = `,"Condition":` + cond
	}
	return doc(`{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"` + c + `}`)
}

func inline(name string, d json.RawMessage) []snapshot.InlinePolicy {
	return []snapshot.InlinePolicy{{PolicyName: name, PolicyDocument: d}}
}

const adminArn = "arn:aws:iam::aws:policy/AdministratorAccess"

// testOrg writes a three-account organization to a folder store:
//
//	111 (management): alice may assume any role; carol has nothing; role
//	                  auditor (trusts account 333) reads S3
//	222:              OrganizationAccountAccessRole (trusts 111) is admin;
//	                  bob may read S3 but his boundary allows only EC2; role
//	                  app (trusts EC2) reads S3
//	333:              dave may assume 111's auditor; erin may assume any
//	                  role; mfa-admin (trusts 333 with MFA) is admin; loop-a
//	                  and loop-b trust each other and read nothing
func testOrg(t *testing.T) snapshot.Reader {
	t.Helper()
	ctx := context.Background()
	st := store.NewFile(t.TempDir())
	put := func(key string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Put(ctx, key, b); err != nil {
			t.Fatal(err)
		}
	}
	org := "o-test1234"
	put(store.OrgKey(run, org, "organization.json"), snapshot.Organization{ID: org, MasterAccountID: mgmt})
	put(store.OrgKey(run, org, "ous.json"), []snapshot.OU{{ID: "r-ab12", Name: "Root", Type: "ROOT"}, {ID: "ou-ab12-1", Name: "Work", Type: "ORGANIZATIONAL_UNIT", ParentID: "r-ab12"}})
	accts := []snapshot.Account{
		{ID: mgmt, OrgID: org, ParentID: "r-ab12", Management: true},
		{ID: acB, OrgID: org, ParentID: "ou-ab12-1"},
		{ID: acC, OrgID: org, ParentID: "ou-ab12-1"},
	}
	put(store.AccountListKey(run), accts)
	put(store.AWSManagedPolicyKey(run, "AdministratorAccess"), snapshot.ManagedPolicy{PolicyName: "AdministratorAccess", Arn: adminArn, DefaultVersionID: "v1",
		PolicyVersionList: []snapshot.PolicyVersion{{VersionID: "v1", IsDefaultVersion: true, Document: doc(`{"Effect":"Allow","Action":"*","Resource":"*"}`)}}})
	assumeAny := inline("assume", doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}`))
	s3read := doc(`{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}`)
	admin := []snapshot.AttachedPolicy{{PolicyName: "AdministratorAccess", PolicyArn: adminArn}}
	iam := map[string]struct {
		users []snapshot.User
		roles []snapshot.Role
	}{
		mgmt: {
			users: []snapshot.User{
				{UserName: "alice", Arn: "arn:aws:iam::" + mgmt + ":user/alice", UserPolicyList: assumeAny},
				{UserName: "carol", Arn: "arn:aws:iam::" + mgmt + ":user/carol"},
			},
			roles: []snapshot.Role{{RoleName: "auditor", Arn: "arn:aws:iam::" + mgmt + ":role/auditor", AssumeRolePolicyDocument: trust(`{"AWS":"arn:aws:iam::`+acC+`:root"}`, ""), RolePolicyList: inline("read", s3read)}},
		},
		acB: {
			users: []snapshot.User{{UserName: "bob", Arn: "arn:aws:iam::" + acB + ":user/bob", UserPolicyList: inline("read", s3read),
				PermissionsBoundary: &snapshot.Boundary{PermissionsBoundaryArn: "arn:aws:iam::" + acB + ":policy/ec2-only"}}},
			roles: []snapshot.Role{
				{RoleName: "OrganizationAccountAccessRole", Arn: "arn:aws:iam::" + acB + ":role/OrganizationAccountAccessRole", AssumeRolePolicyDocument: trust(`{"AWS":"arn:aws:iam::`+mgmt+`:root"}`, ""), AttachedManagedPolicies: admin},
				{RoleName: "app", Arn: "arn:aws:iam::" + acB + ":role/app", AssumeRolePolicyDocument: trust(`{"Service":"ec2.amazonaws.com"}`, ""), RolePolicyList: inline("read", s3read)},
			},
		},
		acC: {
			users: []snapshot.User{
				{UserName: "dave", Arn: "arn:aws:iam::" + acC + ":user/dave", UserPolicyList: inline("hop", doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::`+mgmt+`:role/auditor"}`))},
				{UserName: "erin", Arn: "arn:aws:iam::" + acC + ":user/erin", UserPolicyList: assumeAny},
			},
			roles: []snapshot.Role{
				{RoleName: "mfa-admin", Arn: "arn:aws:iam::" + acC + ":role/mfa-admin", AssumeRolePolicyDocument: trust(`{"AWS":"`+acC+`"}`, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), AttachedManagedPolicies: admin},
				{RoleName: "loop-a", Arn: "arn:aws:iam::" + acC + ":role/loop-a", AssumeRolePolicyDocument: trust(`{"AWS":"arn:aws:iam::`+acC+`:role/loop-b"}`, ""), RolePolicyList: assumeAny},
				{RoleName: "loop-b", Arn: "arn:aws:iam::" + acC + ":role/loop-b", AssumeRolePolicyDocument: trust(`{"AWS":"arn:aws:iam::`+acC+`:role/loop-a"}`, ""), RolePolicyList: assumeAny},
			},
		},
	}
	for id, d := range iam {
		put(store.AccountKey(run, id), snapshot.AccountInfo{Account: snapshot.Account{ID: id}})
		put(store.IAMKey(run, id, "users"), d.users)
		put(store.IAMKey(run, id, "roles"), d.roles)
		put(store.IAMKey(run, id, "groups"), []snapshot.Group{})
		pols := []snapshot.ManagedPolicy{}
		if id == acB {
			pols = append(pols, snapshot.ManagedPolicy{PolicyName: "ec2-only", Arn: "arn:aws:iam::" + acB + ":policy/ec2-only", DefaultVersionID: "v1",
				PolicyVersionList: []snapshot.PolicyVersion{{VersionID: "v1", IsDefaultVersion: true, Document: doc(`{"Effect":"Allow","Action":"ec2:*","Resource":"*"}`)}}})
		}
		put(store.IAMKey(run, id, "policies"), pols)
	}
	return snapshot.Reader{Store: st, Run: run}
}

func grantsString(gs []Grant) string {
	var lines []string
	for _, g := range gs {
		l := g.Principal + " " + g.Decision
		if len(g.Via) > 0 {
			l += " via " + strings.Join(g.Via, " > ")
		}
		if len(g.UnknownKeys) > 0 {
			l += " [" + strings.Join(g.UnknownKeys, ",") + "]"
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

func TestWhoCan(t *testing.T) {
	ctx := context.Background()
	o, err := Load(ctx, testOrg(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Principals) != 11 || len(o.Warnings) != 0 {
		t.Fatalf("%d principals, warnings %v", len(o.Principals), o.Warnings)
	}
	q := Ask{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/k"}
	got, err := o.WhoCan(ctx, q, WhoCanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Hand-derived: bob's boundary stops him; carol has nothing; erin and
	// the loop roles (which may assume any role) reach the auditor, which
	// trusts their account 333, without conditions — so the MFA-conditional
	// admin role is not erin's path; the loop roles' trust of each other is
	// a cycle that ends because both are already reached.
	want := strings.Join([]string{
		"arn:aws:iam::111111111111:role/auditor Allowed",
		"arn:aws:iam::111111111111:user/alice Allowed via arn:aws:iam::222222222222:role/OrganizationAccountAccessRole",
		"arn:aws:iam::222222222222:role/OrganizationAccountAccessRole Allowed",
		"arn:aws:iam::222222222222:role/app Allowed",
		"arn:aws:iam::333333333333:role/loop-a Allowed via arn:aws:iam::111111111111:role/auditor",
		"arn:aws:iam::333333333333:role/loop-b Allowed via arn:aws:iam::111111111111:role/auditor",
		"arn:aws:iam::333333333333:role/mfa-admin Allowed",
		"arn:aws:iam::333333333333:user/dave Allowed via arn:aws:iam::111111111111:role/auditor",
		"arn:aws:iam::333333333333:user/erin Allowed via arn:aws:iam::111111111111:role/auditor",
	}, "\n")
	if s := grantsString(got); s != want {
		t.Fatalf("who-can s3:GetObject:\n%s\nwant:\n%s", s, want)
	}

	// Conditional grants: the MFA trust makes every path to mfa-admin
	// conditional. Creating a user in account 333 is for 333's principals
	// only: IAM has no resource policies, so 222's admin role cannot.
	got, err = o.WhoCan(ctx, Ask{Action: "iam:CreateUser", Resource: "arn:aws:iam::333333333333:user/x"}, WhoCanOptions{IncludeConditional: true})
	if err != nil {
		t.Fatal(err)
	}
	want = strings.Join([]string{
		"arn:aws:iam::333333333333:role/loop-a Conditional via arn:aws:iam::333333333333:role/mfa-admin [aws:MultiFactorAuthPresent]",
		"arn:aws:iam::333333333333:role/loop-b Conditional via arn:aws:iam::333333333333:role/mfa-admin [aws:MultiFactorAuthPresent]",
		"arn:aws:iam::333333333333:role/mfa-admin Allowed",
		"arn:aws:iam::333333333333:user/erin Conditional via arn:aws:iam::333333333333:role/mfa-admin [aws:MultiFactorAuthPresent]",
	}, "\n")
	if s := grantsString(got); s != want {
		t.Fatalf("who-can iam:CreateUser --include-conditional:\n%s\nwant:\n%s", s, want)
	}

	// Without conditional grants, only the admin role itself.
	got, _ = o.WhoCan(ctx, Ask{Action: "iam:CreateUser", Resource: "arn:aws:iam::333333333333:user/x"}, WhoCanOptions{})
	if s := grantsString(got); s != "arn:aws:iam::333333333333:role/mfa-admin Allowed" {
		t.Fatalf("who-can iam:CreateUser:\n%s", s)
	}

	// Chains are bounded: with no role assumption, only direct grants.
	got, _ = o.WhoCan(ctx, q, WhoCanOptions{MaxDepth: -1})
	if strings.Contains(grantsString(got), " via ") || len(got) != 4 {
		t.Fatalf("MaxDepth -1:\n%s", grantsString(got))
	}

	// SCPs plug in per account: denying S3 in 222 removes its roles and
	// alice's path through them.
	o.Accounts[acB].SCPs = []evaluate.Level{{ID: "r-ab12", Policies: []*evaluate.Policy{
		evaluate.MustCompile("FullAWSAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
		evaluate.MustCompile("DenyS3", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`)}}}
	got, _ = o.WhoCan(ctx, q, WhoCanOptions{})
	if s := grantsString(got); strings.Contains(s, acB) || strings.Contains(s, "alice") {
		t.Fatalf("with an SCP denying S3 in %s:\n%s", acB, s)
	}
}

func TestSimulateAndCan(t *testing.T) {
	ctx := context.Background()
	o, err := Load(ctx, testOrg(t))
	if err != nil {
		t.Fatal(err)
	}
	bob, ok := o.Principal("arn:aws:iam::" + acB + ":user/bob")
	if !ok {
		t.Fatal("bob not found")
	}
	d, err := o.Simulate(bob, Ask{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/k"})
	if err != nil || d.Decision != evaluate.ImplicitlyDenied || !strings.Contains(strings.Join(d.Explain, "\n"), "permissions boundary") {
		t.Fatalf("bob: %v %+v", err, d)
	}
	role, ok := o.Principal("arn:aws:sts::" + acC + ":assumed-role/mfa-admin/someone")
	if !ok || role.Name != "mfa-admin" {
		t.Fatal("session ARN does not find its role")
	}
	// A resource policy naming one session of a role allows that session only.
	sess := "arn:aws:sts::" + acC + ":assumed-role/mfa-admin/someone"
	o.ResourcePolicies["arn:aws:sqs:us-east-1:"+mgmt+":q"] = evaluate.MustCompile("queue", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+sess+`"},"Action":"sqs:SendMessage","Resource":"*"}]}`)
	for as, want := range map[string]string{sess: evaluate.Allowed, "": evaluate.ImplicitlyDenied} {
		d, _ := o.Simulate(role, Ask{Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:" + mgmt + ":q", As: as})
		if d.Decision != want {
			t.Errorf("session %q sends to the queue: %s, want %s", as, d.Decision, want)
		}
	}
	erin, _ := o.Principal("arn:aws:iam::" + acC + ":user/erin")
	d, _ = o.Simulate(erin, Ask{Action: "sts:AssumeRole", Resource: role.ARN})
	if d.Decision != evaluate.Conditional || strings.Join(d.UnknownKeys, ",") != "aws:MultiFactorAuthPresent" {
		t.Fatalf("erin assumes mfa-admin: %+v", d)
	}
	d, _ = o.Simulate(erin, Ask{Action: "sts:AssumeRole", Resource: role.ARN, Context: map[string][]string{"aws:MultiFactorAuthPresent": {"true"}}})
	if d.Decision != evaluate.Allowed {
		t.Fatalf("erin with MFA: %+v", d)
	}
	caps, err := o.Can(ctx, bob, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) != 0 {
		t.Fatalf("bob can: %+v", caps)
	}
	app, _ := o.Principal("arn:aws:iam::" + acB + ":role/app")
	caps, err = o.Can(ctx, app, "s3")
	if err != nil {
		t.Fatal(err)
	}
	var getObject bool
	for _, c := range caps {
		if c.Service != "s3" || !(strings.HasPrefix(c.Action, "s3:Get") || strings.HasPrefix(c.Action, "s3:List")) {
			t.Fatalf("unexpected capability %+v", c)
		}
		getObject = getObject || (c.Action == "s3:GetObject" && c.Resource == "*" && c.Decision == evaluate.Allowed)
	}
	if !getObject || len(caps) < 20 {
		t.Fatalf("app can (%d): %+v", len(caps), caps)
	}
	if _, err := o.Can(ctx, app, "nosuchservice"); err == nil {
		t.Fatal("unknown service accepted")
	}
}

func TestCanFollow(t *testing.T) {
	ctx := context.Background()
	o, err := Load(ctx, testOrg(t))
	if err != nil {
		t.Fatal(err)
	}
	who := func(arn string) *Principal {
		p, ok := o.Principal(arn)
		if !ok {
			t.Fatalf("no principal %s", arn)
		}
		return p
	}
	find := func(caps []Capability, action string, via string) *Capability {
		for i, c := range caps {
			if c.Action == action && strings.Join(c.Via, " > ") == via {
				return &caps[i]
			}
		}
		return nil
	}
	dave := who("arn:aws:iam::" + acC + ":user/dave")
	auditor := "arn:aws:iam::" + mgmt + ":role/auditor"
	caps, err := o.CanFollow(ctx, dave, "s3", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) != 0 {
		t.Errorf("dave on his own can do S3: %v", caps)
	}
	caps, err = o.CanFollow(ctx, dave, "s3", 1)
	if err != nil {
		t.Fatal(err)
	}
	if c := find(caps, "s3:GetObject", auditor); c == nil || c.Decision != "Allowed" {
		t.Errorf("dave via auditor: %+v in %v", c, caps)
	}
	alice := who("arn:aws:iam::" + mgmt + ":user/alice")
	caps, err = o.CanFollow(ctx, alice, "iam", 3)
	if err != nil {
		t.Fatal(err)
	}
	if c := find(caps, "iam:CreateUser", "arn:aws:iam::"+acB+":role/OrganizationAccountAccessRole"); c == nil || c.Decision != "Allowed" {
		t.Errorf("alice via OrganizationAccountAccessRole: %+v", c)
	}
	// erin reaches mfa-admin only with MFA: conditional, with the key.
	erin := who("arn:aws:iam::" + acC + ":user/erin")
	caps, err = o.CanFollow(ctx, erin, "iam", 2)
	if err != nil {
		t.Fatal(err)
	}
	c := find(caps, "iam:CreateUser", "arn:aws:iam::"+acC+":role/mfa-admin")
	if c == nil || c.Decision != "Conditional" || !strings.Contains(strings.ToLower(strings.Join(c.UnknownKeys, ",")), "multifactorauthpresent") {
		t.Errorf("erin via mfa-admin: %+v", c)
	}
	// A cycle ends: loop-a reaches loop-b, which reaches loop-a (already reached).
	caps, err = o.CanFollow(ctx, who("arn:aws:iam::"+acC+":role/loop-a"), "sts", 5)
	if err != nil {
		t.Fatal(err)
	}
	if find(caps, "sts:AssumeRole", "arn:aws:iam::"+acC+":role/loop-b") == nil {
		t.Errorf("loop-a via loop-b missing: %v", caps)
	}
	for _, c := range caps {
		if len(c.Via) > 1 {
			t.Errorf("loop-a: chain %v longer than the cycle", c.Via)
		}
	}
}
