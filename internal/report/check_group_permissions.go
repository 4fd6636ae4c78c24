package report

import "strings"

// CheckGroupPermissions fails an IAM user with attached or inline policies
// of its own (needs users.json).
var CheckGroupPermissions = Check{
	ID: "1.14", Legacy: "1.15", Severity: SeverityLow,
	Title:       "Ensure IAM users receive permissions only through groups",
	Rationale:   "Permissions granted through groups (or roles) are reviewed in one place; policies on single users drift out of sight.",
	Remediation: "Put the user in a group that carries the policy, then detach the managed policies and delete the inline policies from the user.",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups_manage_attach-policy.html",
	},
	Compliance: cis("1.14", "1.15"),
	evaluate:   evalGroupPermissions,
}

func evalGroupPermissions(s *subject) []result {
	var out []result
	for _, p := range s.principals() {
		u := p.user
		// A user only the credential report knows has none of these: its
		// policies are unknown, not absent.
		if u.UserID == "" && u.GroupList == nil && u.AttachedManagedPolicies == nil && u.UserPolicyList == nil {
			continue
		}
		var direct []string
		for _, pl := range u.AttachedManagedPolicies {
			direct = append(direct, pl.PolicyName+" (attached)")
		}
		for _, pl := range u.UserPolicyList {
			direct = append(direct, pl.PolicyName+" (inline)")
		}
		if len(direct) > 0 {
			out = append(out, fail(p.who(), "Policies on the user itself: "+strings.Join(direct, ", ")+"."))
		} else {
			out = append(out, pass(p.who(), "User has no attached or inline policies."))
		}
	}
	return out
}
