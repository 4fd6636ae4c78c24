package report

import (
	"fmt"
	"strings"

	"github.com/orgiam/orgiam/internal/iamarn"
	"github.com/orgiam/orgiam/internal/policy"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// entity is a user, group or role with its own policies, as the policy
// checks go through them.
type entity struct {
	arn, kind string
	inline    []snapshot.InlinePolicy
	attached  []snapshot.AttachedPolicy
	// fixed: a service-linked role, whose policies the account cannot change.
	fixed bool
}

// entities lists the account's users, groups and roles (nil when none of
// users.json, groups.json and roles.json is there).
func (a *acct) entities() []entity {
	var out []entity
	for _, u := range a.users {
		out = append(out, entity{u.Arn, "user", u.UserPolicyList, u.AttachedManagedPolicies, false})
	}
	for _, g := range a.groups {
		out = append(out, entity{g.Arn, "group", g.GroupPolicyList, g.AttachedManagedPolicies, false})
	}
	for _, r := range a.roles {
		out = append(out, entity{r.Arn, "role", r.RolePolicyList, r.AttachedManagedPolicies, strings.HasPrefix(r.Path, "/aws-service-role/")})
	}
	return out
}

// hasEntities: users, groups or roles were collected.
func (a *acct) hasEntities() bool { return a.users != nil || a.groups != nil || a.roles != nil }

// awsManagedIsAdmin: the AWS managed policy grants full administrator access.
func (a *acct) awsManagedIsAdmin(p snapshot.AttachedPolicy) bool {
	if policy.AWSManagedAdminPolicies[p.PolicyName] {
		return true
	}
	return a.rn != nil && (a.rn.awsAdmin[p.PolicyArn] || a.rn.awsAdmin[p.PolicyName])
}

// CheckAWSManagedAdminPolicy fails a user, group or role with an AWS managed
// policy attached that allows "*" on "*" (AdministratorAccess), service-linked
// roles aside (needs users.json, groups.json or roles.json).
var CheckAWSManagedAdminPolicy = Check{
	ID: "iam_aws_attached_policy_no_administrative_privileges", Severity: SeverityMedium,
	Title:       "Ensure AWS managed policies that allow full \"*:*\" administrative privileges are not attached",
	Rationale:   "AdministratorAccess makes its holder an administrator of the account. It is the usual grant of break-glass and platform roles, which is why this is medium rather than high: each holder should be one the account means to have.",
	Remediation: "Detach the policy from principals that do not need full access and grant them job-function or least-privilege policies; keep administrator access to a few roles assumed through SSO or with MFA.",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
		"https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html",
	},
	evaluate: evalAWSManagedAdminPolicy,
}

func evalAWSManagedAdminPolicy(s *subject) []result {
	if !s.a.hasEntities() {
		return nil
	}
	var out []result
	for _, e := range s.a.entities() {
		if e.fixed {
			continue
		}
		var names []string
		for _, p := range e.attached {
			if iamarn.IsAWSManagedPolicy(p.PolicyArn) && s.a.awsManagedIsAdmin(p) {
				names = append(names, p.PolicyName)
			}
		}
		if len(names) > 0 {
			out = append(out, fail(e.arn, fmt.Sprintf("AWS managed %s allowing \"*:*\" attached to the %s: %s.", pluralWord(len(names), "policy", "policies"), e.kind, strings.Join(names, ", "))))
		}
	}
	if len(out) == 0 {
		out = append(out, pass(PrincipalAccount, "No user, group or role has an AWS managed policy allowing \"*:*\" attached."))
	}
	return out
}

// CheckInlineAdminPolicy fails a user, group or role with an inline policy
// that allows "*" on "*" (needs users.json, groups.json or roles.json).
var CheckInlineAdminPolicy = Check{
	ID: "iam_inline_policy_no_administrative_privileges", Severity: SeverityHigh,
	Title:       "Ensure inline policies that allow full \"*:*\" administrative privileges are not used",
	Rationale:   "An inline \"*:*\" policy makes its holder an administrator out of sight of the account's managed policies, where reviews and CIS 1.15 look.",
	Remediation: "Delete the inline policy and attach a managed least-privilege policy instead (or, for a real administrator role, the AWS managed AdministratorAccess, so that it shows where administrators are reviewed).",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
	},
	evaluate: evalInlineAdminPolicy,
}

func evalInlineAdminPolicy(s *subject) []result {
	if !s.a.hasEntities() {
		return nil
	}
	var out []result
	for _, e := range s.a.entities() {
		var names []string
		for _, p := range e.inline {
			if docIsAdmin(p.PolicyDocument) {
				names = append(names, p.PolicyName)
			}
		}
		if len(names) > 0 {
			out = append(out, fail(e.arn, fmt.Sprintf("Inline %s of the %s allowing \"*:*\" on \"*\": %s.", pluralWord(len(names), "policy", "policies"), e.kind, strings.Join(names, ", "))))
		}
	}
	if len(out) == 0 {
		out = append(out, pass(PrincipalAccount, "No inline policy of a user, group or role allows \"*:*\" on \"*\"."))
	}
	return out
}

// CheckUnattachedAdminPolicy fails a customer managed policy that allows "*"
// on "*" and is attached to nothing (needs policies.json): not a grant yet,
// one attachment away from one.
var CheckUnattachedAdminPolicy = Check{
	ID: "iam_customer_unattached_policy_no_administrative_privileges", Severity: SeverityLow,
	Title:       "Ensure unattached customer managed policies do not allow full \"*:*\" administrative privileges",
	Rationale:   "An unattached \"*:*\" policy grants nothing today, but whoever may attach policies can hand out administrator access with it, and it invites reuse.",
	Remediation: "Delete the policy if nothing needs it (aws iam delete-policy, after deleting its non-default versions), or narrow its statements.",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_manage-delete.html",
	},
	evaluate: evalUnattachedAdminPolicy,
}

func evalUnattachedAdminPolicy(s *subject) []result {
	var out []result
	for _, p := range s.a.policies {
		if p.AttachmentCount != 0 {
			continue // CheckAdminPolicy
		}
		if docIsAdmin(p.DefaultDocument()) {
			out = append(out, fail(p.Arn, fmt.Sprintf("Default version %s allows \"*:*\" on \"*\"; the policy is not attached.", p.DefaultVersionID)))
		} else {
			out = append(out, pass(p.Arn, fmt.Sprintf("Default version %s does not allow \"*:*\" on \"*\".", p.DefaultVersionID)))
		}
	}
	return out
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
