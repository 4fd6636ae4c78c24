package discover

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// readPoliciesOf reads the policies of an organization already listed, as
// OrganizationAndPolicies does alongside the listing.
func readPoliciesOf(ctx context.Context, api PolicyAPI, org *Org, parallel int) *Policies {
	enabled := enabledTypes(org.OUs)
	out := readPolicies(ctx, api, org.Organization.ID, enabled, parallel)
	if out.PoliciesRead {
		out.Chains = Chains(org, out.Policies, enabled)
	}
	return out
}

// startFake serves a generated world and returns an Organizations client
// of its first organization's management account.
func startFake(t *testing.T, o fakeaws.Options, k fakeaws.Knobs) (*fakeaws.Server, *organizations.Client) {
	t.Helper()
	o.Now = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	s := fakeaws.New(fakeaws.NewWorld(o), k)
	u, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(u),
		Credentials: credentials.NewStaticCredentialsProvider("AKIABASEEXAMPLE00001", "secret", ""),
		Retryer:     func() aws.Retryer { return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 1 }) }}
	return s, organizations.NewFromConfig(cfg)
}

func policyOps(st fakeaws.Stats) map[string]int64 {
	out := map[string]int64{}
	for k, v := range st.Calls {
		if op, ok := strings.CutPrefix(k, "organizations:"); ok && (strings.Contains(op, "Polic") || strings.Contains(op, "Delegated")) {
			out[op] = v
		}
	}
	return out
}

func TestReadPoliciesFromFakeAWS(t *testing.T) {
	ctx := context.Background()
	srv, api := startFake(t, fakeaws.Options{Seed: 4, AccountsPerOrg: 45, OrgPolicies: fakeaws.OrgPolicyOptions{SCPs: 5, RCPs: 2, DelegatedAdmins: 3}}, fakeaws.Knobs{})
	world := srv.World()
	wo := world.Orgs()[0]
	org, err := Organization(ctx, api, "")
	if err != nil {
		t.Fatal(err)
	}
	if !snapshot.PolicyTypeEnabled(org.OUs, snapshot.PolicyTypeSCP) || !snapshot.PolicyTypeEnabled(org.OUs, snapshot.PolicyTypeRCP) {
		t.Fatalf("root policy types not recorded: %+v", org.OUs[0])
	}
	srv.ResetStats()
	p := readPoliciesOf(ctx, api, org, 4)
	if len(p.Warnings) > 0 || !p.PoliciesRead || !p.AdminsRead {
		t.Fatalf("warnings %v, read %v %v", p.Warnings, p.PoliciesRead, p.AdminsRead)
	}
	// 1 + 5 SCPs and 1 + 2 RCPs, each with its document as a JSON object
	// and its targets.
	if len(p.Policies) != len(wo.Policies) || len(p.Policies) != 9 {
		t.Fatalf("%d policies, world has %d", len(p.Policies), len(wo.Policies))
	}
	for _, wp := range wo.Policies {
		i := slices.IndexFunc(p.Policies, func(x snapshot.OrgPolicy) bool { return x.ID == wp.ID })
		if i < 0 {
			t.Fatalf("policy %s missing", wp.ID)
		}
		got := p.Policies[i]
		var doc map[string]any
		if err := json.Unmarshal(got.Content, &doc); err != nil || doc["Statement"] == nil {
			t.Errorf("%s: content %s is not a policy object: %v", wp.ID, got.Content, err)
		}
		if got.Type != wp.Type || got.Name != wp.Name || got.AwsManaged != wp.AwsManaged || len(got.Targets) != len(wp.Targets) {
			t.Errorf("%s: got %s %s managed=%v %d targets, want %s %s %v %d", wp.ID, got.Type, got.Name, got.AwsManaged, len(got.Targets), wp.Type, wp.Name, wp.AwsManaged, len(wp.Targets))
		}
	}
	// Calls: one list per type, one describe and ceil(targets/20) target
	// pages per policy, one administrator list and one per administrator.
	want := int64(2 + 1 + len(wo.DelegatedAdmins))
	for _, wp := range wo.Policies {
		want += 1 + int64((len(wp.Targets)+19)/20)
	}
	st := srv.Stats()
	if p.Calls != want || st.Total != want {
		t.Errorf("calls counted %d, served %d, want %d (%v)", p.Calls, st.Total, want, policyOps(st))
	}
	for op := range policyOps(st) {
		if !slices.Contains(RoleActions(), "organizations:"+op) {
			t.Errorf("discover called organizations:%s, which RoleActions does not list", op)
		}
	}
	// Delegated administrators with their services.
	if len(p.Admins) != 3 {
		t.Fatalf("admins %+v", p.Admins)
	}
	for _, d := range wo.DelegatedAdmins {
		i := slices.IndexFunc(p.Admins, func(a snapshot.DelegatedAdministrator) bool { return a.ID == d.AccountID })
		if i < 0 || !slices.Equal(p.Admins[i].ServicePrincipals, slices.Sorted(slices.Values(d.Services))) || p.Admins[i].Name == "" {
			t.Errorf("admin %s: %+v", d.AccountID, p.Admins)
		}
	}
	// Chains: every account, both types, root → OUs → account, each level
	// with the world's attachments.
	if len(p.Chains) != 2*len(org.Accounts) {
		t.Fatalf("%d chains for %d accounts", len(p.Chains), len(org.Accounts))
	}
	attachedAt := func(typ, target string) []string {
		var ids []string
		for _, wp := range wo.Policies {
			if wp.Type == typ && slices.Contains(wp.Targets, target) {
				ids = append(ids, wp.ID)
			}
		}
		slices.Sort(ids)
		return ids
	}
	deep := 0
	for _, c := range p.Chains {
		meta := world.AccountMeta(c.AccountID)
		wantLen := strings.Count(meta.OUPath, "/") + 2 // the root, each OU, the account
		if len(c.Levels) != wantLen || c.Levels[0].Type != "ROOT" || c.Levels[0].TargetID != wo.RootID || c.Levels[len(c.Levels)-1].TargetID != c.AccountID {
			t.Fatalf("chain of %s (%s): %+v", c.AccountID, meta.OUPath, c.Levels)
		}
		if c.Levels[len(c.Levels)-2].TargetID != meta.ParentID {
			t.Errorf("chain of %s: parent level %s, want %s", c.AccountID, c.Levels[len(c.Levels)-2].TargetID, meta.ParentID)
		}
		for _, l := range c.Levels {
			if w := attachedAt(c.Type, l.TargetID); !slices.Equal(l.Policies, w) && !(len(w) == 0 && len(l.Policies) == 0) {
				t.Errorf("chain of %s, %s level %s: %v, want %v", c.AccountID, c.Type, l.TargetID, l.Policies, w)
			}
		}
		if len(c.Levels) >= 4 {
			deep++
		}
	}
	if deep == 0 {
		t.Error("no account sits two OUs deep: the chains were not tested through nested OUs")
	}
}

