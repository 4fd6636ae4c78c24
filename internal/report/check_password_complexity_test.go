package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckPasswordComplexity(t *testing.T) {
	t.Parallel()
	with := func(pp snapshot.PasswordPolicy) *acct { return &acct{info: &snapshot.AccountInfo{PasswordPolicy: &pp}} }
	testCheck(t, CheckPasswordComplexity, []checkCase{
		{"all", with(snapshot.PasswordPolicy{RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true, RequireLowercaseCharacters: true}),
			[]result{pass(PrincipalAccount, "The password policy requires symbols, numbers, upper-case and lower-case letters.")}},
		{"some", with(snapshot.PasswordPolicy{RequireNumbers: true, RequireLowercaseCharacters: true}),
			[]result{fail(PrincipalAccount, "The password policy does not require symbols, upper-case letters.")}},
		{"no policy", &acct{info: &snapshot.AccountInfo{}}, []result{fail(PrincipalAccount, "The account has no IAM password policy.")}},
		{"no account.json", &acct{}, nil},
	})
}
