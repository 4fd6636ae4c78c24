package report

import (
	"fmt"
	"sort"
	"strings"
)

// maxTargets bounds the resources one escalation method is tried on for a
// principal (the administrator users, groups and roles of the account): the
// cost of an account stays bounded however many administrators it has, and
// one path per method is evidence enough.
const maxTargets = 25

// probeRegion is the region of the resource ARNs the checks probe with:
// identity policies rarely name regions, and one that does restricts the
// principal, which is what the checks want to know.
const probeRegion = "us-east-1"

// computeService is a service that runs code with a role passed to it, and
// the actions that make it do so.
type computeService struct {
	principal string
	actions   []string // each "service:Action resource-template"
	// needsProfile: the role must be in an instance profile (EC2).
	needsProfile bool
}

// computeServices are the known "iam:PassRole + create" escalations
// (Rhino Security Labs' list of IAM privilege escalation methods). In the
// templates, P is the partition, A the account and R probeRegion.
var computeServices = []computeService{
	{principal: "lambda.amazonaws.com", actions: []string{"lambda:CreateFunction arn:P:lambda:R:A:function:orgiam-probe", "lambda:InvokeFunction arn:P:lambda:R:A:function:orgiam-probe"}},
	{principal: "ec2.amazonaws.com", actions: []string{"ec2:RunInstances arn:P:ec2:R:A:instance/*"}, needsProfile: true},
	{principal: "glue.amazonaws.com", actions: []string{"glue:CreateDevEndpoint arn:P:glue:R:A:devEndpoint/orgiam-probe"}},
	{principal: "cloudformation.amazonaws.com", actions: []string{"cloudformation:CreateStack arn:P:cloudformation:R:A:stack/orgiam-probe/*"}},
	{principal: "datapipeline.amazonaws.com", actions: []string{"datapipeline:CreatePipeline *", "datapipeline:PutPipelineDefinition arn:P:datapipeline:R:A:pipeline/orgiam-probe"}},
	{principal: "ecs-tasks.amazonaws.com", actions: []string{"ecs:RegisterTaskDefinition *", "ecs:RunTask arn:P:ecs:R:A:task-definition/orgiam-probe:1"}},
	{principal: "codebuild.amazonaws.com", actions: []string{"codebuild:CreateProject arn:P:codebuild:R:A:project/orgiam-probe", "codebuild:StartBuild arn:P:codebuild:R:A:project/orgiam-probe"}},
	{principal: "sagemaker.amazonaws.com", actions: []string{"sagemaker:CreateNotebookInstance arn:P:sagemaker:R:A:notebook-instance/orgiam-probe", "sagemaker:CreatePresignedNotebookInstanceUrl arn:P:sagemaker:R:A:notebook-instance/orgiam-probe"}},
}

// expand fills a resource template for the account.
func (s *subject) expand(tmpl string) string {
	if s.expander == nil {
		s.expander = strings.NewReplacer("arn:P:", "arn:"+s.a.partition()+":", ":R:", ":"+probeRegion+":", ":A:", ":"+s.a.id()+":")
	}
	return s.expander.Replace(tmpl)
}

// judged: the identity is one the risk checks look at (not already an
// administrator, not a service-linked role).
func (id *identity) judged() bool { return !id.admin && !id.serviceLinked() }

// escalations are, for each user and role of the account that is not an
// administrator, the ways its identity policies let it become one,
// computed once per account.
func (s *subject) escalations() map[*identity][]string {
	if s.escDone {
		return s.esc
	}
	s.escDone = true
	s.esc = map[*identity][]string{}
	ids := s.identities()
	var adminUsers, adminRoles []*identity
	for _, id := range ids {
		switch {
		case id.admin && id.kind == "user":
			adminUsers = append(adminUsers, id)
		case id.admin && id.kind == "role" && !id.serviceLinked():
			adminRoles = append(adminRoles, id)
		}
	}
	var adminGroups []string // ARNs
	for _, g := range s.a.groups {
		admin := false
		for _, ip := range g.GroupPolicyList {
			admin = admin || docIsAdmin(ip.PolicyDocument)
		}
		for _, ap := range g.AttachedManagedPolicies {
			admin = admin || s.a.awsManagedIsAdmin(ap)
			for _, mp := range s.a.policies {
				if mp.Arn == ap.PolicyArn && docIsAdmin(mp.DefaultDocument()) {
					admin = true
				}
			}
		}
		if admin {
			adminGroups = append(adminGroups, g.Arn)
		}
	}
	trusts := map[string]roleTrust{}
	for _, rt := range s.roleTrusts() {
		trusts[rt.role.Arn] = rt
	}
	for _, id := range ids {
		if !id.judged() {
			continue
		}
		if paths := s.escalationPaths(id, adminUsers, adminRoles, adminGroups, trusts); len(paths) > 0 {
			s.esc[id] = paths
		}
	}
	return s.esc
}