func TestReadPoliciesDisabledTypes(t *testing.T) {
	ctx := context.Background()
	// RCPs disabled (the default): no RCP is listed or chained.
	srv, api := startFake(t, fakeaws.Options{Seed: 5, AccountsPerOrg: 6}, fakeaws.Knobs{})
	org, err := Organization(ctx, api, "")
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetStats()
	p := readPoliciesOf(ctx, api, org, 0)
	if len(p.Warnings) > 0 || !p.PoliciesRead {
		t.Fatal(p.Warnings)
	}
	if n := srv.Stats().Calls["organizations:ListPolicies"]; n != 1 {
		t.Errorf("ListPolicies called %d times with RCPs disabled, want 1 (SCPs only)", n)
	}
	for _, c := range p.Chains {
		if c.Type != snapshot.PolicyTypeSCP {
			t.Fatalf("chain of type %s with RCPs disabled", c.Type)
		}
	}
	for _, pol := range p.Policies {
		if pol.Type != snapshot.PolicyTypeSCP {
			t.Fatalf("policy of type %s with RCPs disabled", pol.Type)
		}
	}
	// Both disabled: known to be none (an empty set is written, not left out).
	srv2, api2 := startFake(t, fakeaws.Options{Seed: 5, AccountsPerOrg: 6, OrgPolicies: fakeaws.OrgPolicyOptions{DisableSCPs: true, DelegatedAdmins: -1}}, fakeaws.Knobs{})
	org2, err := Organization(ctx, api2, "")
	if err != nil {
		t.Fatal(err)
	}
	srv2.ResetStats()
	p2 := readPoliciesOf(ctx, api2, org2, 0)
	if !p2.PoliciesRead || len(p2.Policies) != 0 || len(p2.Chains) != 0 || p2.Policies == nil || p2.Chains == nil || !p2.AdminsRead || p2.Admins == nil {
		t.Fatalf("disabled types: %+v", p2)
	}
	if n := srv2.Stats().Calls["organizations:ListPolicies"]; n != 0 || p2.Calls != 1 {
		t.Errorf("ListPolicies called %d times, %d calls in all, with every type disabled; want 0 and 1 (the administrators)", n, p2.Calls)
	}
}

