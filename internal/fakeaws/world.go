// Package fakeaws is an in-process AWS emulator and a synthetic organization
// generator. The Server speaks the real wire protocols of Organizations, STS,
// IAM, S3, SNS and Config (aggregator queries) so the unmodified
// aws-sdk-go-v2 clients talk to it through BaseEndpoint or AWS_ENDPOINT_URL.
// The World is generated deterministically from a seed: the organizations'
// structure is held in memory, each account's IAM contents are generated on
// demand from (seed, account id) and only a few are cached, so the emulator
// can stand in for organizations of ten thousand accounts.
package fakeaws

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"
)

// Size sets how many entities each generated account holds. Zero fields take
// the defaults (12 users, 8 roles, 4 groups, 4 customer managed policies).
// The collect role, OrganizationAccountAccessRole and the support role come
// on top of Roles.
type Size struct {
	Users, Roles, Groups, Policies int
}

// Options describe the world to generate.
type Options struct {
	Seed           int64
	Orgs           int // default 1
	AccountsPerOrg int // default 10, management account included
	Size           Size
	// CollectRoleName and CollectRolePath name the role orgiam assumes in
	// every account (defaults "orgiam-collect" and "/").
	CollectRoleName string
	CollectRolePath string
	// ExternalID, when set, is required by the collect role's trust policy.
	ExternalID string
	// Partition of every ARN (default "aws").
	Partition string
	// Now is the reference time the generated dates are relative to
	// (default: today 00:00 UTC).
	Now time.Time
	// ConfigAggregator is the name of the AWS Config aggregator that covers
	// every account (default "orgiam-aggregator").
	ConfigAggregator string
	// ConfigAggregatorRegion is the region the aggregator lives in; calls
	// to another region do not find it. Empty: every region answers.
	ConfigAggregatorRegion string
	// ConfigAccountAggregator names a second aggregator that collects from
	// listed accounts, not from the organization (none when empty).
	ConfigAccountAggregator string
	// OutsideAccounts is how many account ids outside every organization
	// are generated as targets of cross-account trusts (default 3).
	OutsideAccounts int
	// CacheAccounts is how many generated accounts are kept (default 64).
	CacheAccounts int
	// OrgPolicies shape every organization's SCPs, RCPs and delegated
	// administrators (orgpolicies.go).
	OrgPolicies OrgPolicyOptions
}

// Org is one generated organization.
type Org struct {
	ID                  string
	Arn                 string
	ManagementAccountID string
	ManagementEmail     string
	RootID              string
	RootArn             string
	OUs                 []*OU // every OU, parents before children
	AccountIDs          []string
	// PolicyTypes are the policy types enabled on the root.
	PolicyTypes []string
	// Policies are the organization's SCPs and RCPs with their targets.
	Policies []*OrgPolicy
	// DelegatedAdmins are the accounts registered as delegated
	// administrators, with their services.
	DelegatedAdmins []*DelegatedAdmin
}

// OU is an organizational unit.
type OU struct {
	ID       string
	Arn      string
	Name     string
	ParentID string // the root id or a parent OU id
	Path     string // "Root/Workloads/Prod"
}

// AccountMeta is an account as Organizations knows it.
type AccountMeta struct {
	ID           string
	Arn          string
	Name         string
	Email        string
	Status       string // ACTIVE, SUSPENDED, PENDING_CLOSURE
	JoinedMethod string // CREATED or INVITED
	Joined       time.Time
	OrgID        string
	ParentID     string
	OUPath       string
	Management   bool
}

// World is a generated set of organizations. It is safe for concurrent use.
type World struct {
	opts     Options
	orgs     []*Org
	accounts []*AccountMeta
	byID     map[string]*AccountMeta
	orgByID  map[string]*Org
	outside  []string

	mu    sync.Mutex
	cache map[string]*cacheEntry
	tick  uint64
}

type cacheEntry struct {
	data *AccountData
	used uint64
}

