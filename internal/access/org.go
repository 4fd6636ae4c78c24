// Package access answers who can do what across an organization from a
// snapshot: it loads every account's principals and policies once
// (compiled for internal/evaluate, shared where they are shared in AWS),
// then runs simulate, who-can (following role assumption) and can over them.
//
// It reads what the snapshot holds today: identity policies, permissions
// boundaries, role trust policies, accounts, organizations and OU paths.
// Organization policies (SCPs, RCPs) and resource-based policies other than
// trust policies plug in through Account.SCPs, Account.RCPs and
// Org.ResourcePolicies when the snapshot carries them; until then answers
// say that they were not part of the evaluation.
package access

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/orgiam/orgiam/internal/evaluate"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// Account is one account of the snapshot.
type Account struct {
	ID, Name, OrgID string
	Management      bool
	// OrgPath is aws:PrincipalOrgPaths' value: o-…/r-…/ou-…/…/ .
	OrgPath string
	// SCPs and RCPs per level from the root down (nil: not in the snapshot).
	SCPs, RCPs []evaluate.Level
	// context holds the keys of a request on a resource of this account
	// (aws:ResourceAccount, aws:ResourceOrgID, aws:ResourceOrgPaths),
	// lower-case.
	context map[string][]string
}

func (a *Account) buildContext() {
	a.context = map[string][]string{"aws:resourceaccount": {a.ID}}
	if a.OrgID != "" {
		a.context["aws:resourceorgid"] = []string{a.OrgID}
	}
	if a.OrgPath != "" {
		a.context["aws:resourceorgpaths"] = []string{a.OrgPath}
	}
}

// Principal is an IAM user or role.
type Principal struct {
	ARN, Name, Kind string // Kind: user or role
	Account         *Account
	Identity        []*evaluate.Policy
	Boundary        *evaluate.Policy
	Trust           *evaluate.Policy // roles only
	Tags            map[string]string
	// context is what the snapshot knows of the principal's request
	// context, keys lower-case (evaluate.Request.SharedContext).
	context map[string][]string
}

// buildContext fills p.context: the keys AWS sets for the caller that the
// snapshot knows.
func (p *Principal) buildContext() {
	c := map[string][]string{
		"aws:principalarn":          {p.ARN},
		"aws:principalisawsservice": {"false"},
	}
	if p.Kind == "user" {
		c["aws:principaltype"] = []string{"User"}
		c["aws:username"] = []string{p.Name}
	} else {
		c["aws:principaltype"] = []string{"AssumedRole"}
	}
	if a := p.Account; a != nil {
		c["aws:principalaccount"] = []string{a.ID}
		if a.OrgID != "" {
			c["aws:principalorgid"] = []string{a.OrgID}
		}
		if a.OrgPath != "" {
			c["aws:principalorgpaths"] = []string{a.OrgPath}
		}
	}
	for k, v := range p.Tags {
		c["aws:principaltag/"+strings.ToLower(k)] = []string{v}
	}
	p.context = c
}

// Org is every account and principal of a snapshot.
type Org struct {
	Run        string
	Accounts   map[string]*Account
	Principals []*Principal // sorted by ARN
	byARN      map[string]*Principal
	// ResourcePolicies are resource-based policies by resource ARN (role
	// trust policies are on the roles).
	ResourcePolicies map[string]*evaluate.Policy
	// Management is the management account of each organization.
	Management map[string]string // org id → account id
	// Warnings are policies that could not be read or compiled, named.
	Warnings []string
	// HasOrgPolicies tells whether the snapshot held SCPs or RCPs.
	HasOrgPolicies bool
}

// Principal returns the principal of an ARN: a user or role ARN, or an
// assumed-role session ARN (its role).
func (o *Org) Principal(arnStr string) (*Principal, bool) {
	if p, ok := o.byARN[arnStr]; ok {
		return p, true
	}
	ep, err := evaluate.ParsePrincipal(arnStr)
	if err == nil && ep.Kind == evaluate.KindRoleSession {
		for _, p := range o.Principals {
			if p.Kind == "role" && p.Account != nil && p.Account.ID == ep.Account && p.Name == ep.RoleName {
				return p, true
			}
		}
	}
	return nil, false
}

