package snapshot

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/store"
)

// TestReadsVersion1Records reads records stored by an orgiam that wrote
// schema version 1 (account.json's orgiam fields in PascalCase, no
// schemaVersion anywhere).
func TestReadsVersion1Records(t *testing.T) {
	ctx := context.Background()
	r := Reader{Store: store.NewFile("testdata/v1"), Run: "2026-11-20"}
	info, err := r.AccountInfo(ctx, "111111111111")
	if err != nil {
		t.Fatal(err)
	}
	want := AccountInfo{
		Account: Account{ID: "111111111111", Arn: "arn:aws:organizations::111111111111:account/o-aaaa1111/111111111111",
			Name: "management", Email: "management@example.com", Status: "ACTIVE", OrgID: "o-aaaa1111", ParentID: "r-root", OUPath: "Root", Management: true},
		Partition: "aws", CollectRoleArn: "arn:aws:iam::111111111111:role/OrgIAMAudit", Aliases: []string{"acme-management"},
		Summary:        map[string]int32{"Users": 2},
		PasswordPolicy: &PasswordPolicy{MinimumPasswordLength: 14, RequireSymbols: true, AllowUsersToChangePassword: true},
		CollectedAt:    time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC),
		Scan:           ScanSummary{Counts: map[string]int{"users": 2, "roles": 4}, APICalls: 12, DurationMS: 800, Warnings: []string{"credential report unavailable"}},
	}
	if !reflect.DeepEqual(info, want) {
		t.Errorf("account.json v1:\n got %+v\nwant %+v", info, want)
	}
	e, err := r.Error(ctx, "111111111111")
	if err != nil || e == nil || e.AccountID != "111111111111" || e.Code != "AccessDenied" || e.Phase != "collect" {
		t.Errorf("error.json v1: %+v %v", e, err)
	}
	m, err := r.Manifest(ctx)
	if err != nil || m.Date != "2026-11-20" || len(m.Accounts) != 1 || m.Totals.APICalls != 12 {
		t.Errorf("manifest.json v1: %+v %v", m, err)
	}
}