// NewWorld generates the organizations of o.
func NewWorld(o Options) *World {
	if o.Orgs <= 0 {
		o.Orgs = 1
	}
	if o.AccountsPerOrg <= 0 {
		o.AccountsPerOrg = 10
	}
	if o.Size.Users <= 0 {
		o.Size.Users = 12
	}
	if o.Size.Roles <= 0 {
		o.Size.Roles = 8
	}
	if o.Size.Groups <= 0 {
		o.Size.Groups = 4
	}
	if o.Size.Policies <= 0 {
		o.Size.Policies = 4
	}
	if o.CollectRoleName == "" {
		o.CollectRoleName = "orgiam-collect"
	}
	if o.CollectRolePath == "" {
		o.CollectRolePath = "/"
	}
	if !strings.HasPrefix(o.CollectRolePath, "/") {
		o.CollectRolePath = "/" + o.CollectRolePath
	}
	if !strings.HasSuffix(o.CollectRolePath, "/") {
		o.CollectRolePath += "/"
	}
	if o.Partition == "" {
		o.Partition = "aws"
	}
	if o.Now.IsZero() {
		o.Now = time.Now().UTC().Truncate(24 * time.Hour)
	}
	o.Now = o.Now.UTC()
	if o.ConfigAggregator == "" {
		o.ConfigAggregator = "orgiam-aggregator"
	}
	if o.OutsideAccounts <= 0 {
		o.OutsideAccounts = 3
	}
	if o.CacheAccounts <= 0 {
		o.CacheAccounts = 64
	}
	w := &World{opts: o, byID: map[string]*AccountMeta{}, orgByID: map[string]*Org{}, cache: map[string]*cacheEntry{}}
	w.generate()
	return w
}

// Options returns the options the world was generated with, defaults filled in.
func (w *World) Options() Options { return w.opts }

// Orgs returns the organizations (do not modify).
func (w *World) Orgs() []*Org { return w.orgs }

// Org returns an organization by id (nil if unknown).
func (w *World) Org(id string) *Org { return w.orgByID[id] }

// Accounts returns every account of every organization in order.
func (w *World) Accounts() []*AccountMeta { return w.accounts }

// AccountMeta returns an account by id (nil if it is in no organization).
func (w *World) AccountMeta(id string) *AccountMeta { return w.byID[id] }

// OutsideAccounts are account ids in no organization that some roles trust.
func (w *World) OutsideAccounts() []string { return w.outside }

// CollectRoleArn is the collect role's ARN in account id.
func (w *World) CollectRoleArn(id string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role%s%s", w.opts.Partition, id, w.opts.CollectRolePath, w.opts.CollectRoleName)
}

// OrgOf returns the organization holding the account (nil if none).
func (w *World) OrgOf(accountID string) *Org {
	if a := w.byID[accountID]; a != nil {
		return w.orgByID[a.OrgID]
	}
	return nil
}

// Account returns the generated IAM contents of an account (nil if the
// account is in no organization). The value is shared: do not modify it.
func (w *World) Account(id string) *AccountData {
	meta := w.byID[id]
	if meta == nil {
		return nil
	}
	w.mu.Lock()
	w.tick++
	if e, ok := w.cache[id]; ok {
		e.used = w.tick
		w.mu.Unlock()
		return e.data
	}
	w.mu.Unlock()
	d := w.generateAccount(meta)
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.cache) >= w.opts.CacheAccounts {
		var oldest string
		var min uint64
		for k, e := range w.cache {
			if oldest == "" || e.used < min {
				oldest, min = k, e.used
			}
		}
		delete(w.cache, oldest)
	}
	w.cache[id] = &cacheEntry{data: d, used: w.tick}
	return d
}

func hash64(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

func (w *World) rng(parts ...string) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(w.opts.Seed), hash64(parts...)))
}

const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func randString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

var ouTree = []struct{ name, parent string }{
	{"Security", ""},
	{"Infrastructure", ""},
	{"Workloads", ""},
	{"Sandbox", ""},
	{"Prod", "Workloads"},
	{"NonProd", "Workloads"},
	{"Payments", "Workloads/Prod"},
	{"Analytics", "Workloads/Prod"},
	{"Dev", "Workloads/NonProd"},
}

var accountWords = []string{"log-archive", "audit", "network", "shared-services", "payments", "analytics", "data-lake", "web", "api", "batch", "ml", "identity", "backup", "sandbox", "ci", "edge"}

