package report

// CheckConsoleMFA fails an IAM user with a console password and no MFA
// (needs the credential report).
var CheckConsoleMFA = Check{
	ID: "1.9", Legacy: "1.10", Severity: SeverityHigh,
	Title:       "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password",
	Rationale:   "A console password alone is one phishing page away from an attacker; MFA adds a factor the attacker does not have.",
	Remediation: "Assign an MFA device to the user (or remove the console password if the user does not need the console), and require MFA by policy.",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable.html",
	},
	Compliance: cis("1.9", "1.10"),
	evaluate:   evalConsoleMFA,
}

func evalConsoleMFA(s *subject) []result {
	var out []result
	for _, p := range s.principals() {
		if p.row == nil || !p.row.PasswordEnabled.Bool() {
			continue
		}
		if p.row.MFAActive {
			out = append(out, pass(p.who(), "User has a console password and MFA."))
		} else {
			out = append(out, fail(p.who(), "User has a console password and no MFA."))
		}
	}
	return out
}
