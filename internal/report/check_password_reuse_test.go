package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckPasswordReuse(t *testing.T) {
	t.Parallel()
	policy := func(n int32) *acct {
		return &acct{info: &snapshot.AccountInfo{PasswordPolicy: &snapshot.PasswordPolicy{MinimumPasswordLength: 20, PasswordReusePrevention: n}}}
	}
	testCheck(t, CheckPasswordReuse, []checkCase{
		{"24", policy(24), []result{pass(PrincipalAccount, "The password policy prevents reuse of the last 24 passwords (24 required).")}},
		{"5", policy(5), []result{fail(PrincipalAccount, "The password policy prevents reuse of the last 5 passwords (24 required).")}},
		{"no policy", &acct{info: &snapshot.AccountInfo{}}, []result{fail(PrincipalAccount, "The account has no IAM password policy.")}},
		{"no account.json", &acct{}, nil},
	})
}
