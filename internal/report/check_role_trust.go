package report

import (
	"fmt"
	"sort"
	"strings"
)

// The trust checks read roles.json. Service-linked roles are left out:
// AWS writes and owns their trust policies.

// assumeActions are the actions of a trust policy that let a caller in.
var assumeActions = []string{"sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"}

// callerKeys restrict who the caller may be (lower-case): with one of them
// a "*" principal is not everyone.
var callerKeys = []string{"aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn",
	"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths", "aws:userid"}

// changeableTrusts are the account's role trusts, service-linked roles and
// unparsable trust policies aside.
func (s *subject) changeableTrusts() []roleTrust {
	var out []roleTrust
	for _, rt := range s.roleTrusts() {
		if rt.err == nil && !strings.HasPrefix(rt.role.Path, "/aws-service-role/") {
			out = append(out, rt)
		}
	}
	return out
}

// CheckTrustAnyPrincipal fails a role whose trust policy lets any AWS
// principal assume it ("Principal": "*" or {"AWS": "*"}) without a condition
// on who the caller is.
var CheckTrustAnyPrincipal = Check{
	ID: "iam_role_trust_any_principal", Severity: SeverityHigh,
	Title:       "Ensure no role trusts every AWS principal (\"*\") without a condition on the caller",
	Rationale:   "A trust policy with Principal \"*\" and no condition on the caller lets any AWS account in the world assume the role.",
	Remediation: "Name the accounts or roles that may assume the role in Principal, or add a condition such as aws:PrincipalOrgID equal to your organization's id.",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid",
	},
	evaluate: evalTrustAnyPrincipal,
}

func evalTrustAnyPrincipal(s *subject) []result {
	var out []result
	for _, rt := range s.changeableTrusts() {
		var bad []string
		for _, t := range rt.stmts {
			if !t.assumes(assumeActions...) || t.hasKey(callerKeys...) {
				continue
			}
			for _, v := range t.principals("AWS") {
				if v == "*" {
					bad = append(bad, fmt.Sprintf("statement %d (%s)", t.index, t.condKeys()))
					break
				}
			}
		}
		if len(bad) > 0 {
			out = append(out, fail(rt.role.Arn, "Any AWS principal may assume the role: "+strings.Join(bad, ", ")+"."))
		} else {
			out = append(out, pass(rt.role.Arn, "The trust policy does not let every AWS principal in."))
		}
	}
	return out
}

// githubOIDC is the host of GitHub Actions' OIDC provider.
const githubOIDC = "token.actions.githubusercontent.com"

// webIdentityTrusts calls fn with each web identity provider a role trusts
// (the provider's host and path, as IAM names its condition keys) and the
// statement; SAML and Amazon Cognito identity pools (which are restricted
// by their aud condition, not sub) are left out.
func webIdentityTrusts(rt roleTrust, fn func(provider string, t trustStmt)) {
	for _, t := range rt.stmts {
		if !t.assumes("sts:AssumeRoleWithWebIdentity") {
			continue
		}
		for _, v := range t.principals("Federated") {
			p := v
			if i := strings.Index(v, ":oidc-provider/"); i >= 0 {
				p = v[i+len(":oidc-provider/"):]
			} else if strings.Contains(v, ":saml-provider/") || v == "cognito-identity.amazonaws.com" || v == "*" {
				continue
			}
			fn(p, t)
		}
	}
}

// wildcardOnly: a condition value that matches anything.
func wildcardOnly(v string) bool { return strings.Trim(v, "*?") == "" }

// subProblem says what is wrong with a statement's sub condition for the
// provider ("" when it names the subjects).
func subProblem(provider string, t trustStmt) string {
	vals := t.conds[strings.ToLower(provider)+":sub"]
	if len(vals) == 0 {
		return "no condition on " + provider + ":sub"
	}
	for _, v := range vals {
		open := wildcardOnly(v)
		if provider == githubOIDC {
			// repo:OWNER/REPO:…: a wildcard owner is every repository on GitHub.
			owner, _, _ := strings.Cut(strings.TrimPrefix(v, "repo:"), "/")
			open = open || wildcardOnly(owner)
		}
		if !open {
			return ""
		}
	}
	return fmt.Sprintf("%s:sub only matches wildcards (%s)", provider, strings.Join(vals, ", "))
}

