package report

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// Every CIS check has a principal that fails it and one that passes it in the fixture.
func TestCISChecks(t *testing.T) {
	o := fixtureOptions()
	o.IncludePass = true
	fs, err := Findings(context.Background(), fixture(t), o)
	if err != nil {
		t.Fatal(err)
	}
	get := func(acct, principal, check string) *Finding {
		for i := range fs {
			if fs[i].AccountID == acct && fs[i].Principal == principal && fs[i].CheckID == check {
				return &fs[i]
			}
		}
		return nil
	}
	const (
		mgmt   = "111111111111"
		prod   = "222222222222"
		broken = "333333333333"
		alice  = "arn:aws:iam::111111111111:user/alice"
		bob    = "arn:aws:iam::111111111111:user/bob"
		carol  = "arn:aws:iam::111111111111:user/carol"
		dave   = "arn:aws:iam::222222222222:user/dave"
		erin   = "arn:aws:iam::222222222222:user/erin"
	)
	tests := []struct {
		check     Check
		acct      string
		principal string
		status    string
		evidence  string
	}{
		{CheckRootAccessKey, mgmt, PrincipalRoot, StatusFail, "key 1 (last rotated 2025-06-01)"},
		{CheckRootAccessKey, prod, PrincipalRoot, StatusPass, "no active root access key"},
		{CheckRootMFA, broken, PrincipalRoot, StatusFail, "not active"},
		{CheckRootMFA, prod, PrincipalRoot, StatusPass, "MFA is active on the root user."},
		{CheckRootHardwareMFA, mgmt, PrincipalRoot, StatusFail, "virtual device arn:aws:iam::111111111111:mfa/root-account-mfa-device"},
		{CheckRootHardwareMFA, broken, PrincipalRoot, StatusFail, "no MFA"},
		{CheckRootHardwareMFA, prod, PrincipalRoot, StatusPass, "no virtual MFA device"},
		{CheckRootUse, mgmt, PrincipalRoot, StatusFail, "password used on 2026-11-01"},
		{CheckRootUse, prod, PrincipalRoot, StatusPass, "2026-01-01"},
		{CheckPasswordLength, mgmt, PrincipalAccount, StatusFail, "no IAM password policy"},
		{CheckPasswordLength, prod, PrincipalAccount, StatusPass, "minimum length is 14"},
		{CheckPasswordReuse, mgmt, PrincipalAccount, StatusFail, "no IAM password policy"},
		{CheckPasswordReuse, prod, PrincipalAccount, StatusPass, "last 24 passwords"},
		{CheckConsoleMFA, mgmt, alice, StatusFail, "no MFA"},
		{CheckConsoleMFA, mgmt, carol, StatusPass, "and MFA"},
		{CheckUnusedCreds, mgmt, bob, StatusFail, "access key 1 last used 2026-06-01 (167 days ago)"},
		{CheckUnusedCreds, broken, "arn:aws:iam::333333333333:user/frank", StatusFail, "password last used 2026-08-02"},
		{CheckUnusedCreds, mgmt, alice, StatusPass, "45 days"},
		{CheckUnusedCreds, mgmt, carol, StatusPass, "Every enabled credential was used in the last 45 days."}, // never used, password set 14 days ago
		{CheckOneActiveKey, mgmt, alice, StatusFail, "AKIAALICE1, AKIAALICE2"},
		{CheckOneActiveKey, prod, dave, StatusPass, "one active"},
		{CheckKeyRotation, mgmt, alice, StatusFail, "AKIAALICE1 created 2026-01-01 (318 days)"},
		{CheckKeyRotation, prod, dave, StatusPass, "90 days"},
		{CheckGroupPermissions, mgmt, alice, StatusFail, "AdministratorAccess (attached)"},
		{CheckGroupPermissions, prod, erin, StatusFail, "break-glass (inline)"},
		{CheckGroupPermissions, prod, dave, StatusPass, "no attached or inline"},
		{CheckAdminPolicy, mgmt, "arn:aws:iam::111111111111:policy/FullAdmin", StatusFail, "v2 allows"},
		// Boundary is used only as a permissions boundary (not attached):
		// judged by the unattached policies' check, not by CIS 1.15.
		{CheckUnattachedAdminPolicy, prod, "arn:aws:iam::222222222222:policy/Boundary", StatusPass, "does not allow"},
		{CheckAdminNoMFA, mgmt, bob, StatusFail, "FullAdmin (customer managed, through group devs)) without MFA"},
		{CheckAdminNoMFA, mgmt, carol, StatusPass, "with MFA"},
		{CheckAccessKeysAtSetup, prod, dave, StatusPass, "without an active access key that was never used"},
		{CheckAWSManagedAdminPolicy, mgmt, alice, StatusFail, "AdministratorAccess"},
		{CheckPasswordExpiry, prod, PrincipalAccount, StatusFail, "does not expire"},
		{CheckSupportRole, mgmt, PrincipalAccount, StatusFail, "None of the account's 1 role"},
		{CheckSupportRole, prod, PrincipalAccount, StatusPass, "support"},
	}
	for _, tc := range tests {
		t.Run(tc.check.ID+"/"+tc.acct+"/"+tc.principal, func(t *testing.T) {
			f := get(tc.acct, tc.principal, tc.check.ID)
			if f == nil {
				t.Fatalf("no finding for check %s, %s in %s", tc.check.ID, tc.principal, tc.acct)
			}
			if f.Status != tc.status || !strings.Contains(f.Evidence, tc.evidence) {
				t.Errorf("got %s %q, want %s containing %q", f.Status, f.Evidence, tc.status, tc.evidence)
			}
			if f.CheckIDLegacy != tc.check.Legacy || f.Severity != tc.check.Severity || f.Title != tc.check.Title {
				t.Errorf("finding carries %s/%s/%s, want the check table's", f.CheckIDLegacy, f.Severity, f.Title)
			}
		})
	}
	// Not evaluated where the input is missing: the failed account has no
	// account.json (password policy) and no roles.json (support role).
	for _, c := range []Check{CheckPasswordLength, CheckSupportRole} {
		if f := get(broken, PrincipalAccount, c.ID); f != nil {
			t.Errorf("check %s evaluated for the failed account without its input: %+v", c.ID, f)
		}
	}
	// Without IncludePass only FAIL rows come back.
	fails, err := Findings(context.Background(), fixture(t), fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fails {
		if f.Status != StatusFail {
			t.Fatalf("PASS row without IncludePass: %+v", f)
		}
	}
	if len(fails) != 27 {
		t.Errorf("%d FAIL findings, want 27", len(fails))
	}
}

// Root checks fall back on the account summary when the credential report is missing.
func TestRootChecksFromAccountSummary(t *testing.T) {
	tests := []struct {
		name    string
		summary map[string]int32
		key     string // expected status of 1.3
		mfa     string // expected status of 1.4
	}{
		{"keys and no MFA", map[string]int32{"AccountAccessKeysPresent": 1, "AccountMFAEnabled": 0}, StatusFail, StatusFail},
		{"clean", map[string]int32{"AccountAccessKeysPresent": 0, "AccountMFAEnabled": 1}, StatusPass, StatusPass},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &acct{account: snapshot.Account{ID: "555555555555"}, info: &snapshot.AccountInfo{Summary: tc.summary}}
			o := fixtureOptions().withDefaults()
			o.IncludePass = true
			fs := accountFindings(a, o)
			got := map[string]string{}
			for _, f := range fs {
				got[f.CheckID] = f.Status
			}
			if got[CheckRootAccessKey.ID] != tc.key || got[CheckRootMFA.ID] != tc.mfa {
				t.Errorf("1.3=%s 1.4=%s, want %s %s", got[CheckRootAccessKey.ID], got[CheckRootMFA.ID], tc.key, tc.mfa)
			}
			if _, ok := got[CheckRootUse.ID]; ok {
				t.Error("1.6 evaluated without a credential report")
			}
		})
	}
}