// Load reads the run's accounts, organizations and IAM data sets and
// compiles every policy. Accounts are read in parallel.
func Load(ctx context.Context, r snapshot.Reader) (*Org, error) {
	o := &Org{Run: r.Run, Accounts: map[string]*Account{}, byARN: map[string]*Principal{}, ResourcePolicies: map[string]*evaluate.Policy{}, Management: map[string]string{}}
	paths, err := o.loadOrganizations(ctx, r)
	if err != nil {
		return nil, err
	}
	accts, err := r.Accounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("run %s: account list: %w", r.Run, err)
	}
	managed, err := loadAWSManaged(ctx, r)
	if err != nil {
		return nil, err
	}
	type result struct {
		acct  *Account
		ps    []*Principal
		warns []string
		err   error
	}
	results := make([]result, len(accts))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) * 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				a := accts[i]
				acct := &Account{ID: a.Id, Name: a.Name, OrgID: a.OrgId, Management: a.Management, OrgPath: paths.path(a)}
				ps, warns, err := loadAccount(ctx, r, acct, managed)
				results[i] = result{acct, ps, warns, err}
			}
		}()
	}
	for i := range accts {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, res := range results {
		if res.err != nil {
			// A failed or missing account is data: it is left out, and said.
			o.Warnings = append(o.Warnings, fmt.Sprintf("account %s: %v", res.acct.ID, res.err))
		}
		if res.acct == nil {
			continue
		}
		res.acct.buildContext()
		o.Accounts[res.acct.ID] = res.acct
		if res.acct.Management && res.acct.OrgID != "" {
			o.Management[res.acct.OrgID] = res.acct.ID
		}
		o.Warnings = append(o.Warnings, res.warns...)
		for _, p := range res.ps {
			p.buildContext()
			o.byARN[p.ARN] = p
			o.Principals = append(o.Principals, p)
		}
	}
	sort.Slice(o.Principals, func(i, j int) bool { return o.Principals[i].ARN < o.Principals[j].ARN })
	return o, nil
}

// orgPaths maps OU ids to their aws:PrincipalOrgPaths prefix.
type orgPaths map[string]string // OU or root id → "o-…/r-…/ou-…/"

func (p orgPaths) path(a snapshot.Account) string {
	if a.ParentId == "" {
		return ""
	}
	return p[a.ParentId]
}

func (o *Org) loadOrganizations(ctx context.Context, r snapshot.Reader) (orgPaths, error) {
	paths := orgPaths{}
	ids, err := r.Store.ListDirs(ctx, store.OrgPrefix(r.Run))
	if err != nil {
		return nil, fmt.Errorf("run %s: organizations: %w", r.Run, err)
	}
	for _, id := range ids {
		var org snapshot.Organization
		if err := snapshot.ReadJSON(ctx, r.Store, store.OrgKey(r.Run, id, "organization.json"), &org); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if org.MasterAccountId != "" {
			o.Management[id] = org.MasterAccountId
		}
		var ous []snapshot.OU
		if err := snapshot.ReadJSON(ctx, r.Store, store.OrgKey(r.Run, id, "ous.json"), &ous); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		parent := map[string]string{}
		for _, u := range ous {
			parent[u.Id] = u.ParentId
		}
		for _, u := range ous {
			var chain []string
			for cur, n := u.Id, 0; cur != "" && n < 10; cur, n = parent[cur], n+1 {
				chain = append(chain, cur)
			}
			var b strings.Builder
			b.WriteString(id + "/")
			for i := len(chain) - 1; i >= 0; i-- {
				b.WriteString(chain[i] + "/")
			}
			paths[u.Id] = b.String()
		}
	}
	return paths, nil
}

// loadAWSManaged compiles the run's AWS managed policies, by ARN.
func loadAWSManaged(ctx context.Context, r snapshot.Reader) (map[string]*evaluate.Policy, error) {
	mps, err := r.AWSManagedPolicies(ctx)
	if err != nil {
		return nil, fmt.Errorf("run %s: AWS managed policies: %w", r.Run, err)
	}
	out := make(map[string]*evaluate.Policy, len(mps))
	for _, mp := range mps {
		doc := mp.DefaultDocument()
		if doc == nil {
			continue
		}
		p, err := evaluate.Compile(mp.Arn, doc)
		if err != nil {
			return nil, fmt.Errorf("AWS managed policy %s: %w", mp.Arn, err)
		}
		out[mp.Arn] = p
	}
	return out, nil
}

