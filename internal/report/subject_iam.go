package report

import (
	"sort"
	"strings"

	"github.com/orgiam/orgiam/internal/evaluate"
	"github.com/orgiam/orgiam/internal/iamarn"
	"github.com/orgiam/orgiam/internal/policy"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// Policy kinds of heldPolicy.
const (
	heldInline   = "inline"
	heldCustomer = "customer managed"
	heldAWS      = "AWS managed"
)

// heldPolicy is one identity policy of a user or role: its own, or (for a
// user) one of its groups'.
type heldPolicy struct {
	name  string // the managed policy's ARN, or the inline policy's name
	kind  string // heldInline, heldCustomer or heldAWS
	group string // the group it comes through ("" for the principal's own)
	admin bool   // its (default version) allows "*" on "*"
	// compiled is nil when the document is not in the snapshot (an AWS
	// managed policy of a run without aws-managed-policies/) or did not
	// compile: the evaluations leave it out.
	compiled *evaluate.Policy
}

// describe names the policy in evidence: "AdministratorAccess (AWS managed,
// through group admins)".
func (h heldPolicy) describe() string {
	name := h.name
	if a, ok := iamarn.Parse(h.name); ok && a.Type == "policy" {
		name = a.Name
	}
	out := name + " (" + h.kind
	if h.group != "" {
		out += ", through group " + h.group
	}
	return out + ")"
}

// identity is an IAM user or role with the policies that decide what it may
// do, compiled for the evaluator.
type identity struct {
	arn, name, kind string // kind: user or role
	user            *snapshot.User
	role            *snapshot.Role
	policies        []heldPolicy
	boundary        *evaluate.Policy
	boundaryName    string
	boundaryAdmin   bool // the boundary allows "*" on "*"
	// admin: one of its policies allows "*" on "*" and no permissions
	// boundary limits it.
	admin bool
	// caller is the ARN its requests are made as (a role acts through a
	// session).
	caller string
	// delegate is a resource policy that lets the account's IAM policies
	// decide (a default KMS key policy; a trust policy naming the account):
	// for the services whose resource policy must allow the account.
	delegate *evaluate.Policy
}

// serviceLinked: a role AWS manages, whose policies and trust the account
// cannot change.
func (id *identity) serviceLinked() bool {
	return id.role != nil && strings.HasPrefix(id.role.Path, "/aws-service-role/")
}

// adminVia names the policies that make the identity an administrator.
func (id *identity) adminVia() string {
	var out []string
	for _, h := range id.policies {
		if h.admin {
			out = append(out, h.describe())
		}
	}
	return strings.Join(out, ", ")
}

// evalSession is the session a role is evaluated as.
const evalSession = "orgiam-evaluation"

// identities are the account's users and roles with their compiled
// policies, computed once per account (nil without users.json and
// roles.json). Each distinct customer managed policy is compiled once.
func (s *subject) identities() []*identity {
	if s.idsDone {
		return s.ids
	}
	s.idsDone = true
	a := s.a
	customer := map[string]*snapshot.ManagedPolicy{}
	compiled := map[string]*evaluate.Policy{}
	for i := range a.policies {
		customer[a.policies[i].Arn] = &a.policies[i]
	}
	compileCustomer := func(arn string) (*evaluate.Policy, bool) {
		if p, ok := compiled[arn]; ok {
			return p, docIsAdmin(customer[arn].DefaultDocument())
		}
		mp := customer[arn]
		p, err := evaluate.Compile(arn, mp.DefaultDocument())
		if err != nil {
			p = nil
		}
		compiled[arn] = p
		return p, docIsAdmin(mp.DefaultDocument())
	}
	managed := func(ap snapshot.AttachedPolicy, group string) heldPolicy {
		h := heldPolicy{name: ap.PolicyArn, group: group}
		if iamarn.IsAWSManagedPolicy(ap.PolicyArn) {
			h.kind = heldAWS
			h.admin = policy.AWSManagedAdminPolicies[ap.PolicyName]
			if a.rn != nil {
				h.admin = h.admin || a.rn.awsAdmin[ap.PolicyArn] || a.rn.awsAdmin[ap.PolicyName]
				h.compiled = a.rn.awsPolicies[ap.PolicyArn]
			}
			return h
		}
		h.kind = heldCustomer
		if _, ok := customer[ap.PolicyArn]; ok {
			h.compiled, h.admin = compileCustomer(ap.PolicyArn)
		}
		return h
	}
	inline := func(owner string, ip snapshot.InlinePolicy, group string) heldPolicy {
		h := heldPolicy{name: ip.PolicyName, kind: heldInline, group: group, admin: docIsAdmin(ip.PolicyDocument)}
		if p, err := evaluate.Compile("inline:"+owner+"/"+ip.PolicyName, ip.PolicyDocument); err == nil {
			h.compiled = p
		}
		return h
	}
	boundary := func(id *identity, b *snapshot.Boundary) {
		if b == nil || b.PermissionsBoundaryArn == "" {
			return
		}
		id.boundaryName = b.PermissionsBoundaryArn
		if _, ok := customer[b.PermissionsBoundaryArn]; ok {
			id.boundary, id.boundaryAdmin = compileCustomer(b.PermissionsBoundaryArn)
		} else if a.rn != nil {
			id.boundary = a.rn.awsPolicies[b.PermissionsBoundaryArn]
			id.boundaryAdmin = a.rn.awsAdmin[b.PermissionsBoundaryArn]
		}
		if id.boundary == nil {
			// An unknown boundary still limits: nothing it allows is known.
			id.boundary = evaluate.MustCompile(b.PermissionsBoundaryArn, `{"Version":"2012-10-17","Statement":[]}`)
		}
	}
	delegate := evaluate.MustCompile("resource policy delegating to IAM (assumed)",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+a.rootArn()+`"},"Action":"*","Resource":"*"}]}`)
	groups := map[string]*snapshot.Group{}
	for i := range a.groups {
		groups[a.groups[i].GroupName] = &a.groups[i]
	}
	finish := func(id *identity) {
		id.delegate = delegate
		for _, h := range id.policies {
			id.admin = id.admin || h.admin
		}
		if id.admin && id.boundary != nil {
			id.admin = id.boundaryAdmin
		}
		s.ids = append(s.ids, id)
	}
	for i := range a.users {
		u := &a.users[i]
		id := &identity{arn: u.Arn, name: u.UserName, kind: "user", user: u, caller: u.Arn}
		for _, ip := range u.UserPolicyList {
			id.policies = append(id.policies, inline(u.UserName, ip, ""))
		}
		for _, ap := range u.AttachedManagedPolicies {
			id.policies = append(id.policies, managed(ap, ""))
		}
		for _, gn := range u.GroupList {
			g := groups[gn]
			if g == nil {
				continue
			}
			for _, ip := range g.GroupPolicyList {
				id.policies = append(id.policies, inline(gn, ip, gn))
			}
			for _, ap := range g.AttachedManagedPolicies {
				id.policies = append(id.policies, managed(ap, gn))
			}
		}
		boundary(id, u.PermissionsBoundary)
		finish(id)
	}
	for i := range a.roles {
		r := &a.roles[i]
		id := &identity{arn: r.Arn, name: r.RoleName, kind: "role", role: r, caller: r.Arn}
		if ra, ok := iamarn.Parse(r.Arn); ok {
			id.caller = "arn:" + ra.Partition + ":sts::" + ra.AccountID + ":assumed-role/" + r.RoleName + "/" + evalSession
		}
		for _, ip := range r.RolePolicyList {
			id.policies = append(id.policies, inline(r.RoleName, ip, ""))
		}
		for _, ap := range r.AttachedManagedPolicies {
			id.policies = append(id.policies, managed(ap, ""))
		}
		boundary(id, r.PermissionsBoundary)
		finish(id)
	}
	return s.ids
}

// compiledPolicies are the identity's policies the evaluator has.
func (id *identity) compiledPolicies() []*evaluate.Policy {
	out := make([]*evaluate.Policy, 0, len(id.policies))
	for _, h := range id.policies {
		if h.compiled != nil {
			out = append(out, h.compiled)
		}
	}
	return out
}

// mayAllow is a cheap filter: some policy of the identity has an Allow
// statement covering the action (lower-case), whatever its resources.
func (id *identity) mayAllow(action string) bool {
	for _, h := range id.policies {
		if h.compiled != nil && h.compiled.MayAllow(action) {
			return true
		}
	}
	return false
}

// allows evaluates the identity's policies and permissions boundary for one
// request and returns the names of the policies whose statements allowed it
// (nil when the request is not allowed). Context keys the snapshot does not
// know are unknown: a decision that depends on one (Conditional) does not
// count as allowed. SCPs, resource policies and session policies are not
// part of the evaluation (KMS and sts:AssumeRole are evaluated as if the
// key or trust policy delegated to IAM).
func (id *identity) allows(action, resource string, ctx map[string][]string) []string {
	if !id.mayAllow(strings.ToLower(action)) {
		return nil
	}
	req := &evaluate.Request{Principal: id.caller, Action: action, Resource: resource, Context: ctx,
		IdentityPolicies: id.compiledPolicies(), PermissionBoundary: id.boundary, Quiet: true, Unknown: []string{"*"}}
	if lower := strings.ToLower(action); strings.HasPrefix(lower, "kms:") || lower == "sts:assumerole" {
		// A KMS key policy and a role's trust policy must allow the
		// account before identity policies count: the question here is
		// what the identity policies allow, so the resource policy is
		// taken to be the default one that delegates to IAM.
		req.ResourcePolicy = id.delegate
	}
	d, err := evaluate.Evaluate(req)
	if err != nil || d.Decision != evaluate.Allowed {
		return nil
	}
	req.Quiet = false
	if d, err = evaluate.Evaluate(req); err != nil {
		return nil
	}
	var names []string
	seen := map[string]bool{}
	for _, m := range d.Matches {
		if m.Type == "identity" && m.Effect == "Allow" && !seen[m.Policy] {
			seen[m.Policy] = true
			names = append(names, policyLabel(m.Policy))
		}
	}
	sort.Strings(names)
	return names
}

// policyLabel shortens an evaluator policy name for evidence: a managed
// policy by its name, an inline one as "inline OWNER/NAME".
func policyLabel(name string) string {
	if rest, ok := strings.CutPrefix(name, "inline:"); ok {
		return "inline " + rest
	}
	if a, ok := iamarn.Parse(name); ok && a.Type == "policy" {
		return a.Name
	}
	return name
}

// identityOnly is said in the evidence of every check that evaluates
// permissions.
const identityOnly = "Only identity policies and permissions boundaries were evaluated (not SCPs, resource policies or session policies; KMS key and role trust policies taken to delegate to IAM); conditions on keys the snapshot does not know count as not met."
