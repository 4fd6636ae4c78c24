package report

import "strings"

// CheckCrossAccountPaths lists, for each role that principals of another
// account may assume, the path: who (in the organization or not), the
// action, and what the role may do (administrator, a path to administrator,
// or its policies). Every such role is a low FAIL: an access path to review,
// not a defect in itself (needs roles.json).
var CheckCrossAccountPaths = Check{
	ID: "iam_role_cross_account_access_path", Severity: SeverityLow,
	Title:       "Review the roles other accounts can assume, and what they lead to",
	Rationale:   "A role trusted by another account extends that account's principals into this one; an administrator at the end of the path makes the other account's weakest credential this account's administrator.",
	Remediation: "Keep the trusts that are meant (name the roles rather than the account root, add aws:PrincipalOrgID or sts:ExternalId), remove the others, and mute the reviewed ones.",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/tutorial_cross-account-with-roles.html",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_aws-accounts.html",
	},
	evaluate: evalCrossAccountPaths,
}

func evalCrossAccountPaths(s *subject) []result {
	org := s.orgAccounts()
	byArn := map[string]*identity{}
	for _, id := range s.identities() {
		byArn[id.arn] = id
	}
	esc := s.escalations()
	var out []result
	for _, rt := range s.changeableTrusts() {
		var from []string
		for _, t := range rt.stmts {
			if !t.assumes("sts:AssumeRole") {
				continue
			}
			for _, v := range t.principals("AWS") {
				acc := principalAccount(v)
				if v == "*" || acc == "" || acc == s.a.id() {
					continue
				}
				where := ""
				switch {
				case org == nil:
				case org[acc]:
					where = " (in the organization)"
				default:
					where = " (outside the organization)"
				}
				if len(t.conds) > 0 {
					where += " with " + t.condKeys()
				}
				from = append(from, v+where)
			}
		}
		if len(from) == 0 {
			out = append(out, pass(rt.role.Arn, "No principal of another account may assume the role."))
			continue
		}
		leads := "a role with no policy the snapshot knows"
		if id := byArn[rt.role.Arn]; id != nil {
			switch {
			case id.admin:
				leads = "an administrator (through " + id.adminVia() + ")"
			case len(esc[id]) > 0:
				leads = "a role that can become an administrator (" + joinPaths(esc[id]) + ")"
			case len(id.policies) > 0:
				names := make([]string, 0, len(id.policies))
				for _, h := range id.policies {
					names = append(names, h.describe())
				}
				leads = "a role with " + strings.Join(names, ", ")
			}
		}
		out = append(out, fail(rt.role.Arn, strings.Join(dedupe(from), ", ")+" → sts:AssumeRole → "+leads+"."))
	}
	return out
}
