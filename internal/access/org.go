// Package access answers who can do what across an organization from a
// snapshot: it loads every account's principals and policies once
// (compiled for internal/evaluate, shared where they are shared in AWS),
// then runs simulate, who-can (following role assumption) and can over them.
//
// It reads identity policies, permissions boundaries, role trust policies,
// accounts, organizations and OU paths, and each organization's SCPs and
// RCPs with every account's chain of them (orgpolicies.go), which become
// Account.SCPs and Account.RCPs. Resource-based policies other than trust
// policies plug in through Org.ResourcePolicies. Runs without organization
// policies (made before orgiam read them, or by a list role that could not)
// are evaluated without them, and answers say so.
package access

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
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
	// idV, orgV and pathV are ID, OrgID and OrgPath as one-value lists
	// (empty when unknown), shared by every request context.
	idV, orgV, pathV []string
	// context holds the keys of a request on a resource of this account
	// (aws:ResourceAccount, aws:ResourceOrgID, aws:ResourceOrgPaths).
	context evaluate.ContextMap
	// principals are the account's users and roles, sorted by ARN.
	principals []*Principal
}

func (a *Account) buildContext() {
	a.idV = []string{a.ID}
	if a.OrgID != "" {
		a.orgV = []string{a.OrgID}
	}
	if a.OrgPath != "" {
		a.pathV = []string{a.OrgPath}
	}
	a.context = evaluate.ContextMap{"aws:resourceaccount": a.idV}
	if a.OrgID != "" {
		a.context["aws:resourceorgid"] = a.orgV
	}
	if a.OrgPath != "" {
		a.context["aws:resourceorgpaths"] = a.pathV
	}
}

// Principal is an IAM user or role.
type Principal struct {
	ARN, Name, Kind string // Kind: user or role
	Account         *Account
	Identity        []*evaluate.Policy
	Boundary        *evaluate.Policy
	Trust           *evaluate.Policy // roles only
	Tags            []snapshot.Tag
	// arn and name are the principal's ARN and name as one-value lists,
	// for the request context.
	arn, name []string
	// index is the principal's place in Org.Principals (set by Load):
	// who-can keeps per-principal state in slices rather than maps.
	index int
}

var (
	valFalse       = []string{"false"}
	valUser        = []string{"User"}
	valAssumedRole = []string{"AssumedRole"}
)

// Lookup gives the keys AWS sets for the caller that the snapshot knows:
// the principal's ARN, type, name (users), account, organization, OU path
// and tags. It is the principal's part of every request context, shared
// and allocation-free (evaluate.ContextSource).
func (p *Principal) Lookup(key string) ([]string, bool) {
	switch key {
	case "aws:principalarn":
		return p.arn, true
	case "aws:principalisawsservice":
		return valFalse, true
	case "aws:principaltype":
		if p.Kind == "user" {
			return valUser, true
		}
		return valAssumedRole, true
	case "aws:username":
		if p.Kind == "user" {
			return p.name, true
		}
		return nil, false
	case "aws:principalaccount":
		return p.Account.idV, p.Account != nil
	case "aws:principalorgid":
		return p.Account.orgV, len(p.Account.orgV) > 0
	case "aws:principalorgpaths":
		return p.Account.pathV, len(p.Account.pathV) > 0
	}
	if t, ok := strings.CutPrefix(key, "aws:principaltag/"); ok {
		for _, tag := range p.Tags {
			if strings.EqualFold(tag.Key, t) {
				return []string{tag.Value}, true
			}
		}
	}
	return nil, false
}

// Keys lists the keys Lookup answers.
func (p *Principal) Keys() []string {
	out := []string{"aws:principalarn", "aws:principalisawsservice", "aws:principaltype", "aws:principalaccount"}
	if p.Kind == "user" {
		out = append(out, "aws:username")
	}
	if len(p.Account.orgV) > 0 {
		out = append(out, "aws:principalorgid")
	}
	if len(p.Account.pathV) > 0 {
		out = append(out, "aws:principalorgpaths")
	}
	for _, tag := range p.Tags {
		out = append(out, "aws:principaltag/"+strings.ToLower(tag.Key))
	}
	return out
}

