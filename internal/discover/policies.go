package discover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// PolicyTypes are the organization policy types orgiam reads: they decide
// access (SCPs limit principals, RCPs limit resources).
var PolicyTypes = []string{snapshot.PolicyTypeSCP, snapshot.PolicyTypeRCP}

// DefaultPolicyParallel is how many of an organization's policy calls run
// at once (DescribePolicy and ListTargetsForPolicy of different policies,
// ListDelegatedServicesForAccount of different administrators).
const DefaultPolicyParallel = 8

// Policies is what the policy calls of one organization gave. A data set is
// complete or absent: PoliciesRead says Policies and Chains are complete for
// every policy type enabled on the root (a disabled type has none), and
// AdminsRead that Admins is complete. A data set that could not be read
// completely is left out, with a warning naming the organization and the
// operation.
type Policies struct {
	Policies     []snapshot.OrgPolicy
	Chains       []snapshot.PolicyChain
	Admins       []snapshot.DelegatedAdministrator
	PoliciesRead bool
	AdminsRead   bool
	Warnings     []string
	// Calls is how many Organizations calls were made (pages included).
	Calls int64
}

// enabledTypes are the PolicyTypes enabled on a root of ous.
func enabledTypes(ous []snapshot.OU) []string {
	var enabled []string
	for _, t := range PolicyTypes {
		if snapshot.PolicyTypeEnabled(ous, t) {
			enabled = append(enabled, t)
		}
	}
	return enabled
}

// readPolicies reads an organization's SCPs and RCPs (for the types
// enabled on its roots: ListPolicies, then one DescribePolicy and the
// targets of each policy) and its delegated administrators
// (ListDelegatedAdministrators, then the services of each); the chains,
// which need the OU tree and the accounts, are OrganizationAndPolicies'
// (Chains). Targets are read per policy, not policies per target: an
// organization has a handful of policies and thousands of accounts.
// Independent calls run up to parallel at once (0: DefaultPolicyParallel).
// It never fails: what it cannot read becomes a warning.
func readPolicies(ctx context.Context, api PolicyAPI, orgID string, enabled []string, parallel int) *Policies {
	if parallel <= 0 {
		parallel = DefaultPolicyParallel
	}
	r := &reader{api: api, orgID: orgID}
	out := &Policies{}

	// Phase 1: the lists, each type and the administrators at once.
	summaries := make([][]types.PolicySummary, len(enabled))
	var admins []types.DelegatedAdministrator
	var polErr, admErr error
	var mu sync.Mutex
	var g1 errgroup.Group
	for i, t := range enabled {
		g1.Go(func() error {
			s, err := r.listPolicies(ctx, t)
			mu.Lock()
			defer mu.Unlock()
			summaries[i] = s
			if err != nil && polErr == nil {
				polErr = err
			}
			return nil
		})
	}
	g1.Go(func() error {
		var err error
		admins, err = r.listAdmins(ctx)
		if err != nil {
			mu.Lock()
			admErr = err
			mu.Unlock()
		}
		return nil
	})
	_ = g1.Wait()

	// Phase 2: per policy its content and targets, per administrator its
	// services.
	var pols []snapshot.OrgPolicy
	if polErr == nil {
		for _, ss := range summaries {
			for _, s := range ss {
				pols = append(pols, snapshot.OrgPolicy{ID: aws.ToString(s.Id), Arn: aws.ToString(s.Arn), Name: aws.ToString(s.Name),
					Description: aws.ToString(s.Description), Type: string(s.Type), AwsManaged: s.AwsManaged, Targets: []snapshot.PolicyTarget{}})
			}
		}
	}
	var das []snapshot.DelegatedAdministrator
	if admErr == nil {
		for _, a := range admins {
			das = append(das, snapshot.DelegatedAdministrator{ID: aws.ToString(a.Id), Arn: aws.ToString(a.Arn), Name: aws.ToString(a.Name),
				Email: aws.ToString(a.Email), Status: string(a.Status), ServicePrincipals: []string{}})
		}
	}
	var g2 errgroup.Group
	g2.SetLimit(parallel)
	note := func(dst *error, err error) {
		mu.Lock()
		if *dst == nil {
			*dst = err
		}
		mu.Unlock()
	}
	for i := range pols {
		p := &pols[i]
		g2.Go(func() error {
			content, err := r.describe(ctx, p.ID)
			if err != nil {
				note(&polErr, err)
				return nil
			}
			p.Content = content
			return nil
		})
		g2.Go(func() error {
			ts, err := r.targets(ctx, p.ID)
			if err != nil {
				note(&polErr, err)
				return nil
			}
			p.Targets = ts
			return nil
		})
	}
	for i := range das {
		a := &das[i]
		g2.Go(func() error {
			sps, err := r.services(ctx, a.ID)
			if err != nil {
				note(&admErr, err)
				return nil
			}
			a.ServicePrincipals = sps
			return nil
		})
	}
	_ = g2.Wait()
	out.Calls = r.calls.Load()

	if polErr == nil {
		sort.Slice(pols, func(i, j int) bool { return pols[i].ID < pols[j].ID })
		if pols == nil {
			pols = []snapshot.OrgPolicy{}
		}
		out.Policies, out.PoliciesRead = pols, true
	} else {
		out.Warnings = append(out.Warnings, fmt.Sprintf("%v: the organization's SCPs and RCPs are not recorded in this run (the list-accounts role needs the actions of deploy/iam/list-accounts-role-policy.json)", polErr))
	}
	if admErr == nil {
		sort.Slice(das, func(i, j int) bool { return das[i].ID < das[j].ID })
		if das == nil {
			das = []snapshot.DelegatedAdministrator{}
		}
		out.Admins, out.AdminsRead = das, true
	} else {
		out.Warnings = append(out.Warnings, fmt.Sprintf("%v: the organization's delegated administrators are not recorded in this run", admErr))
	}
	return out
}

