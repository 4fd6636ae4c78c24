package report

import "fmt"

// CheckPasswordLength fails an account whose password policy is missing or
// allows passwords shorter than 14 characters (needs account.json).
var CheckPasswordLength = Check{
	ID: "1.7", Legacy: "1.8", Severity: SeverityMedium,
	Title:       "Ensure IAM password policy requires minimum length of 14 or greater",
	Rationale:   "Longer passwords resist guessing and brute force; without a policy IAM accepts passwords of 8 characters.",
	Remediation: "Set the account password policy's minimum length to 14 or more (aws iam update-account-password-policy --minimum-password-length 14).",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html",
	},
	Compliance: cis("1.7", "1.8"),
	evaluate:   evalPasswordLength,
}

// noPasswordPolicy is the evidence of both password checks for an account without a policy.
const noPasswordPolicy = "The account has no IAM password policy."

func evalPasswordLength(s *subject) []result {
	if s.a.info == nil {
		return nil
	}
	pp := s.a.info.PasswordPolicy
	if pp == nil {
		return []result{fail(PrincipalAccount, noPasswordPolicy)}
	}
	return []result{{principal: PrincipalAccount, fail: pp.MinimumPasswordLength < 14,
		evidence: fmt.Sprintf("The password policy's minimum length is %d (at least 14 required).", pp.MinimumPasswordLength)}}
}
