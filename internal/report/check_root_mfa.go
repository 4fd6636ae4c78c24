package report

// CheckRootMFA fails an account whose root user has no MFA: from the
// credential report, else from the account summary.
var CheckRootMFA = Check{
	ID: "1.4", Legacy: "1.5", Severity: SeverityHigh,
	Title:       "Ensure MFA is enabled for the 'root' user account",
	Rationale:   "The root user has unrestricted access to the account; MFA means a stolen password alone does not give it away.",
	Remediation: "Sign in as the root user, open Security credentials, and assign an MFA device (a hardware device or passkey for production accounts).",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/enable-mfa-for-root.html",
	},
	Compliance: cis("1.4", "1.5"),
	evaluate:   evalRootMFA,
}

func evalRootMFA(s *subject) []result {
	known, on := rootMFA(s.a)
	switch {
	case !known:
		return nil
	case on:
		return []result{pass(PrincipalRoot, "MFA is active on the root user.")}
	default:
		return []result{fail(PrincipalRoot, "MFA is not active on the root user.")}
	}
}

// rootMFA says whether the account's files tell if the root user has MFA
// (known), and if so whether it has (on): the credential report, else the
// account summary.
func rootMFA(a *acct) (known, on bool) {
	if root := a.rootRow(); root != nil {
		return true, root.MFAActive
	}
	if v, ok := a.summary()["AccountMFAEnabled"]; ok {
		return true, v > 0
	}
	return false, false
}