func (p *Principal) buildContext() {
	p.arn, p.name = []string{p.ARN}, []string{p.Name}
}

// Org is every account and principal of a snapshot.
type Org struct {
	Run        string
	Accounts   map[string]*Account
	Principals []*Principal // sorted by ARN, which byARN searches
	// ResourcePolicies are resource-based policies by resource ARN (role
	// trust policies are on the roles): the policies of the snapshot's
	// regional resources (accounts/<id>/regions/<region>.json) and S3
	// buckets (accounts/<id>/resources.json).
	ResourcePolicies map[string]*evaluate.Policy
	// resourceOwners are the accounts of the snapshot's resources whose
	// ARN names none (S3 buckets), by ARN.
	resourceOwners map[string]string
	// Management is the management account of each organization.
	Management map[string]string // org id → account id
	// Warnings are policies that could not be read or compiled, named.
	Warnings []string
	// HasOrgPolicies tells whether the snapshot held SCPs or RCPs.
	HasOrgPolicies bool
	// NoOrgPolicies are the organizations whose SCPs and RCPs the run does
	// not hold: their accounts are evaluated without them.
	NoOrgPolicies []string
	// levelNames names SCP and RCP levels by target id (LevelName).
	levelNames map[string]string
}

// Principal returns the principal of an ARN: a user or role ARN, or an
// assumed-role session ARN (its role).
func (o *Org) Principal(arnStr string) (*Principal, bool) {
	if p, ok := o.byARN(arnStr); ok {
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

// byARN finds a user or role by its ARN, by binary search of Principals (a
// map of 200,000 ARNs cost a load more than its lookups, a few per
// question, gain).
func (o *Org) byARN(arn string) (*Principal, bool) {
	i, ok := slices.BinarySearchFunc(o.Principals, arn, func(p *Principal, arn string) int { return strings.Compare(p.ARN, arn) })
	if !ok {
		return nil, false
	}
	return o.Principals[i], true
}

// LoadOptions tune Load.
type LoadOptions struct {
	// CacheDir, when set, holds model caches (cache.go): a complete run's
	// decoded IAM data is read from there when present and written there
	// when not, so that later loads skip reading every account's JSON.
	CacheDir string
	// Cached, set by Load, tells whether the IAM data came from CacheDir.
	Cached *bool
}

// Load reads the run's accounts, organizations and IAM data sets and
// compiles every policy. Accounts are read in parallel.
func Load(ctx context.Context, r snapshot.Reader) (*Org, error) {
	return LoadWith(ctx, r, LoadOptions{})
}

// LoadWith is Load with options.
//
// The organizations (OU paths, SCP and RCP levels) and the AWS managed
// policies are read while the account list and the accounts' data are:
// none depends on the others. Each account is built (its policies
// compiled, its principals wired) as soon as its data is read, so that
// compiling overlaps reading, the model cache's decoding included (it is
// one sequential pass).
func LoadWith(ctx context.Context, r snapshot.Reader, opt LoadOptions) (*Org, error) {
	o := &Org{Run: r.Run, Accounts: map[string]*Account{}, ResourcePolicies: map[string]*evaluate.Policy{}, resourceOwners: map[string]string{}, Management: map[string]string{}}
	var (
		side           sync.WaitGroup
		paths          orgPaths
		levels         *orgLevels
		managed        map[string]*evaluate.Policy
		orgErr, mgdErr error
	)
	side.Add(2)
	go func() {
		defer side.Done()
		paths, levels, orgErr = o.loadOrganizations(ctx, r)
	}()
	go func() {
		defer side.Done()
		managed, mgdErr = loadAWSManaged(ctx, r)
	}()
	// sideErr waits for both and gives their first error, in the order a
	// sequential load would have met them.
	sideErr := func(acctErr error) error {
		side.Wait()
		switch {
		case orgErr != nil:
			return orgErr
		case acctErr != nil:
			return acctErr
		}
		return mgdErr
	}
	// The cache's name needs the manifest, read while the account list is.
	var cacheFile string
	named := make(chan struct{})
	go func() {
		defer close(named)
		if opt.CacheDir != "" {
			cacheFile = cachePath(ctx, r, opt.CacheDir)
		}
	}()
	accts, err := r.Accounts(ctx)
	<-named
	if err != nil {
		return nil, sideErr(fmt.Errorf("run %s: account list: %w", r.Run, err))
	}
	datas := make([]*accountData, len(accts))
	errs := make([]error, len(accts))
	type result struct {
		acct  *Account
		ps    []*Principal
		rps   map[string]*evaluate.Policy
		warns []string
		err   error
	}
	results := make([]result, len(accts))
	// Build phase: compile and wire, the same whatever the source.
	cache := &docCache{}
	build := func(i int) {
		a := accts[i]
		acct := &Account{ID: a.ID, Name: a.Name, OrgID: a.OrgID, Management: a.Management, OrgPath: paths.path(a),
			SCPs: levels.scps[a.ID], RCPs: levels.rcps[a.ID]}
		acct.buildContext()
		res := result{acct: acct, err: errs[i]}
		if datas[i] != nil {
			res.ps, res.warns = buildAccount(datas[i], acct, managed, cache)
			// Sorted here, on every core: the accounts come in ARN order,
			// so the whole list is then sorted already (checked below).
			slices.SortFunc(res.ps, comparePrincipals)
			for _, p := range res.ps {
				p.buildContext()
			}
			var w []string
			res.rps, w = buildResources(datas[i], acct, cache)
			res.warns = append(res.warns, w...)
		}
		results[i] = res
	}
	cached := false
	if cacheFile != "" {
		// The cache is decoded on one goroutine (its strings refer back to
		// earlier ones), handing each account to the builders as it is
		// decoded. The channel holds every index, so decoding never waits.
		ready := make(chan int, len(accts))
		var readErr error
		go func() {
			readErr = readCache(cacheFile, accts, datas, errs, func(i int) { ready <- i })
			close(ready)
		}()
		if err := sideErr(nil); err != nil {
			for range ready {
			}
			return nil, err
		}
		eachReady(ctx, ready, build)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// readErr is set before the channel is closed, which eachReady
		// waited for.
		cached = readErr == nil
		if !cached {
			// A damaged or stale cache: what it gave is dropped and the
			// snapshot read instead.
			clear(datas)
			clear(errs)
			clear(results)
		}
	}
	if opt.Cached != nil {
		*opt.Cached = cached
	}
	if !cached {
		if err := sideErr(nil); err != nil {
			return nil, err
		}
		eachIndex(ctx, len(accts), func(i int) {
			datas[i], errs[i] = readAccount(ctx, r, accts[i].ID)
			build(i)
		})
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if cacheFile != "" {
			// A cache that cannot be written only costs the next load time.
			_ = writeCache(cacheFile, accts, datas, errs)
		}
	}
	// Sized once: 200,000 principals grow a slice many times.
	n := 0
	for _, res := range results {
		n += len(res.ps)
	}
	o.Principals = make([]*Principal, 0, n)
	o.Accounts = make(map[string]*Account, len(results))
	for _, res := range results {
		if res.err != nil {
			// A failed or missing account is data: it is left out, and said.
			o.Warnings = append(o.Warnings, fmt.Sprintf("account %s: %v", res.acct.ID, res.err))
		}
		if res.acct == nil {
			continue
		}
		res.acct.principals = res.ps
		o.Accounts[res.acct.ID] = res.acct
		if res.acct.Management && res.acct.OrgID != "" {
			o.Management[res.acct.OrgID] = res.acct.ID
		}
		o.Warnings = append(o.Warnings, res.warns...)
		for a, p := range res.rps {
			if p != nil {
				o.ResourcePolicies[a] = p
			}
			if s3Bucket(a) == a {
				o.resourceOwners[a] = res.acct.ID
			}
		}
		for _, p := range res.ps {
			o.Principals = append(o.Principals, p)
		}
	}
	if !slices.IsSortedFunc(o.Principals, comparePrincipals) {
		slices.SortFunc(o.Principals, comparePrincipals)
	}
	for i, p := range o.Principals {
		p.index = i
	}
	return o, nil
}

func comparePrincipals(a, b *Principal) int { return strings.Compare(a.ARN, b.ARN) }

// eachIndex calls f(0) … f(n-1) on GOMAXPROCS goroutines, handing out
// indexes one at a time (accounts differ in size), and stops handing out
// when ctx is done.
func eachIndex(ctx context.Context, n int, f func(int)) {
	next := make(chan int)
	go func() {
		for i := 0; i < n && ctx.Err() == nil; i++ {
			next <- i
		}
		close(next)
	}()
	eachReady(ctx, next, f)
}

// eachReady calls f on GOMAXPROCS goroutines for every index received
// until ready is closed, and returns when all calls have. Once ctx is done
// the indexes still received are skipped.
func eachReady(ctx context.Context, ready <-chan int, f func(int)) {
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ready {
				if ctx.Err() == nil {
					f(i)
				}
			}
		}()
	}
	wg.Wait()
}