// TestAccountInfoIsCamelCase: version 2 writes orgiam's own keys in
// camelCase with the version, and keeps the AWS shapes as AWS names them.
func TestAccountInfoIsCamelCase(t *testing.T) {
	info := AccountInfo{SchemaVersion: SchemaVersion, Account: Account{ID: "111111111111"}, Partition: "aws", Aliases: []string{},
		PasswordPolicy: &PasswordPolicy{MinimumPasswordLength: 8}, Scan: ScanSummary{Counts: map[string]int{"users": 1}, APICalls: 3, Warnings: []string{"w"}}}
	b, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schemaVersion", "partition", "aliases", "passwordPolicy", "collectedAt", "scan", "Id"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("account.json has no key %q: %s", k, b)
		}
	}
	for _, k := range []string{`"counts"`, `"apiCalls"`, `"durationMs"`, `"warnings"`, `"MinimumPasswordLength"`, fmt.Sprintf(`"schemaVersion":%d`, SchemaVersion)} {
		if !strings.Contains(string(b), k) {
			t.Errorf("account.json lacks %s: %s", k, b)
		}
	}
	var back AccountInfo
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, info) {
		t.Errorf("round trip: %+v %v", back, err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	st := store.NewFile(t.TempDir())
	for key, v := range map[string]any{
		store.AccountKey("2026-11-20", "111111111111"): AccountInfo{SchemaVersion: SchemaVersion + 1},
		store.ErrorKey("2026-11-20", "111111111111"):   ErrorRecord{SchemaVersion: SchemaVersion + 1},
		store.ManifestKey("2026-11-20"):                Manifest{SchemaVersion: SchemaVersion + 1},
	} {
		b, _ := json.Marshal(v)
		if err := st.Put(ctx, key, b); err != nil {
			t.Fatal(err)
		}
	}
	r := Reader{Store: st, Run: "2026-11-20"}
	_, err1 := r.AccountInfo(ctx, "111111111111")
	_, err2 := r.Error(ctx, "111111111111")
	_, err3 := r.Manifest(ctx)
	for i, err := range []error{err1, err2, err3} {
		if err == nil || !strings.Contains(err.Error(), "is newer than this orgiam reads") {
			t.Errorf("record %d: %v", i, err)
		}
	}
}

// TestReadsUnversionedOrganizationRecords reads organizations/<id>/*.json
// and the run's accounts.json as orgiam wrote them before version 3 (bare
// arrays, no schemaVersion, orgiam's fields in PascalCase), and a version 2
// account.json (Organizations' account with PascalCase orgiam fields).
func TestReadsUnversionedOrganizationRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := Reader{Store: store.NewFile("testdata/v1"), Run: "2026-11-20"}
	org, err := r.Organization(ctx, "o-aaaa1111")
	if err != nil {
		t.Fatal(err)
	}
	if org.ID != "o-aaaa1111" || org.MasterAccountID != "111111111111" || org.FeatureSet != "ALL" || org.ListRoleArn != "arn:aws:iam::111111111111:role/OrgIAMList" || org.SchemaVersion != 0 {
		t.Errorf("organization.json: %+v", org)
	}
	joined := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	mgmt := Account{ID: "111111111111", Arn: "arn:aws:organizations::111111111111:account/o-aaaa1111/111111111111", Name: "management",
		Email: "management@example.com", Status: "ACTIVE", OrgID: "o-aaaa1111", ParentID: "r-root", OUPath: "Root", Management: true}
	withJoin := mgmt
	withJoin.JoinedMethod, withJoin.JoinedTimestamp = "CREATED", &joined
	old := Account{ID: "222222222222", Name: "old", Status: "SUSPENDED", OrgID: "o-aaaa1111", ParentID: "ou-root-prod1234", OUPath: "Root/Prod", SkipReason: "suspended"}
	accts, err := r.OrgAccounts(ctx, "o-aaaa1111")
	if err != nil || !reflect.DeepEqual(accts, []Account{withJoin, old}) {
		t.Errorf("organizations accounts.json: %+v %v", accts, err)
	}
	ous, err := r.OrgOUs(ctx, "o-aaaa1111")
	wantOUs := []OU{
		{ID: "r-root", Arn: "arn:aws:organizations::111111111111:root/o-aaaa1111/r-root", Name: "Root", Type: "ROOT", Path: "Root", PolicyTypes: []PolicyTypeSummary{{Type: "SERVICE_CONTROL_POLICY", Status: "ENABLED"}}},
		{ID: "ou-root-prod1234", Name: "Prod", Type: "ORGANIZATIONAL_UNIT", ParentID: "r-root", Path: "Root/Prod"},
	}
	if err != nil || !reflect.DeepEqual(ous, wantOUs) {
		t.Errorf("ous.json: %+v %v", ous, err)
	}
	list, err := r.Accounts(ctx)
	if err != nil || !reflect.DeepEqual(list, []Account{mgmt}) {
		t.Errorf("run accounts.json: %+v %v", list, err)
	}
	set, err := r.OrgPolicies(ctx, "o-aaaa1111")
	if err != nil || !set.HasPolicies || !set.HasAdmins || len(set.Policies) != 1 || len(set.Chains) != 1 || len(set.Admins) != 1 {
		t.Fatalf("organization policies: %+v %v", set, err)
	}
	if p := set.Policies[0]; p.ID != "p-FullAWSAccess" || !p.AwsManaged || len(p.Targets) != 1 || p.Targets[0].TargetID != "r-root" || !strings.Contains(string(p.Content), `"Action": "*"`) {
		t.Errorf("policies.json: %+v", p)
	}
	if c := set.Chains[0]; c.AccountID != "111111111111" || len(c.Levels) != 2 || c.Levels[1].Policies[0] != "p-FullAWSAccess" {
		t.Errorf("policy-chains.json: %+v", c)
	}
	if a := set.Admins[0]; a.ID != "222222222222" || !reflect.DeepEqual(a.ServicePrincipals, []string{"guardduty.amazonaws.com"}) {
		t.Errorf("delegated-administrators.json: %+v", a)
	}
	v2, err := Reader{Store: store.NewFile("testdata/v2"), Run: "2026-11-25"}.AccountInfo(ctx, "111111111111")
	if err != nil || v2.SchemaVersion != 2 || v2.OrgID != "o-aaaa1111" || v2.ParentID != "r-root" || v2.OUPath != "Root" || !v2.Management || v2.Scan.APICalls != 5 {
		t.Errorf("account.json v2: %+v %v", v2, err)
	}
}

