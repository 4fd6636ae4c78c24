package report

// CheckAdminNoMFA fails an IAM user with administrator access (a policy of
// its own or of one of its groups allows "*" on "*", no permissions boundary
// limits it) and no MFA device (needs users.json and the credential report).
// Unlike CIS 1.9 it also judges users with access keys only: their keys are
// administrator credentials.
var CheckAdminNoMFA = Check{
	ID: "iam_user_administrator_mfa", Severity: SeverityHigh,
	Title:       "Ensure IAM users with administrator access have MFA enabled",
	Rationale:   "An administrator's password or key alone is enough to take over the account; MFA is the one control that stops a phished password, and an MFA condition in policies the one that stops a leaked key.",
	Remediation: "Assign an MFA device to the user and require aws:MultiFactorAuthPresent for administrative actions; better, replace the user by a role assumed through IAM Identity Center.",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable.html",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/tutorial_users-self-manage-mfa-and-creds.html",
	},
	evaluate: evalAdminNoMFA,
}

func evalAdminNoMFA(s *subject) []result {
	admins := map[string]*identity{}
	for _, id := range s.identities() {
		if id.kind == "user" && id.admin {
			admins[id.arn] = id
		}
	}
	var out []result
	for _, p := range s.principals() {
		id := admins[p.user.Arn]
		if id == nil || p.row == nil {
			continue
		}
		if p.row.MFAActive {
			out = append(out, pass(p.who(), "Administrator (through "+id.adminVia()+") with MFA."))
		} else {
			out = append(out, fail(p.who(), "Administrator (through "+id.adminVia()+") without MFA."))
		}
	}
	return out
}