// orgPaths maps OU ids to their aws:PrincipalOrgPaths prefix.
type orgPaths map[string]string // OU or root id → "o-…/r-…/ou-…/"

func (p orgPaths) path(a snapshot.Account) string {
	if a.ParentID == "" {
		return ""
	}
	return p[a.ParentID]
}

func (o *Org) loadOrganizations(ctx context.Context, r snapshot.Reader) (orgPaths, *orgLevels, error) {
	paths := orgPaths{}
	ids, err := r.OrgIDs(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("run %s: organizations: %w", r.Run, err)
	}
	ousOf := map[string][]snapshot.OU{}
	for _, id := range ids {
		org, err := r.Organization(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, nil, err
		}
		if org.MasterAccountID != "" {
			o.Management[id] = org.MasterAccountID
		}
		ous, err := r.OrgOUs(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, nil, err
		}
		ousOf[id] = ous
		parent := map[string]string{}
		for _, u := range ous {
			parent[u.ID] = u.ParentID
		}
		for _, u := range ous {
			var chain []string
			for cur, n := u.ID, 0; cur != "" && n < 10; cur, n = parent[cur], n+1 {
				chain = append(chain, cur)
			}
			var b strings.Builder
			b.WriteString(id + "/")
			for i := len(chain) - 1; i >= 0; i-- {
				b.WriteString(chain[i] + "/")
			}
			paths[u.ID] = b.String()
		}
	}
	levels, err := o.loadOrgPolicies(ctx, r, ids, ousOf)
	if err != nil {
		return nil, nil, err
	}
	o.levelNames = levels.names
	o.HasOrgPolicies = len(levels.known) > 0
	for _, id := range ids {
		if !levels.known[id] {
			o.NoOrgPolicies = append(o.NoOrgPolicies, id)
		}
	}
	return paths, levels, nil
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

// docCache compiles each distinct policy text once. Organizations repeat
// the same documents in every account (roles deployed by StackSets, the
// same inline policies, the same trust policies): sharing the compiled
// statements keeps memory and load time proportional to the distinct
// documents, not to the principals.
//
// A text is compiled once whatever it is named (a 10,000-account
// organization of the who-can benchmark has 84,432 distinct name and text pairs but 51,835
// distinct texts); each name it is used under gets its own Policy, a copy
// naming it that shares the compiled statements (neither compiling nor its
// errors and warnings depend on the name). The same name and text give the
// same *Policy. Inline policies are named by their own name
// ("inline:NAME"), which is all an explanation about one principal needs.
//
// The texts are kept only while the cache lives, that is during one load,
// when every account's data is in memory anyway.
type docCache struct {
	mu    sync.Mutex
	texts map[string]compiled // document text → compiled under its first name
	named map[namedPolicy]*evaluate.Policy
}

type compiled struct {
	p   *evaluate.Policy
	err error
}

type namedPolicy struct {
	name string
	p    *evaluate.Policy
}

func (c *docCache) compile(name string, doc []byte) (*evaluate.Policy, error) {
	c.mu.Lock()
	v, ok := c.texts[string(doc)]
	c.mu.Unlock()
	if !ok {
		// Compiled outside the lock; if another worker compiled the same
		// text meanwhile, its result is kept and this one dropped.
		p, err := evaluate.Compile(name, doc)
		c.mu.Lock()
		if c.texts == nil {
			c.texts, c.named = map[string]compiled{}, map[namedPolicy]*evaluate.Policy{}
		}
		if v, ok = c.texts[string(doc)]; !ok {
			v = compiled{p, err}
			c.texts[string(doc)] = v
		}
		c.mu.Unlock()
	}
	if v.err != nil {
		return nil, v.err
	}
	if v.p.Name == name {
		return v.p, nil
	}
	k := namedPolicy{name, v.p}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.named[k]
	if p == nil {
		cp := *v.p
		cp.Name = name
		p = &cp
		c.named[k] = p
	}
	return p, nil
}

// userData, roleData and groupData are the parts of the stored IAM shapes
// (snapshot.User, Role, Group) the evaluator reads: decoding only them
// leaves the rest (access keys, dates, instance profiles) unread.
type userData struct {
	UserName                string                    `json:"UserName"`
	Arn                     string                    `json:"Arn"`
	UserPolicyList          []snapshot.InlinePolicy   `json:"UserPolicyList"`
	GroupList               []string                  `json:"GroupList"`
	AttachedManagedPolicies []snapshot.AttachedPolicy `json:"AttachedManagedPolicies"`
	PermissionsBoundary     *snapshot.Boundary        `json:"PermissionsBoundary"`
	Tags                    []snapshot.Tag            `json:"Tags"`
}

type roleData struct {
	RoleName                 string                    `json:"RoleName"`
	Arn                      string                    `json:"Arn"`
	AssumeRolePolicyDocument json.RawMessage           `json:"AssumeRolePolicyDocument"`
	RolePolicyList           []snapshot.InlinePolicy   `json:"RolePolicyList"`
	AttachedManagedPolicies  []snapshot.AttachedPolicy `json:"AttachedManagedPolicies"`
	PermissionsBoundary      *snapshot.Boundary        `json:"PermissionsBoundary"`
	Tags                     []snapshot.Tag            `json:"Tags"`
}

type groupData struct {
	GroupName               string                    `json:"GroupName"`
	Arn                     string                    `json:"Arn"`
	GroupPolicyList         []snapshot.InlinePolicy   `json:"GroupPolicyList"`
	AttachedManagedPolicies []snapshot.AttachedPolicy `json:"AttachedManagedPolicies"`
}

// policyData is a customer managed policy as the evaluator reads it: its
// ARN and default version's document.
type policyData struct {
	Arn string
	Doc json.RawMessage
}

// accountData is what the evaluator reads of one account's IAM data sets:
// what readAccount decodes from the snapshot's JSON, and what the model
// cache (cache.go) stores. buildAccount turns it into principals the same
// way whichever of the two it came from.
type accountData struct {
	users  []userData
	roles  []roleData
	groups []groupData
	pols   []policyData
	// resources are the account's resources with a resource-based policy
	// (Doc) or without one (Doc empty: an S3 bucket still tells its
	// owner), from its region files and resources.json.
	resources []policyData
	// resWarns are the region files that could not be read.
	resWarns []string
}

// readAccount decodes an account's IAM data sets.
func readAccount(ctx context.Context, r snapshot.Reader, id string) (*accountData, error) {
	// account.json marks a scanned account; only its presence matters here.
	if ok, err := r.Store.Exists(ctx, store.AccountKey(r.Run, id)); err != nil {
		return nil, err
	} else if !ok {
		return nil, errors.New("not scanned (no account.json): left out")
	}
	d := &accountData{}
	var pols []snapshot.ManagedPolicy
	for _, ds := range []struct {
		name string
		v    any
	}{{"users", &d.users}, {"roles", &d.roles}, {"groups", &d.groups}, {"policies", &pols}} {
		if err := r.IAM(ctx, id, ds.name, ds.v); err != nil {
			return nil, err
		}
	}
	d.pols = make([]policyData, len(pols))
	for i, mp := range pols {
		d.pols[i] = policyData{mp.Arn, mp.DefaultDocument()}
	}
	if err := readResources(ctx, r, id, d); err != nil {
		return nil, err
	}
	return d, nil
}

// readResources adds the account's resources to d: every region file's
// and resources.json's (runs made before regional collection have
// neither). A file that cannot be read is a warning, not a lost account.
func readResources(ctx context.Context, r snapshot.Reader, id string, d *accountData) error {
	scans, bad, err := r.RegionScans(ctx, id)
	if err != nil {
		return fmt.Errorf("region files: %w", err)
	}
	for _, k := range slices.Sorted(maps.Keys(bad)) {
		d.resWarns = append(d.resWarns, fmt.Sprintf("account %s: %s: %v (its resource policies left out of evaluations)", id, k, bad[k]))
	}
	add := func(rs []snapshot.Resource) {
		for _, res := range rs {
			if res.ARN != "" && (len(res.Policy) > 0 || res.Service == "s3") {
				d.resources = append(d.resources, policyData{res.ARN, res.Policy})
			}
		}
	}
	for _, s := range scans {
		add(s.Resources)
	}
	ar, err := r.AccountResources(ctx, id)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d.resWarns = append(d.resWarns, fmt.Sprintf("account %s: resources.json: %v (its S3 bucket policies left out of evaluations)", id, err))
	} else if ar != nil {
		add(ar.Resources)
	}
	return nil
}

