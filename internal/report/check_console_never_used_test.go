package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckConsoleNeverUsed(t *testing.T) {
	t.Parallel()
	used, old, fresh, none := reportRow("ann"), reportRow("ben"), reportRow("cy"), reportRow("dee")
	used.PasswordEnabled, used.PasswordLastUsed, used.UserCreationTime = snapshot.TriTrue, ago(3), ago(400)
	old.PasswordEnabled, old.UserCreationTime, old.PasswordLastUsedNoInfo = snapshot.TriTrue, ago(200), true
	fresh.PasswordEnabled, fresh.UserCreationTime, fresh.PasswordLastChanged = snapshot.TriTrue, ago(200), ago(5)
	none.PasswordEnabled = snapshot.TriFalse
	testCheck(t, CheckConsoleNeverUsed, []checkCase{
		{"users", &acct{report: []snapshot.CredentialReportRow{used, old, fresh, none}}, []result{
			pass(userArn("ann"), "Console password last used "+fmtDate(ago(3))+"."),
			fail(userArn("ben"), "Console password set "+fmtDate(ago(200))+" (200 days ago) and never used."),
			pass(userArn("cy"), "Console password set "+fmtDate(ago(5))+", not used yet (30 days allowed)."),
		}},
		{"no credential report", &acct{}, nil},
	})
}
