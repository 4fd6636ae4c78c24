package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckRootUse(t *testing.T) {
	t.Parallel()
	recent := reportRow(snapshot.RootUser)
	recent.PasswordLastUsed = ago(10)
	recent.AccessKeys[0] = snapshot.CredKey{Active: true, LastUsedDate: ago(200)}
	recent.AccessKeys[1] = snapshot.CredKey{Active: true, LastUsedDate: ago(89)}
	old := reportRow(snapshot.RootUser)
	old.PasswordLastUsed = ago(120)
	old.AccessKeys[0] = snapshot.CredKey{Active: true, LastUsedDate: ago(100)}
	never := reportRow(snapshot.RootUser)
	testCheck(t, CheckRootUse, []checkCase{
		{"used recently", &acct{report: []snapshot.CredentialReportRow{recent}},
			[]result{fail(PrincipalRoot, "The root user was used in the last 90 days: password used on 2026-11-05, access key 2 used on 2026-08-18.")}},
		{"used long ago", &acct{report: []snapshot.CredentialReportRow{old}},
			[]result{pass(PrincipalRoot, "The root user was last used 2026-08-07.")}},
		{"never used", &acct{report: []snapshot.CredentialReportRow{never}},
			[]result{pass(PrincipalRoot, "The root user has no recorded password or access key use.")}},
		{"no credential report", &acct{info: &snapshot.AccountInfo{Summary: map[string]int32{"AccountMFAEnabled": 1}}}, nil},
	})
}
