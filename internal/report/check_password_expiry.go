package report

import "fmt"

// passwordMaxAgeDays is the longest password lifetime the expiry check accepts.
const passwordMaxAgeDays = 90

// CheckPasswordExpiry fails an account whose password policy is missing or
// lets passwords live longer than passwordMaxAgeDays (needs account.json).
// CIS dropped password expiry in v1.4 after NIST SP 800-63B; frameworks such
// as PCI DSS still ask for it, hence a low severity.
var CheckPasswordExpiry = Check{
	ID: "iam_password_policy_expiry", Severity: SeverityLow,
	Title:       "Ensure the IAM password policy expires passwords within 90 days or less",
	Rationale:   "A password that never expires stays valid for as long as it is known, leaked or not; some compliance frameworks require a maximum age.",
	Remediation: "Set a maximum password age: aws iam update-account-password-policy --max-password-age 90 (keep the other settings). Where NIST SP 800-63B is followed instead, mute this check.",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html",
	},
	evaluate: evalPasswordExpiry,
}

func evalPasswordExpiry(s *subject) []result {
	if s.a.info == nil {
		return nil
	}
	pp := s.a.info.PasswordPolicy
	switch {
	case pp == nil:
		return []result{fail(PrincipalAccount, noPasswordPolicy)}
	case !pp.ExpirePasswords || pp.MaxPasswordAge <= 0:
		return []result{fail(PrincipalAccount, "The password policy does not expire passwords.")}
	case pp.MaxPasswordAge > passwordMaxAgeDays:
		return []result{fail(PrincipalAccount, fmt.Sprintf("The password policy expires passwords after %d days (at most %d required).", pp.MaxPasswordAge, passwordMaxAgeDays))}
	}
	return []result{pass(PrincipalAccount, fmt.Sprintf("The password policy expires passwords after %d days (at most %d required).", pp.MaxPasswordAge, passwordMaxAgeDays))}
}
