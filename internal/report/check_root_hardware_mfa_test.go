package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckRootHardwareMFA(t *testing.T) {
	t.Parallel()
	on := reportRow(snapshot.RootUser)
	on.MFAActive = true
	off := reportRow(snapshot.RootUser)
	const serial = "arn:aws:iam::" + testAccount + ":mfa/root-account-mfa-device"
	userMFA := []snapshot.MFADevice{{SerialNumber: "arn:aws:iam::" + testAccount + ":mfa/alice"}}
	testCheck(t, CheckRootHardwareMFA, []checkCase{
		{"hardware MFA", &acct{report: []snapshot.CredentialReportRow{on}, mfa: userMFA},
			[]result{pass(PrincipalRoot, "Root MFA is active and no virtual MFA device is assigned to root.")}},
		{"virtual MFA by serial", &acct{report: []snapshot.CredentialReportRow{on}, mfa: []snapshot.MFADevice{{SerialNumber: serial}}},
			[]result{fail(PrincipalRoot, "The root user's MFA is the virtual device "+serial+".")}},
		{"virtual MFA by user", &acct{report: []snapshot.CredentialReportRow{on},
			mfa: []snapshot.MFADevice{{SerialNumber: "arn:aws:iam::" + testAccount + ":mfa/phone", User: &snapshot.MFAUser{Arn: "arn:aws:iam::" + testAccount + ":root"}}}},
			[]result{fail(PrincipalRoot, "The root user's MFA is the virtual device arn:aws:iam::"+testAccount+":mfa/phone.")}},
		{"another account's root device", &acct{report: []snapshot.CredentialReportRow{on}, mfa: []snapshot.MFADevice{{SerialNumber: "arn:aws:iam::111122223333:mfa/root-account-mfa-device"}}},
			[]result{pass(PrincipalRoot, "Root MFA is active and no virtual MFA device is assigned to root.")}},
		{"no MFA", &acct{report: []snapshot.CredentialReportRow{off}},
			[]result{fail(PrincipalRoot, "The root user has no MFA at all.")}},
		{"unknown", &acct{}, nil},
	})
}
