package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckConsoleMFA(t *testing.T) {
	t.Parallel()
	withMFA := reportRow("ann")
	withMFA.PasswordEnabled, withMFA.MFAActive = snapshot.TriTrue, true
	without := reportRow("ben")
	without.PasswordEnabled = snapshot.TriTrue
	noPassword := reportRow("cy")
	noPassword.PasswordEnabled = snapshot.TriFalse
	root := reportRow(snapshot.RootUser)
	root.PasswordEnabled = snapshot.TriTrue // not an IAM user: not judged here
	testCheck(t, CheckConsoleMFA, []checkCase{
		{"users", &acct{report: []snapshot.CredentialReportRow{root, withMFA, without, noPassword}}, []result{
			pass(userArn("ann"), "User has a console password and MFA."),
			fail(userArn("ben"), "User has a console password and no MFA."),
		}},
		{"users.json only", &acct{users: []snapshot.User{{UserName: "ann", Arn: userArn("ann")}}}, nil},
	})
}