func (s *subject) escalationPaths(id *identity, adminUsers, adminRoles []*identity, adminGroups []string, trusts map[string]roleTrust) []string {
	var paths []string
	by := func(pols []string) string { return " (allowed by " + strings.Join(pols, ", ") + ")" }
	try := func(action, resource, how string) bool {
		if pols := id.allows(action, resource, nil); pols != nil {
			paths = append(paths, action+" on "+resource+by(pols)+": "+how)
			return true
		}
		return false
	}
	// Its own customer managed policies: a new default version.
	seen := map[string]bool{}
	for _, h := range id.policies {
		if h.kind != heldCustomer || seen[h.name] {
			continue
		}
		seen[h.name] = true
		if try("iam:CreatePolicyVersion", h.name, "a new default version of a policy it holds can allow \"*:*\"") {
			continue
		}
		for _, mp := range s.a.policies {
			if mp.Arn != h.name {
				continue
			}
			for _, v := range mp.PolicyVersionList {
				if !v.IsDefaultVersion && v.VersionID != mp.DefaultVersionID && docIsAdmin(v.Document) {
					try("iam:SetDefaultPolicyVersion", h.name, "its version "+v.VersionID+" allows \"*:*\"")
					break
				}
			}
		}
	}
	// Policies on itself (or its groups).
	if id.kind == "user" {
		_ = try("iam:AttachUserPolicy", id.arn, "it can attach AdministratorAccess to itself") ||
			try("iam:PutUserPolicy", id.arn, "it can give itself an inline \"*:*\" policy")
		for _, g := range id.user.GroupList {
			garn := s.a.groupArn(g)
			_ = try("iam:AttachGroupPolicy", garn, "it can attach AdministratorAccess to its group "+g) ||
				try("iam:PutGroupPolicy", garn, "it can give its group "+g+" an inline \"*:*\" policy")
		}
		for i, g := range adminGroups {
			if i >= maxTargets || try("iam:AddUserToGroup", g, "it can add itself to an administrators' group") {
				break
			}
		}
	} else {
		_ = try("iam:AttachRolePolicy", id.arn, "it can attach AdministratorAccess to itself") ||
			try("iam:PutRolePolicy", id.arn, "it can give itself an inline \"*:*\" policy")
	}
	// Credentials of an administrator.
	n := 0
	for _, u := range adminUsers {
		if u.arn == id.arn || n >= maxTargets {
			continue
		}
		n++
		if try("iam:CreateAccessKey", u.arn, "it can create an access key for an administrator") ||
			try("iam:CreateLoginProfile", u.arn, "it can set a console password for an administrator") ||
			try("iam:UpdateLoginProfile", u.arn, "it can change an administrator's console password") {
			break
		}
	}
	// Administrator roles: assume one that trusts it, rewrite one's trust, or
	// pass one to a service it can make run code.
	for i, r := range adminRoles {
		if i >= maxTargets {
			break
		}
		rt := trusts[r.arn]
		if pols := id.allows("sts:AssumeRole", r.arn, nil); pols != nil {
			if s.trustsIdentity(rt, id) {
				paths = append(paths, "sts:AssumeRole on "+r.arn+by(pols)+": the administrator role trusts it")
				continue
			}
			if up := id.allows("iam:UpdateAssumeRolePolicy", r.arn, nil); up != nil {
				paths = append(paths, "iam:UpdateAssumeRolePolicy and sts:AssumeRole on "+r.arn+by(dedupe(append(up, pols...)))+": it can make the administrator role trust it")
				continue
			}
		}
		for _, cs := range computeServices {
			if !trustsService(rt, cs.principal) || (cs.needsProfile && len(r.role.InstanceProfileList) == 0) {
				continue
			}
			passRole := id.allows("iam:PassRole", r.arn, map[string][]string{"iam:PassedToService": {cs.principal}})
			if passRole == nil {
				continue
			}
			all := append([]string(nil), passRole...)
			var acts []string
			ok := true
			for _, a := range cs.actions {
				action, tmpl, _ := strings.Cut(a, " ")
				pols := id.allows(action, s.expand(tmpl), nil)
				if pols == nil {
					ok = false
					break
				}
				acts = append(acts, action)
				all = append(all, pols...)
			}
			if ok {
				paths = append(paths, fmt.Sprintf("iam:PassRole on %s to %s with %s%s: code it runs there acts as the administrator role",
					r.arn, cs.principal, strings.Join(acts, " and "), by(dedupe(all))))
				break
			}
		}
	}
	return paths
}

// groupArn is the ARN of the account's group name.
func (a *acct) groupArn(name string) string {
	for _, g := range a.groups {
		if g.GroupName == name && g.Arn != "" {
			return g.Arn
		}
	}
	return "arn:" + a.partition() + ":iam::" + a.id() + ":group/" + name
}

// trustsIdentity: the role's trust policy names the identity or its
// account for sts:AssumeRole (then the identity's own policy decides).
func (s *subject) trustsIdentity(rt roleTrust, id *identity) bool {
	for _, t := range rt.stmts {
		if !t.assumes("sts:AssumeRole") || len(t.conds) > 0 {
			continue
		}
		for _, v := range t.principals("AWS") {
			if v == id.arn || v == s.a.id() || v == s.a.rootArn() {
				return true
			}
		}
	}
	return false
}

// trustsService: the role's trust policy lets the service assume it
// without a condition.
func trustsService(rt roleTrust, service string) bool {
	for _, t := range rt.stmts {
		if !t.assumes("sts:AssumeRole") {
			continue
		}
		for _, v := range t.principals("Service") {
			if strings.EqualFold(v, service) {
				return true
			}
		}
	}
	return false
}

// probe is one request the data access and exposure checks try.
type probe struct{ action, resource string }

// accessProbes try the action on a resource that no scoped policy names: a
// principal allowed it is allowed the action on every such resource.
func (s *subject) accessProbes(id *identity, probes []probe) []string {
	var out []string
	for _, p := range probes {
		if pols := id.allows(p.action, s.expand(p.resource), nil); pols != nil {
			out = append(out, p.action+" (allowed by "+strings.Join(pols, ", ")+")")
		}
	}
	sort.Strings(out)
	return out
}

// joinPaths lists at most five paths and counts the others.
func joinPaths(paths []string) string {
	if len(paths) <= 5 {
		return strings.Join(paths, "; ")
	}
	return strings.Join(paths[:5], "; ") + fmt.Sprintf("; and %d more", len(paths)-5)
}
