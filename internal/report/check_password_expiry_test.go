package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckPasswordExpiry(t *testing.T) {
	t.Parallel()
	with := func(expire bool, age int32) *acct {
		return &acct{info: &snapshot.AccountInfo{PasswordPolicy: &snapshot.PasswordPolicy{ExpirePasswords: expire, MaxPasswordAge: age}}}
	}
	testCheck(t, CheckPasswordExpiry, []checkCase{
		{"90", with(true, 90), []result{pass(PrincipalAccount, "The password policy expires passwords after 90 days (at most 90 required).")}},
		{"180", with(true, 180), []result{fail(PrincipalAccount, "The password policy expires passwords after 180 days (at most 90 required).")}},
		{"never", with(false, 0), []result{fail(PrincipalAccount, "The password policy does not expire passwords.")}},
		{"no policy", &acct{info: &snapshot.AccountInfo{}}, []result{fail(PrincipalAccount, "The account has no IAM password policy.")}},
		{"no account.json", &acct{}, nil},
	})
}
