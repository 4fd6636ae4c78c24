package evaluate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/orgiam/orgiam/internal/iamdata"
)

// Decisions.
const (
	Allowed          = "Allowed"
	ImplicitlyDenied = "ImplicitlyDenied"
	ExplicitlyDenied = "ExplicitlyDenied"
	// Conditional: allowed only if conditions on UnknownKeys hold.
	Conditional = "Conditional"
)

// Level is the organization policies attached at one level of the
// hierarchy (the root, an OU, the account).
type Level struct {
	ID       string // r-…, ou-…, an account id, or "" (explanations say "level N")
	Policies []*Policy
}

// Request is one request and every policy that applies to it.
type Request struct {
	Principal       string
	Action          string
	Resource        string // an ARN, or "*" for actions without resources
	ResourceAccount string // "" means the principal's account
	Context         map[string][]string
	// SharedContext holds more context keys, consulted after Context, in
	// order; their keys must be lower-case. They are read, never written,
	// so many requests may share them.
	SharedContext []ContextSource
	// Quiet skips the explanation (Explain and Matches stay empty): for
	// callers that evaluate many requests and keep only the decisions.
	Quiet bool
	// Unknown lists condition keys (globs, case-insensitive) whose value is
	// not known; conditions on them make the answer Conditional. Keys that
	// are neither in Context nor Unknown are absent.
	Unknown []string

	IdentityPolicies   []*Policy
	PermissionBoundary *Policy
	SessionPolicy      *Policy
	ResourcePolicy     *Policy
	// SCPs and RCPs, one Level per level from the root down to the
	// account. Nil means no organization (or none applies). RCPFullAWSAccess
	// is implied at every RCP level: AWS attaches it everywhere and it cannot
	// be detached, so RCPs only ever deny.
	SCPs, RCPs []Level
	// ManagementAccount is the organization's management account: SCPs do
	// not apply to its principals, nor RCPs to its resources.
	ManagementAccount string
}

// Match is one statement that applied to the request.
type Match struct {
	// Type is identity, boundary, session, resource, scp or rcp.
	Type      string `json:"type"`
	Level     int    `json:"level,omitempty"`
	LevelID   string `json:"levelId,omitempty"`
	Policy    string `json:"policy"`
	Statement int    `json:"statement"`
	Sid       string `json:"sid,omitempty"`
	Effect    string `json:"effect"`
	// Principal says how a resource policy statement named the caller:
	// account, role, principal or any.
	Principal string `json:"principal,omitempty"`
	// Conditional is true when the statement applies only if conditions on
	// unknown keys hold.
	Conditional bool `json:"conditional,omitempty"`
}

// Decision is the outcome and its explanation.
type Decision struct {
	Decision string `json:"decision"`
	// UnknownKeys are the unknown keys a Conditional decision depends on.
	UnknownKeys []string `json:"unknownKeys,omitempty"`
	// Matches are the statements that applied (allow and deny).
	Matches []Match `json:"matches"`
	// Explain is the reasoning, step by step.
	Explain  []string `json:"explain"`
	Warnings []string `json:"warnings,omitempty"`
}

// Evaluate decides one request.
func Evaluate(r *Request) (*Decision, error) { return evaluateWith(r, rules{}) }

func evaluateWith(r *Request, rl rules) (*Decision, error) {
	p, err := ParsePrincipal(r.Principal)
	if err != nil {
		return nil, err
	}
	if r.Action == "" || strings.Count(r.Action, ":") != 1 {
		return nil, fmt.Errorf("action %q: expected service:Action", r.Action)
	}
	// One allocation for the evaluation, its principal and its decision.
	e := &evaluation{rules: rl, req: r, principal: p, action: strings.ToLower(r.Action)}
	e.p, e.d = &e.principal, &e.decision
	e.ctx = NewContext(r.Context, r.Unknown)
	e.ctx.shared = r.SharedContext
	e.ctx.nullVariableNoMatch = rl.nullVariableNoMatch
	e.fillContext()
	e.run()
	return e.d, nil
}