// buildResources compiles an account's resource-based policies, by
// resource ARN; a resource without a policy maps to nil.
func buildResources(d *accountData, acct *Account, cache *docCache) (map[string]*evaluate.Policy, []string) {
	warns := d.resWarns
	if len(d.resources) == 0 {
		return nil, warns
	}
	out := make(map[string]*evaluate.Policy, len(d.resources))
	for _, res := range d.resources {
		var pol *evaluate.Policy
		if len(res.Doc) > 0 && string(res.Doc) != "null" {
			p, err := cache.compile("resource policy", res.Doc)
			if err != nil {
				warns = append(warns, fmt.Sprintf("account %s: resource policy of %s: %v (left out of evaluations)", acct.ID, res.Arn, err))
			} else {
				pol = p
			}
		}
		out[res.Arn] = pol
	}
	return out, warns
}

// buildAccount compiles an account's policies (each distinct one once,
// through cache) and wires its principals.
func buildAccount(d *accountData, acct *Account, awsManaged map[string]*evaluate.Policy, cache *docCache) ([]*Principal, []string) {
	users, roles, groups, pols := d.users, d.roles, d.groups, d.pols
	var warns []string
	compile := func(name string, doc []byte) *evaluate.Policy {
		if len(doc) == 0 {
			return nil
		}
		p, err := cache.compile(name, doc)
		if err != nil {
			warns = append(warns, fmt.Sprintf("account %s: policy %s: %v (left out of evaluations)", acct.ID, name, err))
			return nil
		}
		return p
	}
	customer := make(map[string]*evaluate.Policy, len(pols))
	for _, mp := range pols {
		if p := compile(mp.Arn, mp.Doc); p != nil {
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
			if p := compile("inline:"+g.GroupName+"/"+ip.PolicyName, ip.PolicyDocument); p != nil {
				ps = append(ps, p)
			}
		}
		groupPolicies[g.GroupName] = ps
	}
	tags := func(ts []snapshot.Tag) []snapshot.Tag {
		if len(ts) == 0 {
			return nil
		}
		return ts
	}
	var out []*Principal
	for _, u := range users {
		p := &Principal{ARN: u.Arn, Name: u.UserName, Kind: "user", Account: acct, Boundary: boundary(u.PermissionsBoundary), Tags: tags(u.Tags)}
		p.Identity = attached(u.AttachedManagedPolicies)
		for _, ip := range u.UserPolicyList {
			if pol := compile("inline:"+ip.PolicyName, ip.PolicyDocument); pol != nil {
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
			if pol := compile("inline:"+ip.PolicyName, ip.PolicyDocument); pol != nil {
				p.Identity = append(p.Identity, pol)
			}
		}
		p.Trust = compile("trust policy", rl.AssumeRolePolicyDocument)
		out = append(out, p)
	}
	return out, warns
}
