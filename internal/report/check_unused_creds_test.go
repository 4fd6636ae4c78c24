package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckUnusedCreds(t *testing.T) {
	t.Parallel()
	used := reportRow("ann")
	used.PasswordEnabled, used.PasswordLastUsed = snapshot.TriTrue, ago(3)
	used.AccessKeys[0] = snapshot.CredKey{Active: true, LastRotated: ago(400), LastUsedDate: ago(44)}
	stale := reportRow("ben")
	stale.AccessKeys[0] = snapshot.CredKey{Active: true, LastRotated: ago(400), LastUsedDate: ago(45)}
	stale.AccessKeys[1] = snapshot.CredKey{Active: true, LastRotated: ago(50)}
	young := reportRow("cy")
	young.PasswordEnabled, young.PasswordLastChanged = snapshot.TriTrue, ago(14)
	oldUser := reportRow("dee")
	oldUser.PasswordEnabled = snapshot.TriTrue
	none := reportRow("eve")
	none.AccessKeys[0] = snapshot.CredKey{Active: false, LastRotated: ago(400)}
	testCheck(t, CheckUnusedCreds, []checkCase{
		{"users", &acct{
			users:  []snapshot.User{{UserName: "dee", Arn: userArn("dee"), CreateDate: ago(60)}},
			report: []snapshot.CredentialReportRow{used, stale, young, oldUser, none},
		}, []result{
			fail(userArn("dee"), "Enabled credentials unused for 45 days or more: password never used since 2026-09-16 (60 days)."),
			pass(userArn("ann"), "Every enabled credential was used in the last 45 days."),
			fail(userArn("ben"), "Enabled credentials unused for 45 days or more: access key 1 last used 2026-10-01 (45 days ago); access key 2 never used since 2026-09-26 (50 days)."),
			pass(userArn("cy"), "Every enabled credential was used in the last 45 days."),
		}},
	})
}
