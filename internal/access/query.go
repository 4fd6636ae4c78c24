package access

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/orgiam/orgiam/internal/evaluate"
	"github.com/orgiam/orgiam/internal/iamdata"
)

// sessionName is the session a role is evaluated as: roles act through
// sessions, and policies naming the role match every session of it.
const sessionName = "orgiam-evaluation"

// Ask is one question about a request.
type Ask struct {
	Action   string
	Resource string // ARN or "*"
	// ResourceAccount is the resource's account when its ARN does not say
	// (S3); "" evaluates it as in the caller's own account.
	ResourceAccount string
	// Context adds or overrides context keys; every key neither set here
	// nor known from the snapshot is unknown (the answer is Conditional
	// when it depends on one).
	Context map[string][]string
	// Quiet skips the explanation (bulk questions).
	Quiet bool
	// As is the caller's ARN when it is a particular session of a role
	// (arn:aws:sts::…:assumed-role/ROLE/SESSION); "" evaluates a role as a
	// session of its own.
	As string
}

// unknownAll: every key the snapshot does not give is unknown.
var unknownAll = []string{"*"}

// callerARN is the ARN a principal makes requests as: a role's session.
// It reads the partition and account of p.ARN as arn.Parse would, without
// its allocations (who-can builds one per principal).
func callerARN(p *Principal) string {
	if p.Kind != "role" {
		return p.ARN
	}
	// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
	rest, ok := strings.CutPrefix(p.ARN, "arn:")
	var partition, account string
	var found bool
	partition, rest, found = strings.Cut(rest, ":")
	ok = ok && found
	_, rest, found = strings.Cut(rest, ":") // service
	ok = ok && found
	_, rest, found = strings.Cut(rest, ":") // region
	ok = ok && found
	account, _, found = strings.Cut(rest, ":")
	if !ok || !found {
		return p.ARN
	}
	return "arn:" + partition + ":sts::" + account + ":assumed-role/" + p.Name + "/" + sessionName
}

func (o *Org) resourceAccount(resource, given string) string {
	if given != "" {
		return given
	}
	if a, err := arn.Parse(resource); err == nil && a.AccountID != "" && a.AccountID != "aws" {
		return a.AccountID
	}
	// S3 ARNs name no account: the snapshot knows the owner of its buckets.
	if b := s3Bucket(resource); b != "" {
		return o.resourceOwners[b]
	}
	return ""
}

// s3Bucket is the bucket ARN of an S3 bucket or object ARN ("" if not S3).
func s3Bucket(resource string) string {
	const pre = "arn:aws:s3:::"
	if !strings.HasPrefix(resource, pre) {
		return ""
	}
	if i := strings.IndexByte(resource[len(pre):], '/'); i >= 0 {
		return resource[:len(pre)+i]
	}
	return resource
}

// asked is a question with what does not depend on the principal worked
// out once: the resource's account (when its ARN or the snapshot says),
// that account, and the resource policy. who-can asks one question of
// every principal.
type asked struct {
	q               Ask
	resAcct         string // "": the principal's own account
	resAccount      *Account
	resPolicy       *evaluate.Policy
	resManagement   string // the management account of resAccount's organization
	context         map[string][]string
	resAccountKnown bool
}

func (o *Org) ask(q Ask) *asked {
	a := &asked{q: q, resAcct: o.resourceAccount(q.Resource, q.ResourceAccount), resPolicy: o.resourcePolicy(q.Action, q.Resource)}
	if len(q.Context) > 0 {
		a.context = q.Context
	}
	if q.Quiet {
		// A quiet request explains nothing, so the action's case shows
		// nowhere; given in lower case, the evaluator's lower-casing of it
		// allocates nothing (who-can asks it of every principal).
		a.q.Action = strings.ToLower(q.Action)
	}
	if a.resAcct != "" {
		a.resAccountKnown = true
		a.resAccount = o.Accounts[a.resAcct]
		if a.resAccount != nil {
			a.resManagement = o.Management[a.resAccount.OrgID]
		}
	}
	return a
}

// request is an evaluator request with room for its shared context, in
// one allocation.
type request struct {
	r      evaluate.Request
	shared [2]evaluate.ContextSource
}

