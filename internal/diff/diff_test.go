package diff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/report"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

const (
	acctA   = "111111111111"
	acctB   = "222222222222"
	outside = "999999999999"
)

// world is one run's contents, built by the tests.
type world struct {
	users    map[string][]snapshot.User
	roles    map[string][]snapshot.Role
	groups   map[string][]snapshot.Group
	policies map[string][]snapshot.ManagedPolicy
	creds    map[string]string
	failed   map[string]bool
	partial  map[string]bool // scanned, with a collector denied
	findings []report.Finding
	org      string
}

func t0() time.Time { return time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC) }

func baseWorld() *world {
	adminDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	return &world{
		org: "o-aaaa1111",
		users: map[string][]snapshot.User{
			acctA: {
				{UserName: "alice", UserID: "AIDAALICE", Arn: "arn:aws:iam::111111111111:user/alice", GroupList: []string{"devs"},
					AccessKeys: []snapshot.AccessKey{{AccessKeyID: "AKIAALICE1", Status: "Active"}}},
				{UserName: "bob", UserID: "AIDABOB", Arn: "arn:aws:iam::111111111111:user/bob",
					UserPolicyList: []snapshot.InlinePolicy{{PolicyName: "s3", PolicyDocument: json.RawMessage(`{"Statement":{"Effect":"Allow","Action":["s3:GetObject","S3:ListBucket"],"Resource":"*"}}`)}}},
			},
			acctB: {{UserName: "carol", UserID: "AIDACAROL", Arn: "arn:aws:iam::222222222222:user/carol"}},
		},
		groups: map[string][]snapshot.Group{
			acctA: {{GroupName: "devs", GroupID: "AGPADEVS", Arn: "arn:aws:iam::111111111111:group/devs",
				AttachedManagedPolicies: []snapshot.AttachedPolicy{{PolicyName: "ReadOnlyAccess", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}}}},
		},
		roles: map[string][]snapshot.Role{
			acctA: {{RoleName: "deploy", RoleID: "AROADEPLOY", Arn: "arn:aws:iam::111111111111:role/deploy",
				AssumeRolePolicyDocument: json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`),
				RoleLastUsed:             &snapshot.RoleLastUsed{Region: "us-east-1"}}},
		},
		policies: map[string][]snapshot.ManagedPolicy{
			acctA: {{PolicyName: "app", Arn: "arn:aws:iam::111111111111:policy/app", DefaultVersionID: "v1",
				PolicyVersionList: []snapshot.PolicyVersion{{VersionID: "v1", IsDefaultVersion: true, Document: json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}`)}}},
				{PolicyName: "admin", Arn: "arn:aws:iam::111111111111:policy/admin", DefaultVersionID: "v1",
					PolicyVersionList: []snapshot.PolicyVersion{{VersionID: "v1", IsDefaultVersion: true, Document: json.RawMessage(adminDoc)}}}},
		},
		creds: map[string]string{
			acctA: credCSV([][3]string{{"<root_account>", "arn:aws:iam::111111111111:root", "true|true"}, {"alice", "arn:aws:iam::111111111111:user/alice", "true|true"}, {"bob", "arn:aws:iam::111111111111:user/bob", "false|false"}}),
			acctB: credCSV([][3]string{{"carol", "arn:aws:iam::222222222222:user/carol", "false|false"}}),
		},
		failed: map[string]bool{},
		findings: []report.Finding{
			{AccountID: acctA, Principal: "arn:aws:iam::111111111111:user/bob", CheckID: "1.12", Title: "unused credentials", Severity: "medium", Status: "FAIL"},
		},
	}
}

