package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/orgiam/orgiam/internal/collect"
	"github.com/orgiam/orgiam/internal/discover"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// DiscoverInput names the run.
type DiscoverInput struct {
	Run string `json:"run"`
}

// DiscoverOutput says where the account list is; the accounts themselves stay
// in the store.
type DiscoverOutput struct {
	Run         string   `json:"run"`
	Count       int      `json:"count"`
	Skipped     int      `json:"skipped"`
	Orgs        []string `json:"orgs"`
	AccountsKey string   `json:"accountsKey"`
	// Errors are organizations that could not be listed (the others go on),
	// and organization policies or delegated administrators that could not
	// be read (the accounts are listed all the same).
	Errors []string `json:"errors,omitempty"`
	// PolicyCalls is how many Organizations calls reading organization
	// policies and delegated administrators took, over every organization.
	PolicyCalls int64 `json:"policyCalls,omitempty"`
	// ItemsBucket and ItemsKey locate the account list in S3 (the
	// Distributed Map's ItemReader reads it); empty for other stores.
	ItemsBucket string `json:"itemsBucket,omitempty"`
	ItemsKey    string `json:"itemsKey,omitempty"`
}

// Discover lists the accounts of every configured organization (through each
// --org-role), applies the filters, and writes organizations/<id>/…,
// accounts.json and skipped.json. With no --org-role, the account of the
// current credentials is the only account.
func Discover(ctx context.Context, env *Env, in DiscoverInput) (DiscoverOutput, error) {
	env.init()
	out := DiscoverOutput{Run: in.Run, AccountsKey: store.AccountListKey(in.Run)}
	var orgs []*discover.Org
	policies := map[*discover.Org]*discover.Policies{}
	if len(env.Cfg.OrgRoles) == 0 {
		id := env.Auth.Identity.Account
		acct := snapshot.Account{ID: id, Status: "ACTIVE", Arn: ""}
		orgs = append(orgs, &discover.Org{Accounts: []snapshot.Account{acct}})
	} else {
		seen := map[string]string{}
		for _, role := range env.Cfg.OrgRoles {
			cfg := env.Auth.Assume(env.listParent, role, "")
			api := env.NewOrganizations(cfg)
			// Organization policies: what cannot be read is a run error
			// naming the organization and the operation; the accounts stay.
			org, pol, err := discover.OrganizationAndPolicies(ctx, api, role, 0)
			if err != nil {
				if ctx.Err() != nil {
					return out, ctx.Err()
				}
				msg := fmt.Sprintf("--org-role %s: %s", role, describe(err))
				env.logger().Error("organization not listed", "role", role, "error", describe(err))
				out.Errors = append(out.Errors, msg)
				continue
			}
			if prev, dup := seen[org.Organization.ID]; dup {
				env.logger().Warn("organization listed twice; keeping the first", "org", org.Organization.ID, "first", prev, "second", role)
				continue
			}
			seen[org.Organization.ID] = role
			orgs = append(orgs, org)
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			out.PolicyCalls += pol.Calls
			for _, w := range pol.Warnings {
				env.logger().Warn("organization policies not read", "org", org.Organization.ID, "role", role, "error", w)
				out.Errors = append(out.Errors, w)
			}
			policies[org] = pol
		}
		if len(orgs) == 0 {
			return out, fmt.Errorf("no organization could be listed: %s", strings.Join(out.Errors, "; "))
		}
	}
	scan, skipped, err := discover.Select(orgs, discover.Filter{Accounts: env.Cfg.Accounts, Exclude: env.Cfg.ExcludeAccounts, OUs: env.Cfg.OUs})
	if err != nil {
		return out, &UsageError{Err: err}
	}
	if len(scan) == 0 {
		// An empty run would be complete and become the latest: refuse it.
		return out, &UsageError{Err: fmt.Errorf("no account to scan: the organizations have %d account(s), and every one was left out (%s)", len(skipped), skipSummary(skipped))}
	}
	for _, org := range orgs {
		id := org.Organization.ID
		if id == "" {
			continue
		}
		out.Orgs = append(out.Orgs, id)
		rec := org.Organization
		rec.SchemaVersion = snapshot.SchemaVersion
		for file, v := range map[string]any{"organization.json": rec, "accounts.json": snapshot.NewOrgList(org.Accounts), "ous.json": snapshot.NewOrgList(org.OUs)} {
			if err := env.putJSON(ctx, store.OrgKey(in.Run, id, file), v); err != nil {
				return out, err
			}
		}
		if err := writeOrgPolicies(ctx, env, in.Run, id, policies[org]); err != nil {
			return out, err
		}
	}
	if scan == nil {
		scan = []snapshot.Account{}
	}
	if skipped == nil {
		skipped = []snapshot.Account{}
	}
	if err := env.putJSON(ctx, store.SkippedListKey(in.Run), skipped); err != nil {
		return out, err
	}
	if err := env.putJSON(ctx, store.AccountListKey(in.Run), scan); err != nil {
		return out, err
	}
	if len(out.Errors) > 0 {
		if err := env.putJSON(ctx, store.RunErrorsKey(in.Run), out.Errors); err != nil {
			return out, err
		}
	}
	sort.Strings(out.Orgs)
	out.Count, out.Skipped = len(scan), len(skipped)
	if s3, ok := env.Store.(*store.S3); ok {
		out.ItemsBucket = s3.Bucket()
		if out.ItemsKey, err = s3.ObjectKey(out.AccountsKey); err != nil {
			return out, err
		}
	}
	return out, nil
}

// writeOrgPolicies writes what was read of an organization's policies:
// policies.json and policy-chains.json together when complete, and
// delegated-administrators.json when complete. A file left out means "not
// known in this run" to its readers, an empty array "none".
func writeOrgPolicies(ctx context.Context, env *Env, run, orgID string, p *discover.Policies) error {
	if p == nil {
		return nil
	}
	if p.PoliciesRead {
		if err := env.putJSON(ctx, store.OrgKey(run, orgID, store.OrgPoliciesFile), snapshot.NewOrgList(p.Policies)); err != nil {
			return err
		}
		if err := env.putJSON(ctx, store.OrgKey(run, orgID, store.OrgPolicyChainsFile), snapshot.NewOrgList(p.Chains)); err != nil {
			return err
		}
	}
	if p.AdminsRead {
		if err := env.putJSON(ctx, store.OrgKey(run, orgID, store.OrgDelegatedAdminsFile), snapshot.NewOrgList(p.Admins)); err != nil {
			return err
		}
	}
	return nil
}

// skipSummary counts the reasons accounts were left out.
func skipSummary(skipped []snapshot.Account) string {
	if len(skipped) == 0 {
		return "no account found"
	}
	n := map[string]int{}
	var reasons []string
	for _, a := range skipped {
		if n[a.SkipReason] == 0 {
			reasons = append(reasons, a.SkipReason)
		}
		n[a.SkipReason]++
	}
	sort.Strings(reasons)
	parts := make([]string, 0, len(reasons))
	for _, r := range reasons {
		parts = append(parts, fmt.Sprintf("%d: %s", n[r], r))
	}
	return strings.Join(parts, "; ")
}

// UsageError is bad input found while running (exit code 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// describe is an error's text with AWS codes brought forward.
func describe(err error) string {
	var op *collect.OpError
	if errors.As(err, &op) {
		return op.Error()
	}
	return err.Error()
}