// Request builds the evaluator's request for p asking q: p's policies, the
// organization policies of its account and of the resource's, the
// resource's policy, and the context keys the snapshot knows.
func (o *Org) Request(p *Principal, q Ask) *evaluate.Request {
	return o.request(p, o.ask(q))
}

func (o *Org) request(p *Principal, a *asked) *evaluate.Request {
	resAcct, ra, raManagement := a.resAcct, a.resAccount, a.resManagement
	if !a.resAccountKnown && p.Account != nil {
		resAcct = p.Account.ID
		ra = o.Accounts[resAcct]
		if ra != nil {
			raManagement = o.Management[ra.OrgID]
		}
	}
	caller := callerARN(p)
	if a.q.As != "" && p.Kind == "role" {
		caller = a.q.As
	}
	buf := &request{}
	buf.shared[0] = p
	shared := buf.shared[:1]
	if ra != nil {
		buf.shared[1] = ra.context
		shared = buf.shared[:2]
	}
	r := &buf.r
	*r = evaluate.Request{
		Principal: caller, Action: a.q.Action, Resource: a.q.Resource, ResourceAccount: resAcct,
		Context: a.context, SharedContext: shared, Unknown: unknownAll, Quiet: a.q.Quiet,
		IdentityPolicies: p.Identity, PermissionBoundary: p.Boundary,
	}
	if p.Account != nil {
		r.SCPs = p.Account.SCPs
		r.ManagementAccount = o.Management[p.Account.OrgID]
	}
	if ra != nil {
		r.RCPs = ra.RCPs
		if r.ManagementAccount == "" {
			r.ManagementAccount = raManagement
		}
	}
	r.ResourcePolicy = a.resPolicy
	return r
}

func (o *Org) resourcePolicy(action, resource string) *evaluate.Policy {
	if strings.HasPrefix(strings.ToLower(action), "sts:assumerole") {
		if role, ok := o.byARN(resource); ok && role.Kind == "role" {
			return role.Trust
		}
	}
	if p := o.ResourcePolicies[resource]; p != nil {
		return p
	}
	// An S3 object is governed by its bucket's policy.
	if b := s3Bucket(resource); b != "" && b != resource {
		return o.ResourcePolicies[b]
	}
	return nil
}

// Simulate evaluates one principal's request.
func (o *Org) Simulate(p *Principal, q Ask) (*evaluate.Decision, error) {
	return evaluate.Evaluate(o.Request(p, q))
}

func (o *Org) simulate(p *Principal, a *asked) (*evaluate.Decision, error) {
	return evaluate.Evaluate(o.request(p, a))
}

// Grant is a principal that can make a request, and how.
type Grant struct {
	Principal   string   `json:"principal"`
	Kind        string   `json:"kind"`
	Account     string   `json:"account"`
	Decision    string   `json:"decision"` // Allowed or Conditional
	UnknownKeys []string `json:"unknownKeys,omitempty"`
	// Via is the chain of roles assumed, first to last; empty for a direct grant.
	Via []string `json:"via,omitempty"`
}

// WhoCanOptions bound the search.
type WhoCanOptions struct {
	IncludeConditional bool
	// MaxDepth is how many role assumptions a chain may have (default 3);
	// 0 follows none... use -1 for none.
	MaxDepth int
}