// rules switches documented behaviours off, to check that a disagreement
// with the oracle is exactly one of the documented ones (oracle_test.go).
type rules struct {
	// sessionPolicyLimitsSessionGrants: a session policy also limits
	// resource-policy grants to the session's own ARN.
	sessionPolicyLimitsSessionGrants bool
	// notPrincipalSelfOnly: NotPrincipal exempts the caller when its own
	// ARN is listed, without its account (or role).
	notPrincipalSelfOnly bool
	// nullVariableNoMatch: a negated condition operator (StringNotEquals,
	// StringNotLike, ArnNotLike…) is false when one of its values has a
	// policy variable with no value in the request.
	nullVariableNoMatch bool
}

type evaluation struct {
	rules   rules
	req     *Request
	p       *Principal
	action  string
	ctx     Context
	d       *Decision
	unknown map[string]bool
	stmtKey []string // unknown keys seen while evaluating the current statement

	principal Principal // what p points to
	decision  Decision  // what d points to
}

// fillContext adds the keys AWS always sets for an authenticated caller,
// unless the caller gave them: aws:PrincipalArn (a session's role ARN, as
// AWS documents), aws:PrincipalAccount, aws:PrincipalType, aws:username for
// users, aws:ResourceAccount.
func (e *evaluation) fillContext() {
	p := e.p
	switch p.Kind {
	case KindUser:
		e.ctx.setDefault("aws:principalarn", p.ARN)
		e.ctx.setDefault("aws:principaltype", "User")
		e.ctx.setDefault("aws:username", p.Name)
	case KindRole:
		e.ctx.setDefault("aws:principalarn", p.ARN)
		e.ctx.setDefault("aws:principaltype", "AssumedRole")
	case KindRoleSession:
		e.ctx.setDefault("aws:principalarn", p.RoleARN)
		e.ctx.setDefault("aws:principaltype", "AssumedRole")
	case KindFederatedUser:
		e.ctx.setDefault("aws:principalarn", p.ARN)
		e.ctx.setDefault("aws:principaltype", "FederatedUser")
	case KindRoot:
		e.ctx.setDefault("aws:principalarn", p.ARN)
		e.ctx.setDefault("aws:principaltype", "Account")
	}
	if p.Account != "" {
		e.ctx.setDefault("aws:principalaccount", p.Account)
	}
	if acct := e.resourceAccount(); acct != "" {
		e.ctx.setDefault("aws:resourceaccount", acct)
	}
}

func (e *evaluation) resourceAccount() string {
	if e.req.ResourceAccount != "" {
		return e.req.ResourceAccount
	}
	return e.p.Account
}

func (e *evaluation) explain(format string, args ...any) {
	if e.req.Quiet {
		return
	}
	e.d.Explain = append(e.d.Explain, fmt.Sprintf(format, args...))
}

// result of one policy set: whether some statement allows or denies.
type setResult struct {
	allow, deny tri
}

func (e *evaluation) statementApplies(pol *Policy, s *Statement, resourceSide bool) (tri, principalMatch) {
	if !s.matchesAction(e.action) {
		return no, pmNone
	}
	pm := pmNone
	if resourceSide {
		switch {
		case s.principal != nil:
			pm = s.principal.match(e.p)
			if pm == pmNone {
				return no, pmNone
			}
		case s.notPrincipal != nil:
			if e.notPrincipalExempts(s.notPrincipal) && !(s.Deny && e.req.PermissionBoundary != nil) {
				return no, pmNone
			}
			pm = pmAny
		default:
			return no, pmNone
		}
	}
	e.stmtKey = e.stmtKey[:0]
	t := e.matchesResource(pol, s)
	if t == no {
		return no, pmNone
	}
	for i := range s.conds {
		c := &s.conds[i]
		ct := c.eval(&e.ctx, pol.Variables)
		if ct == maybe {
			e.stmtKey = append(e.stmtKey, c.rawKey)
		}
		t = and(t, ct)
		if t == no {
			return no, pmNone
		}
	}
	if t == maybe {
		if e.unknown == nil {
			e.unknown = map[string]bool{}
		}
		for _, k := range e.stmtKey {
			e.unknown[k] = true
		}
	}
	return t, pm
}

