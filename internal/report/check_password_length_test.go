package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckPasswordLength(t *testing.T) {
	t.Parallel()
	policy := func(n int32) *acct {
		return &acct{info: &snapshot.AccountInfo{PasswordPolicy: &snapshot.PasswordPolicy{MinimumPasswordLength: n}}}
	}
	testCheck(t, CheckPasswordLength, []checkCase{
		{"14", policy(14), []result{pass(PrincipalAccount, "The password policy's minimum length is 14 (at least 14 required).")}},
		{"13", policy(13), []result{fail(PrincipalAccount, "The password policy's minimum length is 13 (at least 14 required).")}},
		{"no policy", &acct{info: &snapshot.AccountInfo{}}, []result{fail(PrincipalAccount, "The account has no IAM password policy.")}},
		{"no account.json", &acct{}, nil},
	})
}