// WhoCan returns every principal that can make the request, directly or by
// assuming roles (the trust policy and the assumer's permissions both
// evaluated), with the chain; chains are bounded by MaxDepth, and a
// principal already reached is not reached again (cycles end there).
// Conditional grants are kept for the chains and returned only with
// IncludeConditional.
func (o *Org) WhoCan(ctx context.Context, q Ask, opt WhoCanOptions) ([]Grant, error) {
	if opt.MaxDepth == 0 {
		opt.MaxDepth = 3
	}
	action := strings.ToLower(q.Action)
	q.Quiet = true
	q.ResourceAccount = o.resourceAccount(q.Resource, q.ResourceAccount)
	a := o.ask(q)
	named := resourceNames(a.resPolicy, action)
	// Direct grants. A principal whose own policies allow nothing of the
	// action can only be let in by the resource policy, which must name it
	// (or its account): the others are not evaluated.
	// Grants by value (Decision "" for none): one slice, not an
	// allocation per principal.
	// canAssumeSome is by Principal.index: whether a principal's own
	// policies can let it assume a role at all (chained grants below).
	canAssumeSome := make([]bool, len(o.Principals))
	direct, err := parallel(ctx, o.Principals, func(p *Principal) Grant {
		canAssumeSome[p.index] = mayAllow(p, "sts:assumerole")
		if !mayAllow(p, action) && !named(p) {
			return Grant{}
		}
		d, err := o.simulate(p, a)
		if err != nil || (d.Decision != evaluate.Allowed && d.Decision != evaluate.Conditional) {
			return Grant{}
		}
		return Grant{Principal: p.ARN, Kind: p.Kind, Account: p.Account.ID, Decision: d.Decision, UnknownKeys: d.UnknownKeys}
	})
	if err != nil {
		return nil, err
	}
	var frontier []*Principal
	n := 0
	for i := range direct {
		if direct[i].Decision != "" {
			n++
		}
	}
	// reached is by Principal.index.
	reached := make([]*Grant, len(o.Principals))
	for i := range direct {
		if direct[i].Decision != "" {
			p := o.Principals[i]
			reached[i] = &direct[i]
			if p.Kind == "role" {
				frontier = append(frontier, p)
			}
		}
	}
	for depth := 1; depth <= opt.MaxDepth && len(frontier) > 0; depth++ {
		type pair struct{ who, role *Principal }
		// Who may assume each role of the frontier, on every core (reached
		// is only read here), in the frontier's order.
		lists, err := parallel(ctx, frontier, func(role *Principal) []pair {
			var pairs []pair
			named, accounts := o.assumers(role)
			for _, c := range named {
				if c != role && reached[c.index] == nil {
					pairs = append(pairs, pair{c, role})
				}
			}
			// Principals of a trusted account need their own permission
			// to assume the role: skip those whose policies cannot give it.
			for _, acct := range accounts {
				var in []*Principal
				if a := o.Accounts[acct]; a != nil {
					in = a.principals
				}
				for _, c := range in {
					if c != role && reached[c.index] == nil && canAssumeSome[c.index] {
						pairs = append(pairs, pair{c, role})
					}
				}
			}
			return pairs
		})
		if err != nil {
			return nil, err
		}
		var pairs []pair
		for _, l := range lists {
			pairs = append(pairs, l...)
		}
		res, err := parallel(ctx, pairs, func(pr pair) *evaluate.Decision {
			d, err := o.Simulate(pr.who, Ask{Action: "sts:AssumeRole", Resource: pr.role.ARN, Quiet: true})
			if err != nil {
				return nil
			}
			return d
		})
		if err != nil {
			return nil, err
		}
		var next []*Principal
		for i, d := range res {
			if d == nil || (d.Decision != evaluate.Allowed && d.Decision != evaluate.Conditional) {
				continue
			}
			who, role := pairs[i].who, pairs[i].role
			via := reached[role.index]
			g := &Grant{Principal: who.ARN, Kind: who.Kind, Account: who.Account.ID, Decision: d.Decision,
				Via: append([]string{role.ARN}, via.Via...), UnknownKeys: union(d.UnknownKeys, via.UnknownKeys)}
			if via.Decision == evaluate.Conditional {
				g.Decision = evaluate.Conditional
			}
			if old := reached[who.index]; old != nil {
				// Several roles of this depth reach who: keep an
				// unconditional chain over a conditional one.
				if old.Decision == evaluate.Allowed || g.Decision != evaluate.Allowed {
					continue
				}
			} else if who.Kind == "role" {
				next = append(next, who)
			}
			reached[who.index] = g
		}
		frontier = next
	}
	out := make([]Grant, 0, n)
	for _, g := range reached {
		if g == nil {
			continue
		}
		if g.Decision == evaluate.Conditional && !opt.IncludeConditional {
			continue
		}
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Grant) int {
		return cmp.Or(strings.Compare(a.Account, b.Account), strings.Compare(a.Principal, b.Principal))
	})
	return out, nil
}