// notPrincipalExempts reports whether a NotPrincipal element leaves the
// caller out. AWS evaluates NotPrincipal against every identity the request
// carries (reference_policies_elements_notprincipal.html): a user is exempt
// only if its ARN and its account are listed; a role session only if the
// session ARN, the role ARN and the account are all listed; the root only if
// its account is. "*" exempts everyone.
func (e *evaluation) notPrincipalExempts(np *principals) bool {
	if np.any {
		return true
	}
	p := e.p
	hasAccount, hasSelf, hasRole := false, false, false
	for i, v := range np.aws {
		switch {
		case v == p.ARN:
			hasSelf = true
		case p.Account != "" && (v == p.Account || v == "arn:"+p.Partition+":iam::"+p.Account+":root"):
			hasAccount = true
		case p.Kind == KindRoleSession && sameRole(v, &np.awsParsed[i], p):
			hasRole = true
		}
	}
	if e.rules.notPrincipalSelfOnly {
		return hasSelf
	}
	switch p.Kind {
	case KindRoot:
		return hasAccount || hasSelf
	case KindRoleSession:
		return hasSelf && hasRole && hasAccount
	case KindUser, KindRole, KindFederatedUser:
		return hasSelf && hasAccount
	}
	return np.match(p) >= pmDirect
}

func (s *Statement) matchesAction(action string) bool {
	if s.notActions != nil {
		for _, a := range s.notActions {
			if glob(a, action, true) {
				return false
			}
		}
		return true
	}
	for _, a := range s.actions {
		if glob(a, action, true) {
			return true
		}
	}
	return false
}

func (e *evaluation) matchesResource(pol *Policy, s *Statement) tri {
	res := e.req.Resource
	// missing is true when a pattern's variable is absent from the
	// context: that pattern matches nothing, and a NotResource holding it
	// does not apply at all (it cannot be shown that the resource is not
	// one it names).
	missing := false
	anyMatch := func(patterns []string, vars bool) tri {
		out := no
		for _, pat := range patterns {
			if vars && strings.Contains(pat, "${") {
				x, st := e.ctx.expand(pat)
				switch st {
				case unknownKey:
					out = or(out, maybe)
					continue
				case absent:
					missing = true
					continue
				}
				pat = x
			}
			if matchARNPattern(pat, res) {
				return yes
			}
		}
		return out
	}
	switch {
	case s.hasResource:
		return anyMatch(s.resources, pol.Variables)
	case s.hasNotResource:
		t := not(anyMatch(s.notResources, pol.Variables))
		if missing {
			return no
		}
		return t
	}
	// No Resource element: role trust policies, whose resource is the role.
	return yes
}

// evalSet evaluates one set of policies, recording the statements that applied.
func (e *evaluation) evalSet(typ string, level int, levelID string, pols []*Policy) setResult {
	var r setResult
	for _, pol := range pols {
		if pol == nil {
			continue
		}
		e.d.Warnings = append(e.d.Warnings, pol.Warnings...)
		for _, s := range pol.Statements {
			t, _ := e.statementApplies(pol, s, typ == "rcp")
			if t == no {
				continue
			}
			e.record(typ, level, levelID, pol, s, t, pmNone)
			if s.Deny {
				r.deny = or(r.deny, t)
			} else {
				r.allow = or(r.allow, t)
			}
		}
	}
	return r
}

func (e *evaluation) record(typ string, level int, levelID string, pol *Policy, s *Statement, t tri, pm principalMatch) {
	if e.req.Quiet {
		return
	}
	m := Match{Type: typ, Level: level, LevelID: levelID, Policy: pol.Name, Statement: s.Index, Sid: s.Sid, Effect: "Allow", Conditional: t == maybe}
	if s.Deny {
		m.Effect = "Deny"
	}
	if typ == "resource" {
		m.Principal = [...]string{"", "account", "role", "principal", "any"}[pm]
	}
	e.d.Matches = append(e.d.Matches, m)
}

// resourceResult is a resource policy's verdict, by how it named the caller.
type resourceResult struct {
	deny tri
	// direct: allows that name the user or the session ARN itself; any:
	// allows to "*"; role: allows to the session's role ARN; account:
	// allows to the caller's account, which defer to its IAM policies.
	direct, any, role, account tri
}

