package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckAccessKeysAtSetup(t *testing.T) {
	t.Parallel()
	atSetup := reportRow("ann")
	atSetup.PasswordEnabled, atSetup.UserCreationTime = snapshot.TriTrue, ago(100)
	atSetup.AccessKeys[0] = snapshot.CredKey{Active: true, LastRotated: ago(100)}
	used := reportRow("ben")
	used.PasswordEnabled = snapshot.TriTrue
	used.AccessKeys[0] = snapshot.CredKey{Active: true, LastRotated: ago(50), LastUsedDate: ago(2)}
	later := reportRow("cy")
	later.PasswordEnabled, later.UserCreationTime = snapshot.TriTrue, ago(100)
	later.AccessKeys[1] = snapshot.CredKey{Active: true, LastRotated: ago(30)}
	keyOnly := reportRow("dee") // no console password: not judged
	keyOnly.PasswordEnabled = snapshot.TriFalse
	keyOnly.AccessKeys[0] = snapshot.CredKey{Active: true, LastRotated: ago(5)}
	testCheck(t, CheckAccessKeysAtSetup, []checkCase{
		{"users", &acct{report: []snapshot.CredentialReportRow{atSetup, used, later, keyOnly}}, []result{
			fail(userArn("ann"), "Console user with an active access key never used: access key 1 (created "+fmtDate(ago(100))+", with the user)."),
			pass(userArn("ben"), "Console user without an active access key that was never used."),
			fail(userArn("cy"), "Console user with an active access key never used: access key 2 (created "+fmtDate(ago(30))+")."),
		}},
		{"no credential report", &acct{}, nil},
	})
}