// resourceNames returns whether the resource policy rp could allow a
// principal the action on its own: it names the principal's ARN, one of
// its sessions, its account, or everyone. Values it cannot reduce so
// (wildcards, unique ids) count as everyone.
func resourceNames(rp *evaluate.Policy, action string) func(*Principal) bool {
	if rp == nil {
		return func(*Principal) bool { return false }
	}
	vals := rp.AWSPrincipals(action)
	if len(vals) == 0 {
		return func(*Principal) bool { return false }
	}
	set := make(map[string]bool, len(vals))
	for _, v := range vals {
		switch a, err := arn.Parse(v); {
		case strings.ContainsAny(v, "*?"):
			return func(*Principal) bool { return true }
		case len(v) == 12:
			set[v] = true
		case err != nil:
			return func(*Principal) bool { return true }
		case a.Resource == "root":
			set[a.AccountID] = true
		case a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/"):
			name, _, _ := strings.Cut(strings.TrimPrefix(a.Resource, "assumed-role/"), "/")
			set["arn:aws:iam::"+a.AccountID+":role/"+name] = true
			set["role:"+a.AccountID+":"+name] = true
		default:
			set[v] = true
		}
	}
	return func(p *Principal) bool {
		if set[p.ARN] || (p.Account != nil && set[p.Account.ID]) {
			return true
		}
		return p.Kind == "role" && p.Account != nil && set["role:"+p.Account.ID+":"+p.Name]
	}
}

func mayAllow(p *Principal, action string) bool {
	for _, pol := range p.Identity {
		if pol.MayAllow(action) {
			return true
		}
	}
	return false
}

// assumers returns who a role's trust policy could let assume it: the
// principals it names, and the accounts it names (every account, for "*").
// Which of them can is for the evaluator.
func (o *Org) assumers(role *Principal) (named []*Principal, accounts []string) {
	if role.Trust == nil {
		return nil, nil
	}
	seen := map[*Principal]bool{}
	for _, v := range role.Trust.AWSPrincipals("sts:assumerole") {
		switch {
		case v == "*":
			accounts = accounts[:0]
			for id := range o.Accounts {
				accounts = append(accounts, id)
			}
			sort.Strings(accounts)
			return named, accounts
		case len(v) == 12:
			accounts = append(accounts, v)
		default:
			if a, err := arn.Parse(v); err == nil && a.Service == "iam" && a.Resource == "root" {
				accounts = append(accounts, a.AccountID)
			} else if p, ok := o.Principal(v); ok && !seen[p] {
				seen[p] = true
				named = append(named, p)
			}
		}
	}
	return named, accounts
}

func union(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	m := map[string]bool{}
	for _, s := range append(append([]string{}, a...), b...) {
		m[s] = true
	}
	out := make([]string, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// parallel maps f over items on every core, keeping the order.
func parallel[T, R any](ctx context.Context, items []T, f func(T) R) ([]R, error) {
	out := make([]R, len(items))
	// Blocks handed out in turn rather than one half per core: the
	// principals of some accounts take far longer than others', and a
	// worker done with its half would wait for the other.
	const block = 256
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				lo := int(next.Add(block)) - block
				if lo >= len(items) {
					return
				}
				for i := lo; i < min(lo+block, len(items)); i++ {
					out[i] = f(items[i])
				}
			}
		}()
	}
	wg.Wait()
	return out, ctx.Err()
}

// Capability is one action a principal can take, on which resources.
type Capability struct {
	Service     string   `json:"service"`
	Action      string   `json:"action"`
	Resource    string   `json:"resource"`
	Decision    string   `json:"decision"`
	UnknownKeys []string `json:"unknownKeys,omitempty"`
	// Via is the chain of roles assumed to get it, first to last; empty
	// for what the principal can do itself.
	Via []string `json:"via,omitempty"`
}