func (e *evaluation) evalResource(pol *Policy) resourceResult {
	var r resourceResult
	if pol == nil {
		return r
	}
	e.d.Warnings = append(e.d.Warnings, pol.Warnings...)
	for _, s := range pol.Statements {
		t, pm := e.statementApplies(pol, s, true)
		if t == no {
			continue
		}
		e.record("resource", 0, "", pol, s, t, pm)
		if s.Deny {
			r.deny = or(r.deny, t)
			continue
		}
		switch pm {
		case pmAccount:
			r.account = or(r.account, t)
		case pmRole:
			r.role = or(r.role, t)
		case pmAny:
			r.any = or(r.any, t)
		default:
			r.direct = or(r.direct, t)
		}
	}
	return r
}

func (e *evaluation) service() string {
	return e.action[:strings.IndexByte(e.action, ':')]
}

func (e *evaluation) scpsApply() bool {
	p, r := e.p, e.req
	switch {
	case len(r.SCPs) == 0:
		return false
	case p.Kind == KindAnonymous || p.Kind == KindService || p.Kind == KindOther:
		return false
	case r.ManagementAccount != "" && p.Account == r.ManagementAccount:
		e.explain("SCPs do not apply: the principal is in the management account %s", p.Account)
		return false
	case p.ServiceLinked:
		e.explain("SCPs do not apply: %s is a service-linked role", p.ARN)
		return false
	}
	return true
}

func (e *evaluation) rcpsApply() bool {
	r := e.req
	switch {
	case len(r.RCPs) == 0:
		return false
	case r.ManagementAccount != "" && e.resourceAccount() == r.ManagementAccount:
		e.explain("RCPs do not apply: the resource is in the management account %s", r.ManagementAccount)
		return false
	case e.p.ServiceLinked:
		e.explain("RCPs do not apply: %s is a service-linked role", e.p.ARN)
		return false
	}
	if c, err := iamdata.Load(); err == nil && !c.RCPSupported(e.service()) {
		e.explain("RCPs do not apply: %s is not a service RCPs support", e.service())
		return false
	}
	return true
}

// trust is whether the resource's service lets the caller's identity
// policies grant access on their own within the account: implicitly for
// most services; for role trust policies (sts) and KMS key policies only if
// the resource policy names the account — AWS: "Unlike other AWS services,
// AWS KMS keys ... the key policy must allow the account" and a role can be
// assumed only if its trust policy allows the caller or its account.
func (e *evaluation) trustsAccountImplicitly() bool {
	svc := e.service()
	switch {
	case svc == "sts" && (e.req.ResourcePolicy != nil || strings.Contains(e.req.Resource, ":role/")):
		// A role's trust policy must name the caller or its account; a
		// role with no trust policy given trusts nobody.
		return false
	case svc == "kms" && (strings.Contains(e.req.Resource, ":key/") || (e.req.Resource == "*" && e.resourceAccount() != e.p.Account)):
		return false
	}
	return true
}

