package report

import (
	"fmt"

	"github.com/orgiam/orgiam/internal/policy"
)

// CheckAdminPolicy fails an attached customer managed policy whose default
// version allows "*" on "*" (needs policies.json). CIS 1.15 audits the
// attached customer managed policies (list-policies --only-attached --scope
// Local); AWS managed and inline policies and unattached ones have checks of
// their own.
var CheckAdminPolicy = Check{
	ID: "1.15", Legacy: "1.16", Severity: SeverityHigh,
	Title:       "Ensure IAM policies that allow full \"*:*\" administrative privileges are not attached",
	Rationale:   "A policy allowing every action on every resource makes whoever holds it an administrator; least privilege starts with not handing that out.",
	Remediation: "Replace the policy's \"*:*\" statement by the actions and resources its holders need (IAM Access Analyzer policy generation helps), or detach it.",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
	},
	Compliance: cis("1.15", "1.16"),
	evaluate:   evalAdminPolicy,
}

func evalAdminPolicy(s *subject) []result {
	var out []result
	for _, p := range s.a.policies {
		if p.AttachmentCount == 0 {
			continue // CheckUnattachedAdminPolicy
		}
		doc, err := policy.Parse(p.DefaultDocument())
		switch {
		case err != nil:
			out = append(out, pass(p.Arn, "Default version could not be parsed: "+err.Error()))
		case doc.IsAdmin():
			out = append(out, fail(p.Arn, fmt.Sprintf("Default version %s allows \"*:*\" on \"*\"; %s.",
				p.DefaultVersionID, plural(int(p.AttachmentCount), "attachment", "attachments"))))
		default:
			out = append(out, pass(p.Arn, fmt.Sprintf("Default version %s does not allow \"*:*\" on \"*\".", p.DefaultVersionID)))
		}
	}
	return out
}
