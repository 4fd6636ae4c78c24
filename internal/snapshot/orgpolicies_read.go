package snapshot

import (
	"context"
	"errors"
	"sort"

	"github.com/orgiam/orgiam/internal/store"
)

// OrgPolicySet is what a run holds of one organization's policies and
// delegated administrators.
type OrgPolicySet struct {
	OrgID    string
	Policies []OrgPolicy
	Chains   []PolicyChain
	Admins   []DelegatedAdministrator
	// HasPolicies says policies.json and policy-chains.json are in the run:
	// Policies and Chains are then complete for every policy type enabled
	// on the root (empty: none). False for runs made before orgiam read
	// organization policies, or when the list role could not read them:
	// the policies are unknown, not absent.
	HasPolicies bool
	// HasAdmins says delegated-administrators.json is in the run.
	HasAdmins bool
}

// Policy returns a policy by id (nil if the set does not hold it).
func (s *OrgPolicySet) Policy(id string) *OrgPolicy {
	for i := range s.Policies {
		if s.Policies[i].ID == id {
			return &s.Policies[i]
		}
	}
	return nil
}

// Chain returns an account's chain of one policy type (false if none is
// stored: the type is disabled, or the account's place is unknown).
func (s *OrgPolicySet) Chain(accountID, policyType string) (PolicyChain, bool) {
	for _, c := range s.Chains {
		if c.AccountID == accountID && c.Type == policyType {
			return c, true
		}
	}
	return PolicyChain{}, false
}

// OrgIDs lists the organizations stored in the run, sorted.
func (r Reader) OrgIDs(ctx context.Context) ([]string, error) {
	ids, err := r.Store.ListDirs(ctx, store.OrgPrefix(r.Run))
	if err != nil {
		return nil, err
	}
	sort.Strings(ids)
	return ids, nil
}

// OrgPolicies reads organizations/<org-id>/policies.json,
// policy-chains.json and delegated-administrators.json. Files a run does
// not have (runs made before they existed, or data the list role could not
// read) leave their part empty with HasPolicies or HasAdmins false; that is
// not an error.
func (r Reader) OrgPolicies(ctx context.Context, orgID string) (OrgPolicySet, error) {
	s := OrgPolicySet{OrgID: orgID}
	pols, hasP, err := readOrgFile[OrgPolicy](ctx, r, orgID, store.OrgPoliciesFile)
	if err != nil {
		return s, err
	}
	chains, hasC, err := readOrgFile[PolicyChain](ctx, r, orgID, store.OrgPolicyChainsFile)
	if err != nil {
		return s, err
	}
	if hasP && hasC {
		s.Policies, s.Chains, s.HasPolicies = pols, chains, true
	}
	if s.Admins, s.HasAdmins, err = readOrgFile[DelegatedAdministrator](ctx, r, orgID, store.OrgDelegatedAdminsFile); err != nil {
		return s, err
	}
	return s, nil
}

// readOrgFile reads one of an organization's lists (ReadOrgList); found is
// false, with no error, when the run does not have the file.
func readOrgFile[T any](ctx context.Context, r Reader, orgID, file string) (items []T, found bool, err error) {
	items, err = ReadOrgList[T](ctx, r.Store, store.OrgKey(r.Run, orgID, file))
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	return items, err == nil, err
}
