package report

import "strings"

// CheckPasswordComplexity fails an account whose password policy is missing
// or does not require symbols, numbers, upper-case and lower-case letters
// (needs account.json).
var CheckPasswordComplexity = Check{
	ID: "iam_password_policy_complexity", Severity: SeverityMedium,
	Title:       "Ensure the IAM password policy requires symbols, numbers, upper-case and lower-case letters",
	Rationale:   "Without character classes required, IAM accepts passwords such as \"aaaaaaaaaaaaaa\" that the length rule alone lets through.",
	Remediation: "Update the account password policy: aws iam update-account-password-policy --require-symbols --require-numbers --require-uppercase-characters --require-lowercase-characters (keep the other settings).",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html",
	},
	evaluate: evalPasswordComplexity,
}

func evalPasswordComplexity(s *subject) []result {
	if s.a.info == nil {
		return nil
	}
	pp := s.a.info.PasswordPolicy
	if pp == nil {
		return []result{fail(PrincipalAccount, noPasswordPolicy)}
	}
	var missing []string
	for _, c := range []struct {
		on   bool
		what string
	}{{pp.RequireSymbols, "symbols"}, {pp.RequireNumbers, "numbers"}, {pp.RequireUppercaseCharacters, "upper-case letters"}, {pp.RequireLowercaseCharacters, "lower-case letters"}} {
		if !c.on {
			missing = append(missing, c.what)
		}
	}
	if len(missing) > 0 {
		return []result{fail(PrincipalAccount, "The password policy does not require "+strings.Join(missing, ", ")+".")}
	}
	return []result{pass(PrincipalAccount, "The password policy requires symbols, numbers, upper-case and lower-case letters.")}
}
