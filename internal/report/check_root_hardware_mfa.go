package report

import "strings"

// CheckRootHardwareMFA fails an account whose root user has no MFA or a
// virtual one (an MFA device assigned to root in mfa-devices.json).
var CheckRootHardwareMFA = Check{
	ID: "1.5", Legacy: "1.6", Severity: SeverityMedium,
	Title:       "Ensure hardware MFA is enabled for the 'root' user account",
	Rationale:   "A virtual MFA device lives on a phone or computer that can itself be compromised or lost; a hardware device keeps the root user's second factor off general-purpose machines.",
	Remediation: "Replace the root user's virtual MFA device by a hardware TOTP token or a FIDO security key.",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_physical.html",
	},
	Compliance: cis("1.5", "1.6"),
	evaluate:   evalRootHardwareMFA,
}

func evalRootHardwareMFA(s *subject) []result {
	known, on := rootMFA(s.a)
	if !known {
		return nil
	}
	switch virtual := rootVirtualMFA(s.a); {
	case !on:
		return []result{fail(PrincipalRoot, "The root user has no MFA at all.")}
	case virtual != "":
		return []result{fail(PrincipalRoot, "The root user's MFA is the virtual device "+virtual+".")}
	default:
		return []result{pass(PrincipalRoot, "Root MFA is active and no virtual MFA device is assigned to root.")}
	}
}

// rootVirtualMFA returns the serial of a virtual MFA device of the root user ("" if none).
func rootVirtualMFA(a *acct) string {
	rootArn := a.rootArn()
	for _, d := range a.mfa {
		if strings.HasSuffix(d.SerialNumber, ":mfa/root-account-mfa-device") && strings.Contains(d.SerialNumber, ":"+a.id()+":") {
			return d.SerialNumber
		}
		if d.User != nil && (d.User.Arn == rootArn || strings.HasSuffix(d.User.Arn, "::"+a.id()+":root")) {
			return d.SerialNumber
		}
	}
	return ""
}
