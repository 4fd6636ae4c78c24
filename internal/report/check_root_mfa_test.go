package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckRootMFA(t *testing.T) {
	t.Parallel()
	on := reportRow(snapshot.RootUser)
	on.MFAActive = true
	off := reportRow(snapshot.RootUser)
	testCheck(t, CheckRootMFA, []checkCase{
		{"MFA in the report", &acct{report: []snapshot.CredentialReportRow{on}},
			[]result{pass(PrincipalRoot, "MFA is active on the root user.")}},
		{"no MFA in the report", &acct{report: []snapshot.CredentialReportRow{off}},
			[]result{fail(PrincipalRoot, "MFA is not active on the root user.")}},
		{"MFA in the summary", &acct{info: &snapshot.AccountInfo{Summary: map[string]int32{"AccountMFAEnabled": 1}}},
			[]result{pass(PrincipalRoot, "MFA is active on the root user.")}},
		{"no MFA in the summary", &acct{info: &snapshot.AccountInfo{Summary: map[string]int32{"AccountMFAEnabled": 0}}},
			[]result{fail(PrincipalRoot, "MFA is not active on the root user.")}},
		{"summary without the MFA entry", &acct{info: &snapshot.AccountInfo{Summary: map[string]int32{"Users": 3}}}, nil},
		{"no account files", &acct{}, nil},
	})
}