func TestReadPoliciesAccessDenied(t *testing.T) {
	ctx := context.Background()
	_, api := startFake(t, fakeaws.Options{Seed: 6, AccountsPerOrg: 5}, fakeaws.Knobs{DenyOrgPolicies: true})
	org, err := Organization(ctx, api, "")
	if err != nil || len(org.Accounts) != 5 {
		t.Fatalf("accounts must still be listed: %v %d", err, len(org.Accounts))
	}
	p := readPoliciesOf(ctx, api, org, 0)
	if p.PoliciesRead || p.AdminsRead || p.Policies != nil || p.Chains != nil || len(p.Warnings) != 2 {
		t.Fatalf("%+v", p)
	}
	for i, op := range []string{"organizations:ListPolicies SERVICE_CONTROL_POLICY: AccessDeniedException", "organizations:ListDelegatedAdministrators: AccessDeniedException"} {
		w := p.Warnings[i]
		if !strings.Contains(w, "organization "+org.Organization.ID) || !strings.Contains(w, op) || strings.Contains(w, "RequestID") {
			t.Errorf("warning %q: want the organization, %q, and no request details", w, op)
		}
	}
}

func TestRoleActionsCoverTheInterface(t *testing.T) {
	got := RoleActions()
	for _, a := range []string{"organizations:ListAccounts", "organizations:ListPolicies", "organizations:DescribePolicy",
		"organizations:ListTargetsForPolicy", "organizations:ListDelegatedAdministrators", "organizations:ListDelegatedServicesForAccount"} {
		if !slices.Contains(got, a) {
			t.Errorf("RoleActions lacks %s: %v", a, got)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("not sorted: %v", got)
	}
}

func TestChainsWithoutParent(t *testing.T) {
	org := &Org{OUs: []snapshot.OU{{ID: "r-1", Type: "ROOT", Name: "Root", Path: "Root"}, {ID: "ou-1-a", Type: "ORGANIZATIONAL_UNIT", Name: "A", ParentID: "r-1", Path: "Root/A"}},
		Accounts: []snapshot.Account{{ID: "111111111111", ParentID: "ou-1-a"}, {ID: "222222222222"}, {ID: "333333333333", ParentID: "ou-gone"}}}
	pols := []snapshot.OrgPolicy{{ID: "p-b", Type: snapshot.PolicyTypeSCP, Targets: []snapshot.PolicyTarget{{TargetID: "ou-1-a"}, {TargetID: "111111111111"}}},
		{ID: "p-a", Type: snapshot.PolicyTypeSCP, Targets: []snapshot.PolicyTarget{{TargetID: "ou-1-a"}}}}
	cs := Chains(org, pols, []string{snapshot.PolicyTypeSCP})
	if len(cs) != 1 || cs[0].AccountID != "111111111111" {
		t.Fatalf("only the placed account has a chain: %+v", cs)
	}
	l := cs[0].Levels
	if len(l) != 3 || len(l[0].Policies) != 0 || l[0].Policies == nil || strings.Join(l[1].Policies, ",") != "p-a,p-b" || strings.Join(l[2].Policies, ",") != "p-b" {
		t.Fatalf("levels %+v", l)
	}
}

// OrganizationAndPolicies reads the policies while it lists the tree and
// the accounts, and gives what Organization and then its policies give.
func TestOrganizationAndPoliciesAsInTurn(t *testing.T) {
	ctx := context.Background()
	_, api := startFake(t, fakeaws.Options{Seed: 5, AccountsPerOrg: 60, OrgPolicies: fakeaws.OrgPolicyOptions{SCPs: 4, RCPs: 2, DelegatedAdmins: 2}}, fakeaws.Knobs{})
	org, err := Organization(ctx, api, "role-a")
	if err != nil {
		t.Fatal(err)
	}
	want := readPoliciesOf(ctx, api, org, 3)
	gotOrg, got, err := OrganizationAndPolicies(ctx, api, "role-a", 3)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if enc(gotOrg) != enc(org) {
		t.Fatalf("organization differs:\n got  %s\n want %s", enc(gotOrg), enc(org))
	}
	if len(want.Chains) == 0 || len(want.Policies) != 1+4+1+2 {
		t.Fatalf("reference read %d policies and %d chains", len(want.Policies), len(want.Chains))
	}
	if enc(got) != enc(want) {
		t.Fatalf("policies differ:\n got  %s\n want %s", enc(got), enc(want))
	}
}

// A tree that cannot be listed fails the organization; the policy calls
// made alongside are dropped with it.
func TestOrganizationAndPoliciesTreeFails(t *testing.T) {
	ctx := context.Background()
	_, api := startFake(t, fakeaws.Options{Seed: 5, AccountsPerOrg: 20, OrgPolicies: fakeaws.OrgPolicyOptions{SCPs: 2}}, fakeaws.Knobs{})
	org, pol, err := OrganizationAndPolicies(ctx, failingTree{api}, "", 0)
	if err == nil || !strings.Contains(err.Error(), "ListOrganizationalUnitsForParent") || org != nil || pol != nil {
		t.Fatalf("org %v, policies %v, error %v; want the tree's error alone", org, pol, err)
	}
}

type failingTree struct{ *organizations.Client }

func (f failingTree) ListOrganizationalUnitsForParent(context.Context, *organizations.ListOrganizationalUnitsForParentInput, ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	return nil, errors.New("access denied")
}