func (e *evaluation) run() {
	r, p := e.req, e.p
	e.explain("request: %s %s %s on %s", p.ARN, "calls", r.Action, r.Resource)

	var denies tri
	type denier struct {
		what string
		t    tri
	}
	var denyBy []denier

	// Organization policies.
	scpOK := yes
	if e.scpsApply() {
		for i, lvl := range r.SCPs {
			sr := e.evalSet("scp", i, lvl.ID, lvl.Policies)
			// Named only when used: who-can asks this of every principal.
			if sr.deny != no {
				denyBy = append(denyBy, denier{levelName("SCP", i, lvl.ID), sr.deny})
			}
			denies = or(denies, sr.deny)
			if sr.allow == no && !r.Quiet {
				e.explain("%s: no statement allows %s (every level from the root down must allow)", levelName("SCP", i, lvl.ID), r.Action)
			}
			scpOK = and(scpOK, sr.allow)
		}
	}
	if e.rcpsApply() {
		for i, lvl := range r.RCPs {
			sr := e.evalSet("rcp", i, lvl.ID, lvl.Policies)
			if sr.deny != no {
				denyBy = append(denyBy, denier{levelName("RCP", i, lvl.ID), sr.deny})
			}
			denies = or(denies, sr.deny)
		}
	}

	rp := e.evalResource(r.ResourcePolicy)
	if rp.deny != no {
		denyBy = append(denyBy, denier{"resource policy", rp.deny})
	}
	denies = or(denies, rp.deny)

	identityCaller := p.Kind != KindAnonymous && p.Kind != KindService && p.Kind != KindOther
	allow := no
	if identityCaller {
		id := e.evalSet("identity", 0, "", r.IdentityPolicies)
		pbOK, sessOK := yes, yes
		if r.PermissionBoundary != nil {
			b := e.evalSet("boundary", 0, "", []*Policy{r.PermissionBoundary})
			denies = or(denies, b.deny)
			if b.deny != no {
				denyBy = append(denyBy, denier{"permissions boundary", b.deny})
			}
			pbOK = b.allow
			if b.allow == no {
				e.explain("permissions boundary %s does not allow %s", r.PermissionBoundary.Name, r.Action)
			}
		}
		if r.SessionPolicy != nil {
			s := e.evalSet("session", 0, "", []*Policy{r.SessionPolicy})
			denies = or(denies, s.deny)
			if s.deny != no {
				denyBy = append(denyBy, denier{"session policy", s.deny})
			}
			sessOK = s.allow
			if s.allow == no {
				e.explain("session policy does not allow %s", r.Action)
			}
		}
		if id.deny != no {
			denyBy = append(denyBy, denier{"identity policy", id.deny})
		}
		denies = or(denies, id.deny)
		identity := and(id.allow, and(pbOK, sessOK))
		if id.allow == no {
			e.explain("no identity policy allows %s", r.Action)
		}
		same := e.resourceAccount() == p.Account
		if same {
			trusted := yes
			if !e.trustsAccountImplicitly() {
				trusted = rp.account
				if id.allow != no && rp.account == no {
					e.explain("the %s resource policy must allow account %s for identity policies to count", e.service(), p.Account)
				}
			}
			// Within one account the union of identity and resource
			// policies. A permissions boundary does not limit a grant to
			// the user's or the session's ARN (nor to "*"), but does limit
			// a grant to the session's role ARN
			// (access_policies_boundaries.html, "resource-based
			// policies"). A session policy does not limit a grant to the
			// session's ARN, "added after the session is created", but
			// limits grants to the role (access_policies.html, "session
			// policies"), and to "*".
			direct := rp.direct
			if e.rules.sessionPolicyLimitsSessionGrants {
				direct = and(direct, sessOK)
			}
			allow = or(or(direct, and(rp.any, sessOK)), or(and(rp.role, and(pbOK, sessOK)), and(trusted, identity)))
		} else {
			// Across accounts both sides must allow: the caller's identity
			// policies and the resource policy (naming the caller or its
			// account).
			rpAllows := or(or(rp.direct, rp.any), or(rp.role, rp.account))
			if r.ResourcePolicy == nil {
				e.explain("cross-account request: no resource policy in account %s to allow it", e.resourceAccount())
			} else if rpAllows == no {
				e.explain("cross-account request: the resource policy does not allow %s", p.ARN)
			}
			allow = and(identity, rpAllows)
		}
	} else {
		// Anonymous callers and service principals: only the resource
		// policy can allow.
		allow = or(rp.direct, rp.any)
	}
	allow = and(allow, scpOK)

	for _, dn := range denyBy {
		if dn.t == yes {
			e.explain("explicitly denied by the %s", dn.what)
		} else {
			e.explain("the %s denies if conditions on unknown keys hold", dn.what)
		}
	}
	switch {
	case denies == yes:
		e.d.Decision = ExplicitlyDenied
	case allow == no:
		e.d.Decision = ImplicitlyDenied
		if denies == maybe {
			e.explain("denied either way: nothing allows, and a deny may apply")
		}
	case allow == yes && denies == no:
		e.d.Decision = Allowed
	default:
		e.d.Decision = Conditional
		for k := range e.unknown {
			e.d.UnknownKeys = append(e.d.UnknownKeys, k)
		}
		sort.Strings(e.d.UnknownKeys)
		e.explain("allowed only if conditions on %s hold", strings.Join(e.d.UnknownKeys, ", "))
	}
	if e.d.Decision == Allowed {
		e.explain("allowed")
	}
}

func levelName(typ string, i int, id string) string {
	if id != "" {
		return fmt.Sprintf("%s level %d (%s)", typ, i, id)
	}
	return fmt.Sprintf("%s level %d", typ, i)
}