// CanFollow is Can for the principal and, up to maxDepth role assumptions
// away, for every role it can assume (the role's trust policy and the
// assumer's permissions both evaluated, as in WhoCan): their capabilities
// come with the chain, and are Conditional when the chain is. Each role
// is reached once, by the shortest chain found first (unconditional
// preferred), so cycles end. maxDepth 0 is Can.
func (o *Org) CanFollow(ctx context.Context, p *Principal, service string, maxDepth int) ([]Capability, error) {
	type hop struct {
		via      []string
		cond     bool
		unknowns []string
	}
	reached := map[*Principal]*hop{p: {}}
	order := []*Principal{p}
	frontier := []*Principal{p}
	var roles []*Principal
	for _, r := range o.Principals {
		if r.Kind == "role" && r.Trust != nil {
			roles = append(roles, r)
		}
	}
	type trusted struct {
		named    map[*Principal]bool
		accounts map[string]bool
	}
	var trust []trusted
	if maxDepth > 0 {
		trust = make([]trusted, len(roles))
		for i, r := range roles {
			named, accounts := o.assumers(r)
			t := trusted{named: map[*Principal]bool{}, accounts: map[string]bool{}}
			for _, n := range named {
				t.named[n] = true
			}
			for _, a := range accounts {
				t.accounts[a] = true
			}
			trust[i] = t
		}
	}
	for depth := 1; depth <= maxDepth && len(frontier) > 0; depth++ {
		type pair struct{ who, role *Principal }
		var pairs []pair
		for _, who := range frontier {
			if !mayAllow(who, "sts:assumerole") {
				continue
			}
			for i, r := range roles {
				if reached[r] == nil && (trust[i].named[who] || trust[i].accounts[who.Account.ID]) {
					pairs = append(pairs, pair{who, r})
				}
			}
		}
		res, err := parallel(ctx, pairs, func(pr pair) *evaluate.Decision {
			d, err := o.Simulate(pr.who, Ask{Action: "sts:AssumeRole", Resource: pr.role.ARN, Quiet: true})
			if err != nil {
				return nil
			}
			return d
		})
		if err != nil {
			return nil, err
		}
		var next []*Principal
		for i, d := range res {
			if d == nil || (d.Decision != evaluate.Allowed && d.Decision != evaluate.Conditional) {
				continue
			}
			who, role := pairs[i].who, pairs[i].role
			from := reached[who]
			h := &hop{via: append(append([]string{}, from.via...), role.ARN), cond: from.cond || d.Decision == evaluate.Conditional, unknowns: union(from.unknowns, d.UnknownKeys)}
			if old := reached[role]; old != nil {
				if !old.cond || h.cond {
					continue
				}
			} else {
				next = append(next, role)
				order = append(order, role)
			}
			reached[role] = h
		}
		frontier = next
	}
	var out []Capability
	for _, who := range order {
		caps, err := o.Can(ctx, who, service)
		if err != nil {
			return nil, err
		}
		h := reached[who]
		for _, c := range caps {
			if len(h.via) > 0 {
				c.Via = h.via
				c.UnknownKeys = union(c.UnknownKeys, h.unknowns)
				if h.cond {
					c.Decision = evaluate.Conditional
				}
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// Can lists what a principal can do: every catalogue action (of service,
// if given) that one of its identity policies allows, on the resources the
// allowing statements name, each evaluated in full (boundary, SCPs, denies,
// conditions). Conditional answers are included, marked.
func (o *Org) Can(ctx context.Context, p *Principal, service string) ([]Capability, error) {
	cat, err := iamdata.Load()
	if err != nil {
		return nil, err
	}
	var actions []string
	for _, a := range cat.Actions() {
		if service != "" && !strings.EqualFold(a[:strings.IndexByte(a, ':')], service) {
			continue
		}
		if mayAllow(p, strings.ToLower(a)) {
			actions = append(actions, a)
		}
	}
	if service != "" {
		if _, ok := cat.Service(service); !ok {
			return nil, fmt.Errorf("service %q is not in the IAM catalogue (%s)", service, cat.Source)
		}
	}
	rows, err := parallel(ctx, actions, func(a string) []Capability {
		la := strings.ToLower(a)
		seen := map[string]bool{}
		var out []Capability
		for _, pol := range p.Identity {
			for _, res := range pol.AllowedResources(la) {
				if seen[res] {
					continue
				}
				seen[res] = true
				d, err := o.Simulate(p, Ask{Action: a, Resource: res, Quiet: true})
				if err != nil || (d.Decision != evaluate.Allowed && d.Decision != evaluate.Conditional) {
					continue
				}
				out = append(out, Capability{Service: a[:strings.IndexByte(a, ':')], Action: a, Resource: res, Decision: d.Decision, UnknownKeys: d.UnknownKeys})
			}
		}
		return out
	})
	if err != nil {
		return nil, err
	}
	var out []Capability
	for _, r := range rows {
		out = append(out, r...)
	}
	return out, nil
}