// credCSV writes a minimal credential report: user, arn, "password|mfa".
func credCSV(rows [][3]string) string {
	var b strings.Builder
	b.WriteString(strings.Join(snapshot.CredentialReportColumns, ",") + "\n")
	for _, r := range rows {
		pw, mfa, _ := strings.Cut(r[2], "|")
		cells := []string{r[0], r[1], "2026-01-01T00:00:00+00:00", pw, "N/A", "N/A", "N/A", mfa, "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A"}
		if r[0] == "<root_account>" {
			cells[3] = "not_supported"
			if pw == "true" {
				cells[3] = "not_supported"
			}
		}
		b.WriteString(strings.Join(cells, ",") + "\n")
	}
	return b.String()
}

func put(t *testing.T, s store.Store, key string, v any) {
	t.Helper()
	var data []byte
	switch x := v.(type) {
	case string:
		data = []byte(x)
	default:
		var err error
		if data, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(context.Background(), key, data); err != nil {
		t.Fatal(err)
	}
}

// write stores w as run, started at start; complete writes its manifest.
func (w *world) write(t *testing.T, s store.Store, run string, start time.Time, complete bool) {
	t.Helper()
	accts := []snapshot.Account{{ID: acctA, Name: "prod", OrgID: w.org}, {ID: acctB, Name: "dev", OrgID: w.org}}
	put(t, s, store.RunInfoKey(run), snapshot.RunInfo{RunID: run, Started: start})
	put(t, s, store.AccountListKey(run), accts)
	put(t, s, store.OrgKey(run, w.org, "organization.json"), snapshot.Organization{ID: w.org})
	put(t, s, store.OrgKey(run, w.org, "accounts.json"), accts)
	m := snapshot.Manifest{RunID: run, Started: start, Finished: start.Add(time.Minute), Organizations: []snapshot.Organization{{ID: w.org}}}
	for _, a := range accts {
		res := snapshot.AccountResult{ID: a.ID, Name: a.Name, OrgID: a.OrgID, Status: snapshot.StatusOK}
		if w.partial[a.ID] {
			res.Status = snapshot.StatusPartial
		}
		if w.failed[a.ID] {
			res.Status, res.Error = snapshot.StatusFailed, "sts:AssumeRole: AccessDenied"
			put(t, s, store.ErrorKey(run, a.ID), snapshot.ErrorRecord{AccountID: a.ID, Message: res.Error})
		} else {
			put(t, s, store.AccountKey(run, a.ID), snapshot.AccountInfo{Account: a})
			put(t, s, store.IAMKey(run, a.ID, store.DataUsers), orEmpty(w.users[a.ID]))
			put(t, s, store.IAMKey(run, a.ID, store.DataRoles), orEmpty(w.roles[a.ID]))
			put(t, s, store.IAMKey(run, a.ID, store.DataGroups), orEmpty(w.groups[a.ID]))
			put(t, s, store.IAMKey(run, a.ID, store.DataPolicies), orEmpty(w.policies[a.ID]))
			if c := w.creds[a.ID]; c != "" {
				put(t, s, store.CredentialReportKey(run, a.ID), c)
			}
		}
		m.Accounts = append(m.Accounts, res)
	}
	put(t, s, store.AWSManagedPolicyKey(run, "ReadOnlyAccess"), snapshot.ManagedPolicy{PolicyName: "ReadOnlyAccess", Arn: "arn:aws:iam::aws:policy/ReadOnlyAccess", DefaultVersionID: "v1",
		PolicyVersionList: []snapshot.PolicyVersion{{VersionID: "v1", IsDefaultVersion: true, Document: json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`)}}})
	put(t, s, store.ReportKey(run, "findings.json"), orEmpty(w.findings))
	if complete {
		put(t, s, store.ManifestKey(run), m)
	}
}

func orEmpty[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// changed applies the day's changes to a copy of the base world.
func changedWorld() *world {
	w := baseWorld()
	a := w.users[acctA]
	// alice: key deactivated, a new key, MFA removed; leaves no group.
	a[0].AccessKeys = []snapshot.AccessKey{{AccessKeyID: "AKIAALICE1", Status: "Inactive"}, {AccessKeyID: "AKIAALICE2", Status: "Active"}}
	// bob: the same inline policy written differently (order, case, list),
	// and a new direct attachment of the customer admin policy.
	a[1].UserPolicyList = []snapshot.InlinePolicy{{PolicyName: "s3", PolicyDocument: json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Allow","Action":["s3:listbucket","s3:GetObject","s3:GetObject"],"Resource":["*"]}]}`)}}
	a[1].AttachedManagedPolicies = []snapshot.AttachedPolicy{{PolicyName: "admin", PolicyArn: "arn:aws:iam::111111111111:policy/admin"}}
	// A new user, eve, with a console password.
	a = append(a, snapshot.User{UserName: "eve", UserID: "AIDAEVE", Arn: "arn:aws:iam::111111111111:user/eve", GroupList: []string{"devs"}})
	w.users[acctA] = a
	// devs gets AdministratorAccess: every member gets it through the group.
	w.groups[acctA][0].AttachedManagedPolicies = append(w.groups[acctA][0].AttachedManagedPolicies, snapshot.AttachedPolicy{PolicyName: "AdministratorAccess", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"})
	// deploy: a trust of an account outside the organization and a public one; last use changed (noise).
	w.roles[acctA][0].AssumeRolePolicyDocument = json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:root","999999999999"]},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}`)
	w.roles[acctA][0].RoleLastUsed = &snapshot.RoleLastUsed{Region: "eu-west-1"}
	// app: a new default version with one more statement; admin: a new
	// version id only (same document): noise.
	w.policies[acctA][0].DefaultVersionID = "v2"
	w.policies[acctA][0].PolicyVersionList = []snapshot.PolicyVersion{{VersionID: "v2", IsDefaultVersion: true, Document: json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"},{"Effect":"Allow","Action":"sns:Publish","Resource":"*"}]}`)}}
	w.policies[acctA][1].DefaultVersionID = "v7"
	w.policies[acctA][1].PolicyVersionList[0].VersionID = "v7"
	w.creds[acctA] = credCSV([][3]string{{"<root_account>", "arn:aws:iam::111111111111:root", "true|true"}, {"alice", "arn:aws:iam::111111111111:user/alice", "true|false"}, {"bob", "arn:aws:iam::111111111111:user/bob", "false|false"}, {"eve", "arn:aws:iam::111111111111:user/eve", "true|false"}})
	// carol deleted.
	w.users[acctB] = nil
	w.creds[acctB] = credCSV(nil)
	// bob's finding resolved, a new high one for eve.
	w.findings = []report.Finding{{AccountID: acctA, Principal: "arn:aws:iam::111111111111:user/eve", CheckID: "1.9", Title: "MFA", Severity: "high", Status: "FAIL"}}
	return w
}

func find(r *Report, kind, action, principal, subject string) *Change {
	for i, c := range r.Changes {
		if c.Kind == kind && c.Action == action && (principal == "" || c.Principal == principal) && (subject == "" || c.Subject == subject) {
			return &r.Changes[i]
		}
	}
	return nil
}

func TestCompare(t *testing.T) {
	ctx := context.Background()
	s := store.NewFile(t.TempDir())
	baseWorld().write(t, s, "2026-11-20", t0(), true)
	changedWorld().write(t, s, "2026-11-21", t0().Add(24*time.Hour), true)
	from, to, err := Resolve(ctx, s, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if from != "2026-11-20" || to != "2026-11-21" {
		t.Fatalf("resolved %s → %s", from, to)
	}
	r, err := Compare(ctx, s, from, to, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const alice, bob, eve, carol = "arn:aws:iam::111111111111:user/alice", "arn:aws:iam::111111111111:user/bob", "arn:aws:iam::111111111111:user/eve", "arn:aws:iam::222222222222:user/carol"
	const deploy = "arn:aws:iam::111111111111:role/deploy"
	want := []struct {
		kind, action, principal, subject, severity string
	}{
		{KindPrincipals, Added, eve, "user", SevMedium},
		{KindPrincipals, Removed, carol, "user", SevInfo},
		{KindAttachments, Added, bob, "arn:aws:iam::111111111111:policy/admin", SevHigh},
		{KindAttachments, Added, alice, "arn:aws:iam::aws:policy/AdministratorAccess", SevHigh},
		{KindAttachments, Added, eve, "arn:aws:iam::111111111111:group/devs", SevMedium},
		{KindAttachments, Added, eve, "arn:aws:iam::aws:policy/ReadOnlyAccess", SevMedium},
		{KindAttachments, Added, "arn:aws:iam::111111111111:group/devs", "arn:aws:iam::aws:policy/AdministratorAccess", SevHigh},
		{KindPolicies, Changed, "", "arn:aws:iam::111111111111:policy/app", SevMedium},
		{KindTrusts, Added, deploy, "AWS:999999999999", SevHigh},
		{KindTrusts, Added, deploy, "*:*", SevHigh},
		{KindKeys, Added, alice, "AKIAALICE2", SevMedium},
		{KindKeys, Deactivated, alice, "AKIAALICE1", SevInfo},
		{KindPasswords, Added, eve, "password", SevMedium},
		{KindMFA, Removed, alice, "mfa", SevHigh},
		{KindFindings, New, eve, "1.9", SevHigh},
		{KindFindings, Resolved, bob, "1.12", SevInfo},
	}
	for _, w := range want {
		c := find(r, w.kind, w.action, w.principal, w.subject)
		if c == nil {
			t.Errorf("missing %s %s %s %s", w.kind, w.action, w.principal, w.subject)
			continue
		}
		if c.Severity != w.severity {
			t.Errorf("%s %s %s %s: severity %s, want %s", w.kind, w.action, w.principal, w.subject, c.Severity, w.severity)
		}
	}
	// Through the group: alice gets AdministratorAccess "via group devs".
	if c := find(r, KindAttachments, Added, alice, "arn:aws:iam::aws:policy/AdministratorAccess"); c != nil && c.Via != "group devs" {
		t.Errorf("via = %q", c.Via)
	}
	if c := find(r, KindAttachments, Added, eve, "arn:aws:iam::aws:policy/AdministratorAccess"); c == nil || c.Severity != SevHigh {
		t.Errorf("eve's AdministratorAccess through devs: %+v", c)
	}
	app := find(r, KindPolicies, Changed, "", "arn:aws:iam::111111111111:policy/app")
	if app != nil {
		if len(app.Added) != 1 || app.Added[0].Action[0] != "sns:publish" || len(app.Removed) != 0 || app.ToVersion != "v2" || !strings.Contains(app.Detail, "v1 → v2") {
			t.Errorf("app change: %+v", app)
		}
	}
	// Noise: bob's rewritten inline policy, admin's new version id, the
	// role's last use, the existing in-org trust.
	for _, c := range r.Changes {
		if c.Kind == KindPolicies && (strings.Contains(c.Subject, "policy/admin") || strings.Contains(c.Subject, "inline:")) {
			t.Errorf("noise reported: %+v", c)
		}
		if c.Kind == KindTrusts && strings.Contains(c.Subject, "222222222222") {
			t.Errorf("unchanged trust reported: %+v", c)
		}
		if c.Kind == KindPrincipals && c.Principal == deploy {
			t.Errorf("role reported: %+v", c)
		}
	}
	if len(r.Changes) != len(want)+1 {
		var b bytes.Buffer
		Write(&b, "table", r)
		t.Errorf("%d changes, want %d:\n%s", len(r.Changes), len(want)+1, b.String())
	}
	if r.Accounts.Compared != 2 || r.Counts[KindTrusts] != 2 || r.BySeverity[SevHigh] != 8 {
		t.Errorf("counts: %+v %v %v", r.Accounts, r.Counts, r.BySeverity)
	}

	// --kind keeps only the kinds asked for.
	k, _ := ParseKinds("trusts,keys")
	r2, err := Compare(ctx, s, from, to, Options{Kinds: k})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r2.Changes {
		if c.Kind != KindTrusts && c.Kind != KindKeys {
			t.Errorf("--kind trusts,keys kept %s", c.Kind)
		}
	}
	if len(r2.Changes) != 4 {
		t.Errorf("--kind trusts,keys: %d changes, want 4", len(r2.Changes))
	}

	// The same run against itself, copied: no change at all.
	baseWorld().write(t, s, "2026-11-22", t0().Add(48*time.Hour), true)
	r3, err := Compare(ctx, s, "2026-11-20", "2026-11-22", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r3.Changes) != 0 {
		t.Errorf("identical runs: %d changes: %+v", len(r3.Changes), r3.Changes)
	}

	for _, f := range Formats {
		var b bytes.Buffer
		if err := Write(&b, f, r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !strings.Contains(b.String(), "AKIAALICE2") {
			t.Errorf("%s output lacks a change", f)
		}
	}
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	s := store.NewFile(t.TempDir())
	var nc *NotComparableError
	var ue *UsageError
	if _, _, err := Resolve(ctx, s, "", ""); !errors.As(err, &nc) {
		t.Fatalf("empty store: %v", err)
	}
	baseWorld().write(t, s, "2026-11-20", t0(), true)
	if _, _, err := Resolve(ctx, s, "", ""); !errors.As(err, &nc) || !strings.Contains(err.Error(), "one complete run") {
		t.Fatalf("one run: %v", err)
	}
	changedWorld().write(t, s, "2026-11-21", t0().Add(24*time.Hour), true)
	if _, _, err := Resolve(ctx, s, "2026-11-21", "2026-11-20"); !errors.As(err, &ue) || !strings.Contains(err.Error(), "after --to") {
		t.Fatalf("--from later than --to: %v", err)
	}
	if _, _, err := Resolve(ctx, s, "2026-11-20", "2026-11-20"); !errors.As(err, &ue) {
		t.Fatalf("same run: %v", err)
	}
	if _, _, err := Resolve(ctx, s, "2026-13-01", ""); !errors.As(err, &ue) {
		t.Fatalf("bad run name: %v", err)
	}
	// An incomplete run.
	baseWorld().write(t, s, "2026-11-22", t0().Add(48*time.Hour), false)
	if _, _, err := Resolve(ctx, s, "2026-11-20", "2026-11-22"); !errors.As(err, &nc) || !strings.Contains(err.Error(), "incomplete") {
		t.Fatalf("incomplete: %v", err)
	}
	// Another organization.
	other := baseWorld()
	other.org = "o-bbbb2222"
	other.write(t, s, "2026-11-23", t0().Add(72*time.Hour), true)
	if _, err := Compare(ctx, s, "2026-11-21", "2026-11-23", Options{}); !errors.As(err, &nc) || !strings.Contains(err.Error(), "different organizations") {
		t.Fatalf("other org: %v", err)
	}
	if _, err := ParseKinds("principals,bogus"); err == nil {
		t.Fatal("bad --kind accepted")
	}
}

// A run whose scan of an account failed: that account is not compared (its
// absence of data is not "everything deleted"), the other accounts are; the
// run being finalized (no manifest yet) can be the newer side.
func TestFailedAccountAndIncompleteNewer(t *testing.T) {
	ctx := context.Background()
	s := store.NewFile(t.TempDir())
	baseWorld().write(t, s, "2026-11-20", t0(), true)
	w := changedWorld()
	w.failed[acctA] = true
	w.write(t, s, "2026-11-21", t0().Add(24*time.Hour), false)
	prev, err := Previous(ctx, s, "2026-11-21")
	if err != nil || prev != "2026-11-20" {
		t.Fatalf("previous = %q, %v", prev, err)
	}
	r, err := Compare(ctx, s, prev, "2026-11-21", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Accounts.NotCompared != 1 || r.Accounts.Compared != 1 {
		t.Errorf("accounts: %+v", r.Accounts)
	}
	if c := find(r, KindAccounts, NotCompared, "", ""); c == nil || c.AccountID != acctA || !strings.Contains(c.Detail, "AccessDenied") {
		t.Errorf("not-compared change: %+v", c)
	}
	for _, c := range r.Changes {
		if c.AccountID == acctA && c.Kind != KindAccounts && c.Kind != KindFindings {
			t.Errorf("failed account compared: %+v", c)
		}
	}
	if find(r, KindPrincipals, Removed, "arn:aws:iam::222222222222:user/carol", "") == nil {
		t.Error("the healthy account was not compared")
	}
}

// A partial account (a regional collector denied) has its IAM data: it is
// compared like an ok one, in either run.
func TestPartialAccountIsCompared(t *testing.T) {
	ctx := context.Background()
	s := store.NewFile(t.TempDir())
	base := baseWorld()
	base.partial = map[string]bool{acctB: true}
	base.write(t, s, "2026-11-20", t0(), true)
	w := changedWorld()
	w.partial = map[string]bool{acctA: true}
	w.write(t, s, "2026-11-21", t0().Add(24*time.Hour), true)
	r, err := Compare(ctx, s, "2026-11-20", "2026-11-21", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Accounts.NotCompared != 0 || r.Accounts.Compared != 2 {
		t.Errorf("accounts: %+v", r.Accounts)
	}
	if c := find(r, KindAccounts, NotCompared, "", ""); c != nil {
		t.Errorf("a partial account is not compared: %+v", c)
	}
	if find(r, KindPrincipals, Added, "arn:aws:iam::111111111111:user/eve", "") == nil {
		t.Error("the changes of the account partial in the newer run are missing")
	}
	if find(r, KindPrincipals, Removed, "arn:aws:iam::222222222222:user/carol", "") == nil {
		t.Error("the changes of the account partial in the older run are missing")
	}
}

func TestNormalize(t *testing.T) {
	a, err := Normalize([]byte(`{"Statement":{"Effect":"Allow","Action":"S3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"AWS:SourceAccount":"111111111111"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Normalize([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"one","Effect":"Allow","Action":["s3:getobject"],"Resource":["arn:aws:s3:::b/*"],"Condition":{"StringEquals":{"aws:sourceaccount":["111111111111"]}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if add, rem := statementDiff(a, b); len(add)+len(rem) != 0 {
		t.Errorf("equivalent documents differ: +%v -%v", add, rem)
	}
	c, _ := Normalize([]byte(`{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::B/*"}}`))
	if add, rem := statementDiff(a, c); len(add) != 1 || len(rem) != 1 {
		t.Errorf("resource case and condition must count: +%v -%v", add, rem)
	}
}

// Normalize reads condition values with policy.ConditionValues: lists,
// numbers and booleans become their texts (a scalar and a one-item list are
// the same statement); null or an object makes the document not comparable.
func TestNormalizeConditionValueKinds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, value string
		want        []string // nil: refused
	}{
		{"list", `["b", "a"]`, []string{"a", "b"}},
		{"number", `3600`, []string{"3600"}},
		{"bool", `false`, []string{"false"}},
		{"null", `null`, nil},
		{"object", `{"a": "b"}`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, err := Normalize([]byte(`{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:UserName":` + tt.value + `}}}}`))
			if tt.want == nil {
				if err == nil || !strings.Contains(err.Error(), "aws:UserName") {
					t.Fatalf("value %s: %v, %v; want an error naming the key", tt.value, st, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := st[0].Condition["StringEquals"]["aws:username"]; strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("value %s: normalised %q, want %q", tt.value, got, tt.want)
			}
		})
	}
}