func evalOIDCSub(s *subject, github bool) []result {
	var out []result
	for _, rt := range s.changeableTrusts() {
		var bad, good []string
		webIdentityTrusts(rt, func(provider string, t trustStmt) {
			if (provider == githubOIDC) != github {
				return
			}
			if p := subProblem(provider, t); p != "" {
				bad = append(bad, fmt.Sprintf("statement %d: %s", t.index, p))
			} else {
				good = append(good, provider)
			}
		})
		switch {
		case len(bad) > 0:
			out = append(out, fail(rt.role.Arn, "Web identity trust without a subject: "+strings.Join(bad, "; ")+"."))
		case len(good) > 0:
			out = append(out, pass(rt.role.Arn, "Web identity trust restricted by sub ("+strings.Join(dedupe(good), ", ")+")."))
		}
	}
	return out
}

// CheckGitHubOIDCSub fails a role that trusts GitHub Actions' OIDC provider
// without a sub condition naming the repositories.
var CheckGitHubOIDCSub = Check{
	ID: "iam_role_github_oidc_trust_sub_condition", Severity: SeverityHigh,
	Title:       "Ensure roles trusting GitHub Actions restrict the token's sub to your repositories",
	Rationale:   "Every GitHub Actions workflow, in any repository of any owner, gets a token from token.actions.githubusercontent.com; without a sub condition naming your repositories, any of them may assume the role.",
	Remediation: "Add a condition on token.actions.githubusercontent.com:sub (StringEquals, or StringLike with your owner spelled out: \"repo:OWNER/REPO:ref:refs/heads/main\"), beside the aud condition sts.amazonaws.com.",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html#idp_oidc_Create_GitHub",
		"https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services",
	},
	evaluate: func(s *subject) []result { return evalOIDCSub(s, true) },
}

// CheckOIDCSub fails a role that trusts another web identity provider (an
// EKS cluster, GitLab, Google, …) without a sub condition.
var CheckOIDCSub = Check{
	ID: "iam_role_oidc_trust_sub_condition", Severity: SeverityMedium,
	Title:       "Ensure roles trusting an OIDC provider restrict the token's sub",
	Rationale:   "Without a sub condition, every identity the provider issues tokens to (every service account of an EKS cluster, every project of a GitLab instance) may assume the role.",
	Remediation: "Add a condition on PROVIDER:sub naming the subjects that need the role (for EKS: system:serviceaccount:NAMESPACE:NAME), beside the aud condition.",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html",
		"https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html",
	},
	evaluate: func(s *subject) []result { return evalOIDCSub(s, false) },
}

// CheckExternalID fails a role that principals of accounts outside the
// organization (the run's accounts) may assume without an sts:ExternalId
// condition (needs the run's account list).
var CheckExternalID = Check{
	ID: "iam_role_cross_account_external_id", Severity: SeverityMedium,
	Title:       "Ensure roles trusted by accounts outside the organization require an external id",
	Rationale:   "A third party that assumes roles for many customers can be tricked into using its access to your role on another customer's behalf (the confused deputy); the external id it keeps per customer stops that.",
	Remediation: "Add a condition StringEquals sts:ExternalId with the id the third party gave you, or remove the trust if the account is not a known partner.",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
	},
	evaluate: evalExternalID,
}