func TestNewHighFindings(t *testing.T) {
	f := func(acct, principal, check, sev, status string) Finding {
		return Finding{AccountID: acct, Principal: principal, CheckID: check, Severity: sev, Status: status}
	}
	prev := []Finding{
		f("1", "root", "1.3", SeverityHigh, StatusFail),
		f("1", "u/a", "1.9", SeverityHigh, StatusPass),
	}
	tests := []struct {
		name string
		cur  []Finding
		want int
	}{
		{"nothing new", []Finding{f("1", "root", "1.3", SeverityHigh, StatusFail)}, 0},
		{"new high fail", []Finding{f("1", "root", "1.3", SeverityHigh, StatusFail), f("2", "root", "1.3", SeverityHigh, StatusFail)}, 1},
		{"was passing, now failing", []Finding{f("1", "u/a", "1.9", SeverityHigh, StatusFail)}, 1},
		{"new medium is not counted", []Finding{f("1", "root", "1.5", SeverityMedium, StatusFail)}, 0},
		{"new pass is not counted", []Finding{f("3", "root", "1.3", SeverityHigh, StatusPass)}, 0},
		{"same principal, other check", []Finding{f("1", "root", "1.4", SeverityHigh, StatusFail)}, 1},
	}
	for _, tc := range tests {
		if got := NewHighFindings(prev, tc.cur); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := NewHighFindings(nil, prev); got != 1 {
		t.Errorf("against no previous run: %d, want 1", got)
	}
}

func TestDecodeFindings(t *testing.T) {
	f := Finding{AccountID: "111122223333", Principal: "root", CheckID: "1.3", Severity: SeverityHigh, Status: "FAIL"}
	for _, in := range []string{
		`[{"account_id":"111122223333","principal":"root","check_id":"1.3","severity":"high","status":"FAIL"}]`,
		`{"notes":["x"],"findings":[{"account_id":"111122223333","principal":"root","check_id":"1.3","severity":"high","status":"FAIL"}]}`,
	} {
		got, err := DecodeFindings([]byte(in))
		if err != nil || len(got) != 1 || got[0].Key() != f.Key() || got[0].Severity != f.Severity {
			t.Errorf("%s: %+v %v", in, got, err)
		}
	}
	if _, err := DecodeFindings([]byte(`{"findings": 3}`)); err == nil {
		t.Error("malformed findings decoded")
	}
}

// FailKeys over two findings.json streams counts what NewHighFindings counts.
func TestFailKeysAgreesWithNewHighFindings(t *testing.T) {
	prev := []Finding{
		{AccountID: "1", Principal: "root", CheckID: "1.3", Severity: SeverityHigh, Status: StatusFail},
		{AccountID: "1", Principal: "u", CheckID: "1.9", Severity: SeverityHigh, Status: StatusPass},
		{AccountID: "2", Principal: "u", CheckID: "1.11", Severity: SeverityMedium, Status: StatusFail},
	}
	cur := []Finding{
		{AccountID: "1", Principal: "root", CheckID: "1.3", Severity: SeverityHigh, Status: StatusFail},
		{AccountID: "1", Principal: "u", CheckID: "1.9", Severity: SeverityHigh, Status: StatusFail},
		{AccountID: "1", Principal: "u", CheckID: "1.9", Severity: SeverityHigh, Status: StatusFail},
		{AccountID: "2", Principal: "u", CheckID: "1.11", Severity: SeverityHigh, Status: StatusFail},
		{AccountID: "3", Principal: "v", CheckID: "1.12", Severity: SeverityLow, Status: StatusFail},
	}
	enc := func(fs []Finding, notes bool) []byte {
		var b bytes.Buffer
		d, _ := NewDoc(KindFindings, fs)
		if notes {
			d.Notes = []string{"a note"}
		}
		if err := WriteDoc(&b, FormatJSON, d); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	old, err := FailKeys(bytes.NewReader(enc(prev, true)), false)
	if err != nil {
		t.Fatal(err)
	}
	now, err := FailKeys(bytes.NewReader(enc(cur, false)), true)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for k := range now {
		if !old[k] {
			n++
		}
	}
	if want := NewHighFindings(prev, cur); n != want || want != 1 {
		t.Errorf("FailKeys count %d, NewHighFindings %d, want 1", n, want)
	}
}
