package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/orgiam/orgiam/internal/iamarn"
)

// CheckSupportRole fails an account none of whose roles has the AWS managed
// policy AWSSupportAccess attached (needs roles.json).
var CheckSupportRole = Check{
	ID: "1.16", Legacy: "1.17", Severity: SeverityLow,
	Title:       "Ensure a support role has been created to manage incidents with AWS Support",
	Rationale:   "During an incident someone must be able to open and follow AWS Support cases without being handed broader access in a hurry.",
	Remediation: "Create a role that the incident responders can assume and attach the AWS managed policy AWSSupportAccess to it.",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/awssupport/latest/user/accessing-support.html",
	},
	Compliance: cis("1.16", "1.17"),
	evaluate:   evalSupportRole,
}

func evalSupportRole(s *subject) []result {
	a := s.a
	if a.roles == nil {
		return nil // roles.json missing: nothing to judge
	}
	var with []string
	for _, r := range a.roles {
		for _, p := range r.AttachedManagedPolicies {
			if a, ok := iamarn.Parse(p.PolicyArn); ok && a.AccountID == "aws" && a.Type == "policy" && a.Path == "/" && a.Name == "AWSSupportAccess" {
				with = append(with, r.RoleName)
				break
			}
		}
	}
	if len(with) == 0 {
		return []result{fail(PrincipalAccount, fmt.Sprintf("None of the account's %s has AWSSupportAccess attached.", plural(len(a.roles), "role", "roles")))}
	}
	sort.Strings(with)
	return []result{pass(PrincipalAccount, "AWSSupportAccess is attached to: "+strings.Join(with, ", ")+".")}
}
