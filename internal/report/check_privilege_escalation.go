package report

// CheckPrivilegeEscalation fails a user or role that is not an administrator
// but whose identity policies let it become one by a known method: a new
// version of a policy it holds, attaching or writing policies on itself or
// its groups, joining an administrators' group, credentials for an
// administrator user, assuming or rewriting the trust of an administrator
// role, or passing such a role to a service it can make run code (needs
// users.json, groups.json, roles.json and policies.json). The permissions
// are decided by the evaluator on identity policies and permissions
// boundaries; the evidence says so.
var CheckPrivilegeEscalation = Check{
	ID: "iam_principal_privilege_escalation", Severity: SeverityHigh,
	Title:       "Ensure no principal can escalate its privileges to administrator",
	Rationale:   "A principal that can rewrite its own policies, create credentials for an administrator or pass an administrator role to code it runs is an administrator in all but name, and is rarely reviewed as one.",
	Remediation: "Remove the actions named in the path from the principal's policies, or scope them (iam:PassRole to named roles with iam:PassedToService, policy actions to resources the principal does not hold); a permissions boundary on the principals that may create roles and policies stops the loop.",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
		"https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/",
	},
	evaluate: evalPrivilegeEscalation,
}

func evalPrivilegeEscalation(s *subject) []result {
	esc := s.escalations()
	var out []result
	for _, id := range s.identities() {
		if !id.judged() {
			continue
		}
		if paths := esc[id]; len(paths) > 0 {
			out = append(out, fail(id.arn, "Can become an administrator: "+joinPaths(paths)+". "+identityOnly))
		} else {
			out = append(out, pass(id.arn, "No known path to administrator. "+identityOnly))
		}
	}
	return out
}