func loadAccount(ctx context.Context, r snapshot.Reader, acct *Account, awsManaged map[string]*evaluate.Policy) ([]*Principal, []string, error) {
	if _, err := r.AccountInfo(ctx, acct.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, errors.New("not scanned (no account.json): left out")
		}
		return nil, nil, err
	}
	var users []snapshot.User
	var roles []snapshot.Role
	var groups []snapshot.Group
	var pols []snapshot.ManagedPolicy
	for _, ds := range []struct {
		name string
		v    any
	}{{"users", &users}, {"roles", &roles}, {"groups", &groups}, {"policies", &pols}} {
		if err := r.IAM(ctx, acct.ID, ds.name, ds.v); err != nil {
			return nil, nil, err
		}
	}
	var warns []string
	compile := func(name string, doc []byte) *evaluate.Policy {
		if len(doc) == 0 {
			return nil
		}
		p, err := evaluate.Compile(name, doc)
		if err != nil {
			warns = append(warns, fmt.Sprintf("account %s: policy %s: %v (left out of evaluations)", acct.ID, name, err))
			return nil
		}
		return p
	}
	customer := make(map[string]*evaluate.Policy, len(pols))
	for _, mp := range pols {
		if p := compile(mp.Arn, mp.DefaultDocument()); p != nil {
			customer[mp.Arn] = p
		}
	}
	attached := func(list []snapshot.AttachedPolicy) []*evaluate.Policy {
		var out []*evaluate.Policy
		for _, a := range list {
			if p := customer[a.PolicyArn]; p != nil {
				out = append(out, p)
			} else if p := awsManaged[a.PolicyArn]; p != nil {
				out = append(out, p)
			} else {
				warns = append(warns, fmt.Sprintf("account %s: attached policy %s is not in the snapshot", acct.ID, a.PolicyArn))
			}
		}
		return out
	}
	boundary := func(b *snapshot.Boundary) *evaluate.Policy {
		if b == nil || b.PermissionsBoundaryArn == "" {
			return nil
		}
		if p := customer[b.PermissionsBoundaryArn]; p != nil {
			return p
		}
		if p := awsManaged[b.PermissionsBoundaryArn]; p != nil {
			return p
		}
		// An unknown boundary still limits: nothing it would allow is known.
		warns = append(warns, fmt.Sprintf("account %s: permissions boundary %s is not in the snapshot: treated as allowing nothing", acct.ID, b.PermissionsBoundaryArn))
		return evaluate.MustCompile(b.PermissionsBoundaryArn, `{"Version":"2012-10-17","Statement":[]}`)
	}
	groupPolicies := map[string][]*evaluate.Policy{}
	for _, g := range groups {
		ps := attached(g.AttachedManagedPolicies)
		for _, ip := range g.GroupPolicyList {
			if p := compile("inline:"+g.Arn+":"+ip.PolicyName, ip.PolicyDocument); p != nil {
				ps = append(ps, p)
			}
		}
		groupPolicies[g.GroupName] = ps
	}
	tags := func(ts []snapshot.Tag) map[string]string {
		if len(ts) == 0 {
			return nil
		}
		m := make(map[string]string, len(ts))
		for _, t := range ts {
			m[t.Key] = t.Value
		}
		return m
	}
	var out []*Principal
	for _, u := range users {
		p := &Principal{ARN: u.Arn, Name: u.UserName, Kind: "user", Account: acct, Boundary: boundary(u.PermissionsBoundary), Tags: tags(u.Tags)}
		p.Identity = attached(u.AttachedManagedPolicies)
		for _, ip := range u.UserPolicyList {
			if pol := compile("inline:"+u.Arn+":"+ip.PolicyName, ip.PolicyDocument); pol != nil {
				p.Identity = append(p.Identity, pol)
			}
		}
		for _, g := range u.GroupList {
			p.Identity = append(p.Identity, groupPolicies[g]...)
		}
		out = append(out, p)
	}
	for _, rl := range roles {
		p := &Principal{ARN: rl.Arn, Name: rl.RoleName, Kind: "role", Account: acct, Boundary: boundary(rl.PermissionsBoundary), Tags: tags(rl.Tags)}
		p.Identity = attached(rl.AttachedManagedPolicies)
		for _, ip := range rl.RolePolicyList {
			if pol := compile("inline:"+rl.Arn+":"+ip.PolicyName, ip.PolicyDocument); pol != nil {
				p.Identity = append(p.Identity, pol)
			}
		}
		p.Trust = compile("trust:"+rl.Arn, rl.AssumeRolePolicyDocument)
		out = append(out, p)
	}
	return out, warns, nil
}
