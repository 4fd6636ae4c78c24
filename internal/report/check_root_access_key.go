package report

import (
	"fmt"
	"strings"
)

// CheckRootAccessKey fails an account whose root user has an active access
// key: from the credential report, else from the account summary.
var CheckRootAccessKey = Check{
	ID: "1.3", Legacy: "1.4", Severity: SeverityHigh,
	Title:       "Ensure no 'root' user account access key exists",
	Rationale:   "The root user can do anything in the account and cannot be limited by IAM policies; an access key for it is a long-lived credential that cannot be scoped down.",
	Remediation: "Sign in as the root user, open Security credentials, and delete (after deactivating) every access key. Use IAM roles or users with least-privilege policies instead.",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_delete-key.html",
	},
	Compliance: cis("1.3", "1.4"),
	evaluate:   evalRootAccessKey,
}

func evalRootAccessKey(s *subject) []result {
	a := s.a
	if root := a.rootRow(); root != nil {
		var active []string
		for i, k := range root.AccessKeys {
			if k.Active {
				active = append(active, fmt.Sprintf("key %d (last rotated %s)", i+1, dateOr(k.LastRotated, "unknown")))
			}
		}
		if len(active) > 0 {
			return []result{fail(PrincipalRoot, "The root user has an active access key: "+strings.Join(active, ", ")+".")}
		}
		return []result{pass(PrincipalRoot, "The credential report shows no active root access key.")}
	}
	summary := a.summary()
	if summary == nil {
		return nil
	}
	if n := summary["AccountAccessKeysPresent"]; n > 0 {
		return []result{fail(PrincipalRoot, fmt.Sprintf("The account summary reports AccountAccessKeysPresent=%d.", n))}
	}
	return []result{pass(PrincipalRoot, "The account summary reports no root access key.")}
}