// Chains builds, for every account of org and every policy type in types,
// the levels from the root down to the account with the ids of the
// policies attached at each. An account whose parent is unknown has no
// chain.
func Chains(org *Org, pols []snapshot.OrgPolicy, policyTypes []string) []snapshot.PolicyChain {
	ous := make(map[string]snapshot.OU, len(org.OUs))
	for _, u := range org.OUs {
		ous[u.ID] = u
	}
	// attached[type][target] = policy ids
	attached := map[string]map[string][]string{}
	for _, p := range pols {
		m := attached[p.Type]
		if m == nil {
			m = map[string][]string{}
			attached[p.Type] = m
		}
		for _, t := range p.Targets {
			m[t.TargetID] = append(m[t.TargetID], p.ID)
		}
	}
	for _, m := range attached {
		for _, ids := range m {
			slices.Sort(ids)
		}
	}
	// The OU path of each parent, root first, computed once per parent.
	paths := map[string][]snapshot.OU{}
	pathOf := func(parent string) []snapshot.OU {
		if p, ok := paths[parent]; ok {
			return p
		}
		var rev []snapshot.OU
		for cur, n := parent, 0; cur != "" && n <= 10; n++ {
			u, ok := ous[cur]
			if !ok {
				rev = nil
				break
			}
			rev = append(rev, u)
			cur = u.ParentID
		}
		slices.Reverse(rev)
		paths[parent] = rev
		return rev
	}
	var out []snapshot.PolicyChain
	for _, a := range org.Accounts {
		path := pathOf(a.ParentID)
		if len(path) == 0 || path[0].Type != "ROOT" {
			continue
		}
		for _, t := range policyTypes {
			m := attached[t]
			levels := make([]snapshot.PolicyLevel, 0, len(path)+1)
			for _, u := range path {
				levels = append(levels, snapshot.PolicyLevel{TargetID: u.ID, Type: u.Type, Name: u.Name, Policies: nonNil(m[u.ID])})
			}
			levels = append(levels, snapshot.PolicyLevel{TargetID: a.ID, Type: "ACCOUNT", Name: a.Name, Policies: nonNil(m[a.ID])})
			out = append(out, snapshot.PolicyChain{AccountID: a.ID, Type: t, Levels: levels})
		}
	}
	if out == nil {
		out = []snapshot.PolicyChain{}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// reader makes one organization's policy calls, counting them and naming
// the organization and the operation in errors.
type reader struct {
	api   PolicyAPI
	orgID string
	calls atomic.Int64
}

func (r *reader) fail(op, what string, err error) error {
	if what != "" {
		what = " " + what
	}
	return fmt.Errorf("organization %s: organizations:%s%s: %s", r.orgID, op, what, apiError(err))
}

// apiError is an AWS error as its code and message, without the SDK's
// request details.
func apiError(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

func (r *reader) listPolicies(ctx context.Context, typ string) ([]types.PolicySummary, error) {
	var out []types.PolicySummary
	var tok *string
	for {
		r.calls.Add(1)
		res, err := r.api.ListPolicies(ctx, &organizations.ListPoliciesInput{Filter: types.PolicyType(typ), NextToken: tok})
		if err != nil {
			return nil, r.fail("ListPolicies", typ, err)
		}
		out = append(out, res.Policies...)
		if tok = res.NextToken; tok == nil {
			return out, nil
		}
	}
}

func (r *reader) describe(ctx context.Context, id string) (json.RawMessage, error) {
	r.calls.Add(1)
	res, err := r.api.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
	if err != nil {
		return nil, r.fail("DescribePolicy", id, err)
	}
	if res.Policy == nil {
		return nil, r.fail("DescribePolicy", id, errors.New("no policy in the answer"))
	}
	c := strings.TrimSpace(aws.ToString(res.Policy.Content))
	if !json.Valid([]byte(c)) || !strings.HasPrefix(c, "{") {
		return nil, r.fail("DescribePolicy", id, errors.New("the policy's Content is not a JSON object"))
	}
	return json.RawMessage(c), nil
}

func (r *reader) targets(ctx context.Context, id string) ([]snapshot.PolicyTarget, error) {
	out := []snapshot.PolicyTarget{}
	var tok *string
	for {
		r.calls.Add(1)
		res, err := r.api.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String(id), NextToken: tok})
		if err != nil {
			return nil, r.fail("ListTargetsForPolicy", id, err)
		}
		for _, t := range res.Targets {
			out = append(out, snapshot.PolicyTarget{TargetID: aws.ToString(t.TargetId), Arn: aws.ToString(t.Arn), Name: aws.ToString(t.Name), Type: string(t.Type)})
		}
		if tok = res.NextToken; tok == nil {
			sort.Slice(out, func(i, j int) bool { return out[i].TargetID < out[j].TargetID })
			return out, nil
		}
	}
}

func (r *reader) listAdmins(ctx context.Context) ([]types.DelegatedAdministrator, error) {
	var out []types.DelegatedAdministrator
	var tok *string
	for {
		r.calls.Add(1)
		res, err := r.api.ListDelegatedAdministrators(ctx, &organizations.ListDelegatedAdministratorsInput{NextToken: tok})
		if err != nil {
			return nil, r.fail("ListDelegatedAdministrators", "", err)
		}
		out = append(out, res.DelegatedAdministrators...)
		if tok = res.NextToken; tok == nil {
			return out, nil
		}
	}
}

func (r *reader) services(ctx context.Context, account string) ([]string, error) {
	out := []string{}
	var tok *string
	for {
		r.calls.Add(1)
		res, err := r.api.ListDelegatedServicesForAccount(ctx, &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(account), NextToken: tok})
		if err != nil {
			return nil, r.fail("ListDelegatedServicesForAccount", account, err)
		}
		for _, s := range res.DelegatedServices {
			out = append(out, aws.ToString(s.ServicePrincipal))
		}
		if tok = res.NextToken; tok == nil {
			slices.Sort(out)
			return out, nil
		}
	}
}
