package report

import "fmt"

// CheckPasswordReuse fails an account whose password policy is missing or
// remembers fewer than 24 passwords (needs account.json).
var CheckPasswordReuse = Check{
	ID: "1.8", Legacy: "1.9", Severity: SeverityLow,
	Title:       "Ensure IAM password policy prevents password reuse",
	Rationale:   "A user who cycles back to an old password brings back a credential that may already have leaked.",
	Remediation: "Set the account password policy to remember 24 passwords (aws iam update-account-password-policy --password-reuse-prevention 24).",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html",
	},
	Compliance: cis("1.8", "1.9"),
	evaluate:   evalPasswordReuse,
}

func evalPasswordReuse(s *subject) []result {
	if s.a.info == nil {
		return nil
	}
	pp := s.a.info.PasswordPolicy
	if pp == nil {
		return []result{fail(PrincipalAccount, noPasswordPolicy)}
	}
	return []result{{principal: PrincipalAccount, fail: pp.PasswordReusePrevention < 24,
		evidence: fmt.Sprintf("The password policy prevents reuse of the last %d passwords (24 required).", pp.PasswordReusePrevention)}}
}