func (w *World) generate() {
	r := w.rng("world")
	used := map[string]bool{}
	newID := func() string {
		for {
			id := fmt.Sprintf("%d%011d", 1+r.IntN(9), r.Int64N(100000000000))
			if !used[id] {
				used[id] = true
				return id
			}
		}
	}
	base := w.opts.Now.AddDate(-3, 0, 0)
	p := w.opts.Partition
	for oi := 0; oi < w.opts.Orgs; oi++ {
		org := &Org{ID: "o-" + randString(r, lowerAlnum, 10)}
		rootSuffix := randString(r, lowerAlnum, 4)
		org.RootID = "r-" + rootSuffix
		mgmt := newID()
		org.ManagementAccountID = mgmt
		org.Arn = fmt.Sprintf("arn:%s:organizations::%s:organization/%s", p, mgmt, org.ID)
		org.RootArn = fmt.Sprintf("arn:%s:organizations::%s:root/%s/%s", p, mgmt, org.ID, org.RootID)
		pathToID := map[string]string{"": org.RootID}
		for _, t := range ouTree {
			ou := &OU{ID: "ou-" + rootSuffix + "-" + randString(r, lowerAlnum, 8), Name: t.name, ParentID: pathToID[t.parent]}
			ou.Arn = fmt.Sprintf("arn:%s:organizations::%s:ou/%s/%s", p, mgmt, org.ID, ou.ID)
			key := t.name
			if t.parent != "" {
				key = t.parent + "/" + t.name
			}
			ou.Path = "Root/" + key
			pathToID[key] = ou.ID
			org.OUs = append(org.OUs, ou)
		}
		n := w.opts.AccountsPerOrg
		// Which indexes are not ACTIVE: one PENDING_CLOSURE, about 1 in 20 SUSPENDED.
		status := make([]string, n)
		for i := range status {
			status[i] = "ACTIVE"
		}
		if n >= 3 {
			status[n-1] = "PENDING_CLOSURE"
		}
		if n >= 4 {
			susp := n / 20
			if susp < 1 {
				susp = 1
			}
			for k := 0; k < susp; k++ {
				status[n-2-k*7%(n-2)] = "SUSPENDED"
			}
		}
		orgName := fmt.Sprintf("org%d", oi+1)
		for i := 0; i < n; i++ {
			var id string
			if i == 0 {
				id = mgmt
			} else {
				id = newID()
			}
			a := &AccountMeta{ID: id, OrgID: org.ID, Status: status[i], JoinedMethod: "CREATED"}
			a.Arn = fmt.Sprintf("arn:%s:organizations::%s:account/%s/%s", p, mgmt, org.ID, id)
			a.Joined = base.Add(time.Duration(i) * 7 * time.Hour).Add(time.Duration(r.IntN(3600)) * time.Second)
			if i == 0 {
				a.Name = orgName + "-management"
				a.Management = true
				a.JoinedMethod = "INVITED"
				a.ParentID, a.OUPath = org.RootID, "Root"
			} else {
				a.Name = fmt.Sprintf("%s-%s-%d", orgName, accountWords[r.IntN(len(accountWords))], i)
				if r.IntN(10) == 0 {
					a.JoinedMethod = "INVITED"
				}
				if status[i] == "SUSPENDED" || r.IntN(12) == 0 {
					a.ParentID, a.OUPath = org.RootID, "Root"
				} else {
					ou := org.OUs[r.IntN(len(org.OUs))]
					a.ParentID, a.OUPath = ou.ID, ou.Path
				}
			}
			a.Email = fmt.Sprintf("aws+%s@%s.example.com", a.Name, orgName)
			if i == 0 {
				org.ManagementEmail = a.Email
			}
			org.AccountIDs = append(org.AccountIDs, id)
			w.accounts = append(w.accounts, a)
			w.byID[id] = a
		}
		w.orgs = append(w.orgs, org)
		w.orgByID[org.ID] = org
	}
	for _, org := range w.orgs {
		w.generateOrgPolicies(org)
	}
	for i := 0; i < w.opts.OutsideAccounts; i++ {
		w.outside = append(w.outside, newID())
	}
	sort.Strings(w.outside)
}
