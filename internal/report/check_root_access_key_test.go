package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckRootAccessKey(t *testing.T) {
	t.Parallel()
	withKey := reportRow(snapshot.RootUser)
	withKey.AccessKeys[1] = snapshot.CredKey{Active: true, LastRotated: ago(30)}
	inactive := reportRow(snapshot.RootUser)
	inactive.AccessKeys[0] = snapshot.CredKey{Active: false, LastRotated: ago(30)}
	testCheck(t, CheckRootAccessKey, []checkCase{
		{"active key in the report", &acct{report: []snapshot.CredentialReportRow{withKey}},
			[]result{fail(PrincipalRoot, "The root user has an active access key: key 2 (last rotated 2026-10-16).")}},
		{"inactive key in the report", &acct{report: []snapshot.CredentialReportRow{inactive}},
			[]result{pass(PrincipalRoot, "The credential report shows no active root access key.")}},
		{"the report wins over the summary", &acct{report: []snapshot.CredentialReportRow{inactive},
			info: &snapshot.AccountInfo{Summary: map[string]int32{"AccountAccessKeysPresent": 1}}},
			[]result{pass(PrincipalRoot, "The credential report shows no active root access key.")}},
		{"key in the summary", &acct{info: &snapshot.AccountInfo{Summary: map[string]int32{"AccountAccessKeysPresent": 1}}},
			[]result{fail(PrincipalRoot, "The account summary reports AccountAccessKeysPresent=1.")}},
		{"no key in the summary", &acct{info: &snapshot.AccountInfo{Summary: map[string]int32{"AccountMFAEnabled": 1}}},
			[]result{pass(PrincipalRoot, "The account summary reports no root access key.")}},
		{"neither report nor summary", &acct{info: &snapshot.AccountInfo{}}, nil},
	})
}