func evalExternalID(s *subject) []result {
	org := s.orgAccounts()
	if org == nil {
		return nil
	}
	var out []result
	for _, rt := range s.changeableTrusts() {
		var without, with []string
		for _, t := range rt.stmts {
			if !t.assumes("sts:AssumeRole") {
				continue
			}
			for _, v := range t.principals("AWS") {
				acc := principalAccount(v)
				if v == "*" || acc == "" || org[acc] {
					continue
				}
				if t.hasKey("sts:externalid") {
					with = append(with, v)
				} else {
					without = append(without, v)
				}
			}
		}
		switch {
		case len(without) > 0:
			out = append(out, fail(rt.role.Arn, "Trusted outside the organization without sts:ExternalId: "+strings.Join(dedupe(without), ", ")+"."))
		case len(with) > 0:
			out = append(out, pass(rt.role.Arn, "Trusted outside the organization with sts:ExternalId: "+strings.Join(dedupe(with), ", ")+"."))
		}
	}
	return out
}

// deputyServices are the service principals whose documentation recommends
// aws:SourceArn or aws:SourceAccount in the trust policy of the roles the
// service assumes (each service's "Cross-service confused deputy
// prevention" page). Services that cannot set them for role assumption
// (EC2, Lambda, Glue, API Gateway, Backup, …) are not listed: the
// condition would break the role.
var deputyServices = map[string]bool{
	"appstream.amazonaws.com": true, "appsync.amazonaws.com": true, "bedrock.amazonaws.com": true,
	"cloudtrail.amazonaws.com": true, "config.amazonaws.com": true, "datasync.amazonaws.com": true,
	"dms.amazonaws.com": true, "firehose.amazonaws.com": true, "grafana.amazonaws.com": true,
	"iot.amazonaws.com": true, "logs.amazonaws.com": true, "personalize.amazonaws.com": true,
	"pipes.amazonaws.com": true, "scheduler.amazonaws.com": true, "sns.amazonaws.com": true,
	"ssm.amazonaws.com": true, "states.amazonaws.com": true, "transfer.amazonaws.com": true,
	"vpc-flow-logs.amazonaws.com": true,
}

var sourceKeys = []string{"aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid", "aws:sourceorgpaths"}

// CheckConfusedDeputy fails a role that a service of deputyServices may
// assume without aws:SourceArn or aws:SourceAccount in its trust policy.
var CheckConfusedDeputy = Check{
	ID: "iam_role_cross_service_confused_deputy_prevention", Severity: SeverityMedium,
	Title:       "Ensure service roles restrict the service by aws:SourceAccount or aws:SourceArn",
	Rationale:   "A service assumes the role on behalf of whoever configured it; without aws:SourceAccount or aws:SourceArn, another account's resource in that service could be pointed at your role (cross-service confused deputy).",
	Remediation: "Add a condition StringEquals aws:SourceAccount with the account id, or ArnLike aws:SourceArn with the resources of the service that use the role, to the trust policy's statement for the service.",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html#cross-service-confused-deputy-prevention",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcearn",
	},
	evaluate: evalConfusedDeputy,
}

func evalConfusedDeputy(s *subject) []result {
	var out []result
	for _, rt := range s.changeableTrusts() {
		var without, with []string
		for _, t := range rt.stmts {
			if !t.assumes("sts:AssumeRole") {
				continue
			}
			for _, v := range t.principals("Service") {
				if !deputyServices[strings.ToLower(v)] {
					continue
				}
				if t.hasKey(sourceKeys...) {
					with = append(with, v)
				} else {
					without = append(without, v)
				}
			}
		}
		switch {
		case len(without) > 0:
			out = append(out, fail(rt.role.Arn, "Service trust without aws:SourceAccount or aws:SourceArn: "+strings.Join(dedupe(without), ", ")+"."))
		case len(with) > 0:
			out = append(out, pass(rt.role.Arn, "Service trust restricted by source: "+strings.Join(dedupe(with), ", ")+"."))
		}
	}
	return out
}

func dedupe(v []string) []string {
	sort.Strings(v)
	out := v[:0]
	for i, x := range v {
		if i == 0 || x != v[i-1] {
			out = append(out, x)
		}
	}
	return out
}
