package discover

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// treeAPI is an organization of a root, 3 OUs under it and 3 under each of
// those (12 OUs), 2 accounts under every parent, answering each call after a
// random delay, one item per page, and counting the calls in flight.
type treeAPI struct {
	PolicyAPI
	mu      sync.Mutex
	rnd     *rand.Rand
	flight  atomic.Int32
	maxSeen atomic.Int32
}

func (f *treeAPI) enter() func() {
	n := f.flight.Add(1)
	for {
		m := f.maxSeen.Load()
		if n <= m || f.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	f.mu.Lock()
	d := time.Duration(f.rnd.IntN(3000)) * time.Microsecond
	f.mu.Unlock()
	time.Sleep(d)
	return func() { f.flight.Add(-1) }
}

func ouChildren(parent string) []string {
	switch {
	case parent == "r-1":
		return []string{"ou-1-c", "ou-1-a", "ou-1-b"}
	case strings.Count(parent, "-") == 2:
		return []string{parent + "-z", parent + "-x", parent + "-y"}
	}
	return nil
}

func pageOf(items []string, tok *string) (string, *string) {
	i := 0
	if tok != nil {
		fmt.Sscan(*tok, &i)
	}
	if i+1 < len(items) {
		return items[i], aws.String(fmt.Sprint(i + 1))
	}
	return items[i], nil
}

func (f *treeAPI) DescribeOrganization(context.Context, *organizations.DescribeOrganizationInput, ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error) {
	return &organizations.DescribeOrganizationOutput{Organization: &types.Organization{Id: aws.String("o-1"), MasterAccountId: aws.String("100000000000")}}, nil
}
func (f *treeAPI) ListRoots(context.Context, *organizations.ListRootsInput, ...func(*organizations.Options)) (*organizations.ListRootsOutput, error) {
	defer f.enter()()
	return &organizations.ListRootsOutput{Roots: []types.Root{{Id: aws.String("r-1"), Name: aws.String("Root")}}}, nil
}
func (f *treeAPI) ListOrganizationalUnitsForParent(_ context.Context, in *organizations.ListOrganizationalUnitsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	defer f.enter()()
	kids := ouChildren(*in.ParentId)
	if len(kids) == 0 {
		return &organizations.ListOrganizationalUnitsForParentOutput{}, nil
	}
	id, next := pageOf(kids, in.NextToken)
	return &organizations.ListOrganizationalUnitsForParentOutput{OrganizationalUnits: []types.OrganizationalUnit{{Id: aws.String(id), Name: aws.String(strings.ToUpper(id[len(id)-1:]))}}, NextToken: next}, nil
}
func accountsUnder(parent string) []string { return []string{parent + "/acct1", parent + "/acct2"} }
func (f *treeAPI) ListAccountsForParent(_ context.Context, in *organizations.ListAccountsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	defer f.enter()()
	id, next := pageOf(accountsUnder(*in.ParentId), in.NextToken)
	return &organizations.ListAccountsForParentOutput{Accounts: []types.Account{{Id: aws.String(id)}}, NextToken: next}, nil
}
func (f *treeAPI) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	defer f.enter()()
	var all []string
	var add func(p string)
	add = func(p string) {
		all = append(all, accountsUnder(p)...)
		for _, c := range ouChildren(p) {
			add(c)
		}
	}
	add("r-1")
	id, next := pageOf(all, in.NextToken)
	return &organizations.ListAccountsOutput{Accounts: []types.Account{{Id: aws.String(id)}}, NextToken: next}, nil
}

// The tree is read in parallel, at most treeParallel calls at once beside
// the account list's, and comes out in the order of a depth-first walk
// whatever order the answers arrived in.
func TestOrganizationWalksTheTreeInParallelInAFixedOrder(t *testing.T) {
	want := "Root Root/C Root/C/Z Root/C/X Root/C/Y Root/A Root/A/Z Root/A/X Root/A/Y Root/B Root/B/Z Root/B/X Root/B/Y"
	for seed := range uint64(5) {
		api := &treeAPI{rnd: rand.New(rand.NewPCG(seed, 1))}
		org, err := Organization(context.Background(), api, "arn:aws:iam::100000000000:role/list")
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, ou := range org.OUs {
			paths = append(paths, ou.Path)
		}
		if got := strings.Join(paths, " "); got != want {
			t.Fatalf("seed %d: OUs\n%s\nwant\n%s", seed, got, want)
		}
		if len(org.Accounts) != 26 {
			t.Fatalf("seed %d: %d accounts, want 26", seed, len(org.Accounts))
		}
		for _, a := range org.Accounts {
			if p, _, _ := strings.Cut(a.ID, "/"); a.ParentID != p || a.OUPath == "" {
				t.Fatalf("account %s placed under %q (%q)", a.ID, a.ParentID, a.OUPath)
			}
		}
		if m := api.maxSeen.Load(); m < 3 || m > treeParallel+1 {
			t.Fatalf("seed %d: at most %d calls in flight, want parallel and at most %d", seed, m, treeParallel+1)
		}
	}
}

// describeAPI is treeAPI whose DescribeOrganization answers only once the
// roots and the account list have been asked for (or fails, with fail).
type describeAPI struct {
	*treeAPI
	fail           error
	roots, listing chan struct{}
	rootsOnce      sync.Once
	listingOnce    sync.Once
}

func (f *describeAPI) DescribeOrganization(ctx context.Context, in *organizations.DescribeOrganizationInput, o ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error) {
	for _, ch := range []chan struct{}{f.roots, f.listing} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			return nil, fmt.Errorf("the roots and the account list were not asked for while the organization was described")
		}
	}
	if f.fail != nil {
		return nil, f.fail
	}
	return f.treeAPI.DescribeOrganization(ctx, in, o...)
}
func (f *describeAPI) ListRoots(ctx context.Context, in *organizations.ListRootsInput, o ...func(*organizations.Options)) (*organizations.ListRootsOutput, error) {
	f.rootsOnce.Do(func() { close(f.roots) })
	return f.treeAPI.ListRoots(ctx, in, o...)
}
func (f *describeAPI) ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, o ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	f.listingOnce.Do(func() { close(f.listing) })
	if f.fail != nil {
		return nil, fmt.Errorf("AccessDenied")
	}
	return f.treeAPI.ListAccounts(ctx, in, o...)
}

// The organization is described while its roots and accounts are listed,
// and the description's failure is the one reported, not a list's.
func TestOrganizationDescribedWhileListed(t *testing.T) {
	api := &describeAPI{treeAPI: &treeAPI{rnd: rand.New(rand.NewPCG(1, 1))}, roots: make(chan struct{}), listing: make(chan struct{})}
	org, err := Organization(context.Background(), api, "arn:aws:iam::100000000000:role/list")
	if err != nil {
		t.Fatal(err)
	}
	if org.Organization.ID != "o-1" || len(org.Accounts) != 26 || org.Accounts[0].OrgID != "o-1" {
		t.Fatalf("org %+v with %d accounts", org.Organization, len(org.Accounts))
	}
	api = &describeAPI{treeAPI: &treeAPI{rnd: rand.New(rand.NewPCG(1, 1))}, roots: make(chan struct{}), listing: make(chan struct{}), fail: fmt.Errorf("AWSOrganizationsNotInUseException")}
	if _, err := Organization(context.Background(), api, "arn:aws:iam::100000000000:role/list"); err == nil ||
		!strings.Contains(err.Error(), "DescribeOrganization") || !strings.Contains(err.Error(), "AWSOrganizationsNotInUseException") {
		t.Fatalf("err = %v, want the description's failure", err)
	}
}
