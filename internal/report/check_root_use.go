package report

import (
	"fmt"
	"strings"
	"time"
)

// rootUseDays is the window of CIS 1.6 (root used recently).
const rootUseDays = 90

// CheckRootUse fails an account whose root user's password or access keys
// were used in the last rootUseDays days (needs the credential report).
var CheckRootUse = Check{
	ID: "1.6", Legacy: "1.7", Severity: SeverityHigh,
	Title:       "Eliminate use of the 'root' user for administrative and daily tasks",
	Rationale:   "Every use of the root user exposes the one credential that IAM cannot restrict; daily work belongs to roles and users with least privilege.",
	Remediation: "Find out who used the root user and for what (CloudTrail), move that work to IAM roles, and keep the root user for the few tasks that need it.",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-tasks.html",
	},
	Compliance: cis("1.6", "1.7"),
	evaluate:   evalRootUse,
}

func evalRootUse(s *subject) []result {
	root := s.a.rootRow()
	if root == nil {
		return nil
	}
	var uses []string
	var last *time.Time
	consider := func(t *time.Time, what string) {
		if t != nil && days(s.o.Now, *t) < rootUseDays {
			uses = append(uses, what+" on "+fmtDate(t))
		}
		if t != nil && (last == nil || t.After(*last)) {
			last = t
		}
	}
	consider(root.PasswordLastUsed, "password used")
	for i, k := range root.AccessKeys {
		consider(k.LastUsedDate, fmt.Sprintf("access key %d used", i+1))
	}
	if len(uses) > 0 {
		return []result{fail(PrincipalRoot, fmt.Sprintf("The root user was used in the last %d days: %s.", rootUseDays, strings.Join(uses, ", ")))}
	}
	ev := "The root user has no recorded password or access key use."
	if last != nil {
		ev = "The root user was last used " + fmtDate(last) + "."
	}
	return []result{pass(PrincipalRoot, ev)}
}

func dateOr(t *time.Time, or string) string {
	if t == nil {
		return or
	}
	return fmtDate(t)
}