// TestOrganizationRecordsAreVersioned: version 3 writes the organization
// records with their schemaVersion, orgiam's fields in camelCase and AWS's
// as AWS names them, and reads them back.
func TestOrganizationRecordsAreVersioned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := store.NewFile(t.TempDir())
	run := "2026-11-30"
	accts := []Account{{ID: "111111111111", Name: "m", OrgID: "o-x", ParentID: "r-1", OUPath: "Root", Management: true, SkipReason: "filtered"}}
	ous := []OU{{ID: "r-1", Name: "Root", Type: "ROOT", Path: "Root"}, {ID: "ou-1-abcd", Name: "A", Type: "ORGANIZATIONAL_UNIT", ParentID: "r-1", Path: "Root/A"}}
	org := Organization{SchemaVersion: SchemaVersion, ID: "o-x", MasterAccountID: "111111111111", ListRoleArn: "arn:aws:iam::111111111111:role/l"}
	pols := []OrgPolicy{{ID: "p-1", Name: "deny", Type: "SERVICE_CONTROL_POLICY", Content: json.RawMessage(`{}`), Targets: []PolicyTarget{{TargetID: "r-1", Type: "ROOT"}}}}
	admins := []DelegatedAdministrator{{ID: "111111111111", ServicePrincipals: []string{"guardduty.amazonaws.com"}}}
	chains := []PolicyChain{{AccountID: "111111111111", Type: "SERVICE_CONTROL_POLICY", Levels: []PolicyLevel{{TargetID: "r-1", Type: "ROOT", Policies: []string{"p-1"}}}}}
	files := map[string]any{"organization.json": org, "accounts.json": NewOrgList(accts), "ous.json": NewOrgList(ous),
		store.OrgPoliciesFile: NewOrgList(pols), store.OrgDelegatedAdminsFile: NewOrgList(admins), store.OrgPolicyChainsFile: NewOrgList(chains)}
	for name, v := range files {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, want := range map[string][]string{
			"organization.json":          {fmt.Sprintf(`"schemaVersion":%d`, SchemaVersion), `"Id":"o-x"`, `"MasterAccountId"`, `"listRoleArn"`},
			"accounts.json":              {fmt.Sprintf(`"schemaVersion":%d`, SchemaVersion), `"items":[`, `"Id":"111111111111"`, `"orgId"`, `"parentId"`, `"ouPath"`, `"management"`, `"skipReason"`},
			"ous.json":                   {fmt.Sprintf(`"schemaVersion":%d`, SchemaVersion), `"items":[`, `"Id":"r-1"`, `"Name":"Root"`, `"type":"ROOT"`, `"parentId"`, `"path"`},
			store.OrgPoliciesFile:        {fmt.Sprintf(`"schemaVersion":%d`, SchemaVersion), `"items":[`, `"Id":"p-1"`, `"AwsManaged"`, `"Content"`, `"targets":[{"TargetId":"r-1"`},
			store.OrgDelegatedAdminsFile: {fmt.Sprintf(`"schemaVersion":%d`, SchemaVersion), `"items":[`, `"Id":"111111111111"`, `"servicePrincipals"`},
			store.OrgPolicyChainsFile:    {fmt.Sprintf(`"schemaVersion":%d`, SchemaVersion), `"items":[`, `"accountId"`},
		}[name] {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %s: %s", name, want, text)
			}
		}
		for _, pascal := range []string{`"OrgId"`, `"ParentId"`, `"OUPath"`, `"Management"`, `"SkipReason"`, `"Path"`, `"ListRoleArn"`, `"Targets"`, `"ServicePrincipals"`} {
			if strings.Contains(text, pascal) {
				t.Errorf("%s still writes %s: %s", name, pascal, text)
			}
		}
		if err := st.Put(ctx, store.OrgKey(run, "o-x", name), b); err != nil {
			t.Fatal(err)
		}
	}
	r := Reader{Store: st, Run: run}
	gotOrg, err1 := r.Organization(ctx, "o-x")
	gotAccts, err2 := r.OrgAccounts(ctx, "o-x")
	gotOUs, err3 := r.OrgOUs(ctx, "o-x")
	if err1 != nil || err2 != nil || err3 != nil || !reflect.DeepEqual(gotOrg, org) || !reflect.DeepEqual(gotAccts, accts) || !reflect.DeepEqual(gotOUs, ous) {
		t.Errorf("round trip: %+v %+v %+v (%v %v %v)", gotOrg, gotAccts, gotOUs, err1, err2, err3)
	}
	if ous[0].Type != "ROOT" || !strings.Contains(mustJSON(t, NewOrgList(ous)), `"type":"ROOT"`) {
		t.Errorf("ous.json: an OU's type is orgiam's field, camelCase")
	}
	set, err := r.OrgPolicies(ctx, "o-x")
	if err != nil || !reflect.DeepEqual(set.Policies, pols) || !reflect.DeepEqual(set.Admins, admins) || !reflect.DeepEqual(set.Chains, chains) {
		t.Errorf("organization policies round trip: %+v %v", set, err)
	}
	// An empty list is stored as [], not null.
	if b, _ := json.Marshal(NewOrgList[OU](nil)); !strings.Contains(string(b), `"items":[]`) {
		t.Errorf("empty list: %s", b)
	}
	// A newer version is refused.
	for name, v := range map[string]any{"organization.json": Organization{SchemaVersion: SchemaVersion + 1, ID: "o-x"}, "accounts.json": OrgList[Account]{SchemaVersion: SchemaVersion + 1}} {
		b, _ := json.Marshal(v)
		if err := st.Put(ctx, store.OrgKey(run, "o-x", name), b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Organization(ctx, "o-x"); err == nil || !strings.Contains(err.Error(), "is newer than this orgiam reads") {
		t.Errorf("newer organization.json: %v", err)
	}
	if _, err := r.OrgAccounts(ctx, "o-x"); err == nil || !strings.Contains(err.Error(), "is newer than this orgiam reads") {
		t.Errorf("newer accounts.json: %v", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
