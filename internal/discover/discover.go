// Package discover lists the accounts of one or more AWS Organizations, with
// their place in the OU tree, and applies orgiam's account filters; it also
// reads each organization's SCPs, RCPs and delegated administrators and
// builds every account's policy chains (policies.go).
package discover

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"golang.org/x/sync/errgroup"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// OrgAPI is the part of the Organizations client discovery uses.
type OrgAPI interface {
	DescribeOrganization(context.Context, *organizations.DescribeOrganizationInput, ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
	ListRoots(context.Context, *organizations.ListRootsInput, ...func(*organizations.Options)) (*organizations.ListRootsOutput, error)
	ListOrganizationalUnitsForParent(context.Context, *organizations.ListOrganizationalUnitsForParentInput, ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
	ListAccountsForParent(context.Context, *organizations.ListAccountsForParentInput, ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
	ListAccounts(context.Context, *organizations.ListAccountsInput, ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	PolicyAPI
}

// PolicyAPI is the part of the Organizations client that reads organization
// policies and delegated administrators (policies.go).
type PolicyAPI interface {
	ListPolicies(context.Context, *organizations.ListPoliciesInput, ...func(*organizations.Options)) (*organizations.ListPoliciesOutput, error)
	DescribePolicy(context.Context, *organizations.DescribePolicyInput, ...func(*organizations.Options)) (*organizations.DescribePolicyOutput, error)
	ListTargetsForPolicy(context.Context, *organizations.ListTargetsForPolicyInput, ...func(*organizations.Options)) (*organizations.ListTargetsForPolicyOutput, error)
	ListDelegatedAdministrators(context.Context, *organizations.ListDelegatedAdministratorsInput, ...func(*organizations.Options)) (*organizations.ListDelegatedAdministratorsOutput, error)
	ListDelegatedServicesForAccount(context.Context, *organizations.ListDelegatedServicesForAccountInput, ...func(*organizations.Options)) (*organizations.ListDelegatedServicesForAccountOutput, error)
}

// Org is one organization as discovered.
type Org struct {
	Organization snapshot.Organization
	OUs          []snapshot.OU
	Accounts     []snapshot.Account // every account, with OU path and status
}

// Organization lists one organization: its description, the OU tree (walked
// from every root, nested OUs included) and every account (paginated
// ListAccounts, placed in the tree with ListAccountsForParent).
func Organization(ctx context.Context, api OrgAPI, listRoleARN string) (*Org, error) {
	l, err := start(ctx, api, listRoleARN, nil)
	if err != nil {
		return nil, err
	}
	if _, err := l.Wait(); err != nil {
		return nil, err
	}
	return l.Org, nil
}

// OrganizationAndPolicies is Organization and its policies (readPolicies)
// at once (StartOrganizationAndPolicies, then Wait). The policies are nil
// when the organization is.
func OrganizationAndPolicies(ctx context.Context, api OrgAPI, listRoleARN string, parallel int) (*Org, *Policies, error) {
	l, err := StartOrganizationAndPolicies(ctx, api, listRoleARN, parallel)
	if err != nil {
		return nil, nil, err
	}
	if _, err := l.Wait(); err != nil {
		return nil, nil, err
	}
	return l.Org, l.Policies, nil
}

// StartOrganizationAndPolicies lists the organization's tree and returns
// once it is walked, with Org holding every account found in it; the
// account list (ListAccounts) and the policies are read on, and Wait gives
// them. The policy calls run while the tree and the account list are read
// (they need only the policy types enabled on the roots), and the chains
// are built when all are in. Their pages follow one another in each list,
// so side by side they take the time of the longest list rather than of
// the sum (a policy attached to every account has as many pages of targets
// as the account list); and a scan that starts with the tree's accounts
// waits for neither (the tree's own pages are read in parallel, a parent's
// at a time).
func StartOrganizationAndPolicies(ctx context.Context, api OrgAPI, listRoleARN string, parallel int) (*Listing, error) {
	var (
		pol     *Policies
		enabled []string
	)
	l, err := start(ctx, api, listRoleARN, func(gctx context.Context, orgID string, roots []snapshot.OU) {
		enabled = enabledTypes(roots)
		pol = readPolicies(gctx, api, orgID, enabled, parallel)
	})
	if err != nil {
		return nil, err
	}
	l.finish = func() {
		if pol.PoliciesRead {
			pol.Chains = Chains(l.Org, pol.Policies, enabled)
		}
		l.Policies = pol
	}
	return l, nil
}

// Listing is an organization whose OU tree is walked while the rest of it
// is still being read.
type Listing struct {
	// Org is the organization with the accounts found in its tree; Wait
	// adds those only ListAccounts listed.
	Org *Org
	// Policies are set by Wait (StartOrganizationAndPolicies only).
	Policies *Policies

	done     chan struct{} // the account list and the policies are in
	accounts []types.Account
	listErr  error
	cancel   context.CancelFunc
	parentOf map[string]string
	ouByID   map[string]snapshot.OU
	finish   func()
	waited   bool
	extra    []snapshot.Account
}

// Wait waits for the account list and the policies. It returns the
// accounts ListAccounts listed that the tree walk did not find (an account
// moved between two OUs while they were walked; it has no place in the
// tree), which it also adds to Org; the tree's accounts that ListAccounts
// did not list (removed while it was read) stay. Its error is the account
// list's: Org is then the tree's accounts alone. Wait may be called more
// than once; it is not safe for concurrent use.
func (l *Listing) Wait() ([]snapshot.Account, error) {
	<-l.done
	if l.waited {
		return l.extra, l.listErr
	}
	l.waited = true
	l.cancel()
	if l.listErr == nil {
		seen := make(map[string]bool, len(l.Org.Accounts))
		for _, a := range l.Org.Accounts {
			seen[a.ID] = true
		}
		for _, a := range l.accounts {
			if id := aws.ToString(a.Id); !seen[id] {
				seen[id] = true
				l.extra = append(l.extra, fromAPI(a, l.Org.Organization.ID, l.Org.Organization.MasterAccountID, l.parentOf, l.ouByID))
			}
		}
		if len(l.extra) > 0 {
			l.Org.Accounts = append(l.Org.Accounts, l.extra...)
			sort.Slice(l.Org.Accounts, func(i, j int) bool { return l.Org.Accounts[i].ID < l.Org.Accounts[j].ID })
		}
	}
	if l.finish != nil {
		l.finish()
	}
	return l.extra, l.listErr
}

// Stop cancels what is still being read and waits for it to end; Wait
// then gives the cancellation as the account list's error.
func (l *Listing) Stop() {
	l.cancel()
	<-l.done
}

// start lists the organization's tree and returns once it is walked (or
// failed); the account list, and alongside when set (on its own goroutine,
// once the roots are listed), go on until Wait. A failure of the
// description or the tree cancels them.
func start(ctx context.Context, api OrgAPI, listRoleARN string, alongside func(ctx context.Context, orgID string, roots []snapshot.OU)) (*Listing, error) {
	// The description, the roots and the account list are asked for at
	// once, and the OU tree is walked as soon as the roots and the
	// organization's id are in: the account list's pages follow one
	// another, and so would the tree's calls, one parent after another;
	// together, and each after the description, they were most of a small
	// organization's discovery. Messages name the organization, so a list
	// that fails waits for the description to say which.
	var (
		desc    *organizations.DescribeOrganizationOutput
		descErr error
		roots   []snapshot.OU
		kids    map[string]children
	)
	bctx, cancel := context.WithCancel(ctx) // the account list's and alongside's
	l := &Listing{done: make(chan struct{}), cancel: cancel}
	described := make(chan struct{})
	orgID := func() string {
		<-described
		if descErr != nil {
			return ""
		}
		return aws.ToString(desc.Organization.Id)
	}
	var background sync.WaitGroup
	background.Add(1)
	go func() {
		defer background.Done()
		var tok *string
		for {
			out, err := api.ListAccounts(bctx, &organizations.ListAccountsInput{NextToken: tok})
			if err != nil {
				l.listErr = fmt.Errorf("organization %s: organizations:ListAccounts: %w", orgID(), err)
				return
			}
			l.accounts = append(l.accounts, out.Accounts...)
			if tok = out.NextToken; tok == nil {
				return
			}
		}
	}()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(described)
		desc, descErr = api.DescribeOrganization(gctx, &organizations.DescribeOrganizationInput{})
		if descErr == nil && desc.Organization == nil {
			descErr = fmt.Errorf("the answer has no organization")
		}
		if descErr != nil {
			descErr = fmt.Errorf("organizations:DescribeOrganization: %w", descErr)
		}
		return descErr
	})
	g.Go(func() error {
		var tok *string
		for {
			out, err := api.ListRoots(gctx, &organizations.ListRootsInput{NextToken: tok})
			if err != nil {
				return fmt.Errorf("organization %s: organizations:ListRoots: %w", orgID(), err)
			}
			for _, r := range out.Roots {
				root := snapshot.OU{ID: aws.ToString(r.Id), Arn: aws.ToString(r.Arn), Name: aws.ToString(r.Name), Type: "ROOT", Path: aws.ToString(r.Name)}
				for _, pt := range r.PolicyTypes {
					root.PolicyTypes = append(root.PolicyTypes, snapshot.PolicyTypeSummary{Type: string(pt.Type), Status: string(pt.Status)})
				}
				if root.Path == "" {
					root.Path = "Root"
				}
				roots = append(roots, root)
			}
			if tok = out.NextToken; tok == nil {
				break
			}
		}
		id := orgID()
		if descErr != nil {
			return nil // the description's error is the group's
		}
		if alongside != nil {
			background.Add(1)
			go func() {
				defer background.Done()
				alongside(bctx, id, roots)
			}()
		}
		var err error
		kids, err = walkTree(gctx, api, id, roots)
		return err
	})
	err := g.Wait()
	if descErr != nil {
		// What the organization's description said comes first: the
		// lists' failures (often their cancellation) follow from it.
		err = descErr
	}
	if err != nil {
		cancel()
		background.Wait()
		return nil, err
	}
	go func() {
		background.Wait()
		close(l.done)
	}()
	o := desc.Organization
	org := &Org{Organization: snapshot.Organization{
		ID: aws.ToString(o.Id), Arn: aws.ToString(o.Arn),
		MasterAccountID: aws.ToString(o.MasterAccountId), MasterAccountArn: aws.ToString(o.MasterAccountArn),
		MasterAccountEmail: aws.ToString(o.MasterAccountEmail), FeatureSet: string(o.FeatureSet),
		ListRoleArn: listRoleARN,
	}}
	l.Org = org

	// The tree in the order a depth-first walk from each root lists it
	// (each parent's OUs in the order the API gave them), whatever order
	// the parallel calls answered in. An account found under two parents
	// (moved while they were walked) is placed under the first.
	l.parentOf = map[string]string{} // account id -> parent id
	l.ouByID = map[string]snapshot.OU{}
	var found []types.Account
	var place func(ou snapshot.OU)
	place = func(ou snapshot.OU) {
		l.ouByID[ou.ID] = ou
		org.OUs = append(org.OUs, ou)
		k := kids[ou.ID]
		for _, a := range k.accounts {
			if _, dup := l.parentOf[aws.ToString(a.Id)]; !dup {
				l.parentOf[aws.ToString(a.Id)] = ou.ID
				found = append(found, a)
			}
		}
		for _, c := range k.ous {
			place(c)
		}
	}
	for _, r := range roots {
		place(r)
	}
	for _, a := range found {
		org.Accounts = append(org.Accounts, fromAPI(a, org.Organization.ID, org.Organization.MasterAccountID, l.parentOf, l.ouByID))
	}
	sort.Slice(org.Accounts, func(i, j int) bool { return org.Accounts[i].ID < org.Accounts[j].ID })
	return l, nil
}

// children are the direct children of one root or OU.
type children struct {
	ous      []snapshot.OU   // in the API's order, Path and ParentID set
	accounts []types.Account // in the API's order
}

// treeParallel bounds the Organizations calls of the tree walk in flight at
// once. Organizations' own quotas are low (a few calls a second per
// account, bursts above), and the rate controller paces past them; eight is
// enough to overlap the latency of a wide tree level.
const treeParallel = 8

// walkTree lists the children of every root and OU, level by level, the
// parents of one level (and the two lists of each parent) read in parallel
// (at most treeParallel calls at once). It returns the children of each
// parent by parent id.
func walkTree(ctx context.Context, api OrgAPI, orgID string, roots []snapshot.OU) (map[string]children, error) {
	out := map[string]children{}
	level := roots
	for len(level) > 0 {
		got := make([]children, len(level))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(treeParallel)
		for i, parent := range level {
			g.Go(func() error {
				var tok *string
				for {
					page, err := api.ListAccountsForParent(gctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent.ID), NextToken: tok})
					if err != nil {
						return fmt.Errorf("organization %s: organizations:ListAccountsForParent %s: %w", orgID, parent.ID, err)
					}
					got[i].accounts = append(got[i].accounts, page.Accounts...)
					if tok = page.NextToken; tok == nil {
						return nil
					}
				}
			})
			g.Go(func() error {
				var tok *string
				var ous []snapshot.OU
				for {
					page, err := api.ListOrganizationalUnitsForParent(gctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent.ID), NextToken: tok})
					if err != nil {
						return fmt.Errorf("organization %s: organizations:ListOrganizationalUnitsForParent %s: %w", orgID, parent.ID, err)
					}
					for _, u := range page.OrganizationalUnits {
						ous = append(ous, snapshot.OU{ID: aws.ToString(u.Id), Arn: aws.ToString(u.Arn), Name: aws.ToString(u.Name), Type: "ORGANIZATIONAL_UNIT", ParentID: parent.ID, Path: parent.Path + "/" + aws.ToString(u.Name)})
					}
					if tok = page.NextToken; tok == nil {
						break
					}
				}
				// The two goroutines of one parent write different fields.
				got[i].ous = ous
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		var next []snapshot.OU
		for i, parent := range level {
			out[parent.ID] = got[i]
			next = append(next, got[i].ous...)
		}
		level = next
	}
	return out, nil
}

func fromAPI(a types.Account, orgID, mgmt string, parentOf map[string]string, ous map[string]snapshot.OU) snapshot.Account {
	acc := snapshot.Account{
		ID: aws.ToString(a.Id), Arn: aws.ToString(a.Arn), Name: aws.ToString(a.Name), Email: aws.ToString(a.Email),
		Status: string(a.Status), State: string(a.State), JoinedMethod: string(a.JoinedMethod), JoinedTimestamp: a.JoinedTimestamp,
		OrgID: orgID,
	}
	if acc.Status == "" && acc.State != "" {
		acc.Status = acc.State
	}
	acc.Management = acc.ID == mgmt
	if p, ok := parentOf[acc.ID]; ok {
		acc.ParentID = p
		acc.OUPath = ous[p].Path
	}
	return acc
}

// Filter selects accounts to scan.
type Filter struct {
	Accounts []string // only these (empty = all)
	Exclude  []string
	OUs      []string // only under these OUs or roots, nested included (empty = all)
}

// Select applies the filters to every organization's accounts: accounts
// SUSPENDED or PENDING_CLOSURE (status or state) are skipped, an account seen
// in an earlier organization is skipped as a duplicate, and the filters give
// the rest. Skipped accounts carry their reason. It is an error for --accounts
// to name an account no organization has.
func Select(orgs []*Org, f Filter) (scan, skipped []snapshot.Account, err error) {
	want := set(f.Accounts)
	excl := set(f.Exclude)
	ouSet := set(f.OUs)
	seen := map[string]bool{}
	for _, org := range orgs {
		parents := map[string]string{}
		for _, ou := range org.OUs {
			parents[ou.ID] = ou.ParentID
		}
		under := func(parent string) bool {
			for p := parent; p != ""; p = parents[p] {
				if ouSet[p] {
					return true
				}
			}
			return false
		}
		for _, a := range org.Accounts {
			reason := ""
			st := strings.ToUpper(a.Status)
			switch {
			case seen[a.ID]:
				reason = "duplicate: already listed by an earlier organization"
			case st == "SUSPENDED" || st == "PENDING_CLOSURE" || a.State == "SUSPENDED" || a.State == "PENDING_CLOSURE" || a.State == "CLOSED":
				reason = "account is " + a.Status
			case len(want) > 0 && !want[a.ID]:
				reason = "not in --accounts"
			case excl[a.ID]:
				reason = "in --exclude-accounts"
			case len(ouSet) > 0 && !under(a.ParentID):
				reason = "not under --ous"
			}
			if reason != "" {
				if !seen[a.ID] {
					a.SkipReason = reason
					skipped = append(skipped, a)
				}
				seen[a.ID] = true
				continue
			}
			seen[a.ID] = true
			scan = append(scan, a)
		}
	}
	var missing []string
	for id := range want {
		if !seen[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, nil, fmt.Errorf("--accounts: %s not found in any organization listed", strings.Join(missing, ", "))
	}
	var missingOU []string
	for ou := range ouSet {
		found := false
		for _, org := range orgs {
			for _, o := range org.OUs {
				if o.ID == ou {
					found = true
				}
			}
		}
		if !found {
			missingOU = append(missingOU, ou)
		}
	}
	if len(missingOU) > 0 {
		sort.Strings(missingOU)
		return nil, nil, fmt.Errorf("--ous: %s not found in any organization listed", strings.Join(missingOU, ", "))
	}
	return scan, skipped, nil
}

func set(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}
