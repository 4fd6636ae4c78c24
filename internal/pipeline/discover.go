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
// current credentials is the only account. An account is scanned when the
// OU tree or ListAccounts lists it (see discover.Listing.Wait).
func Discover(ctx context.Context, env *Env, in DiscoverInput) (DiscoverOutput, error) {
	d, err := startDiscover(ctx, env, in, false)
	if err != nil {
		return d.out, err
	}
	out, _, err := d.finish(ctx, env)
	return out, err
}

// discovery is a Discover begun: Scan are the accounts to scan now, found
// in the organizations' trees, while their account lists and policies are
// read on. finish completes it.
type discovery struct {
	in       DiscoverInput
	out      DiscoverOutput
	orgs     []*discover.Org
	listings map[*discover.Org]*discover.Listing
	roles    map[*discover.Org]string
	pols     map[*discover.Org]*discover.Policies
	Scan     []snapshot.Account
}

// startDiscover lists every organization's tree and selects the accounts
// to scan in it. Unless early is set, or --accounts names accounts (a name
// the tree lacks might be in the account list), it first waits for the
// account lists and policies too, so Scan is the whole scope.
func startDiscover(ctx context.Context, env *Env, in DiscoverInput, early bool) (*discovery, error) {
	env.init()
	d := &discovery{in: in, out: DiscoverOutput{Run: in.Run, AccountsKey: store.AccountListKey(in.Run)},
		listings: map[*discover.Org]*discover.Listing{}, roles: map[*discover.Org]string{}, pols: map[*discover.Org]*discover.Policies{}}
	if len(env.Cfg.OrgRoles) == 0 {
		id := env.Auth.Identity.Account
		acct := snapshot.Account{ID: id, Status: "ACTIVE", Arn: ""}
		d.orgs = append(d.orgs, &discover.Org{Accounts: []snapshot.Account{acct}})
	} else {
		seen := map[string]string{}
		for _, role := range env.Cfg.OrgRoles {
			cfg := env.Auth.Assume(env.listParent, role, "")
			api := env.NewOrganizations(cfg)
			l, err := discover.StartOrganizationAndPolicies(ctx, api, role, 0)
			if err != nil {
				if ctx.Err() != nil {
					d.stop()
					return d, ctx.Err()
				}
				msg := fmt.Sprintf("--org-role %s: %s", role, describe(err))
				env.logger().Error("organization not listed", "role", role, "error", describe(err))
				d.out.Errors = append(d.out.Errors, msg)
				continue
			}
			org := l.Org
			if prev, dup := seen[org.Organization.ID]; dup {
				l.Stop()
				env.logger().Warn("organization listed twice; keeping the first", "org", org.Organization.ID, "first", prev, "second", role)
				continue
			}
			seen[org.Organization.ID] = role
			d.orgs = append(d.orgs, org)
			d.listings[org], d.roles[org] = l, role
		}
		if len(d.orgs) == 0 {
			return d, fmt.Errorf("no organization could be listed: %s", strings.Join(d.out.Errors, "; "))
		}
	}
	if !early || len(env.Cfg.Accounts) > 0 {
		if err := d.wait(ctx, env); err != nil {
			return d, err
		}
	}
	scan, skipped, err := discover.Select(d.orgs, d.filter(env))
	if err == nil && len(scan) == 0 && d.pending() {
		// The account lists may hold accounts the trees did not.
		if err := d.wait(ctx, env); err != nil {
			return d, err
		}
		scan, skipped, err = discover.Select(d.orgs, d.filter(env))
	}
	if err != nil {
		d.stop()
		return d, &UsageError{Err: err}
	}
	if len(scan) == 0 {
		// An empty run would be complete and become the latest: refuse it.
		d.stop()
		return d, &UsageError{Err: fmt.Errorf("no account to scan: the organizations have %d account(s), and every one was left out (%s)", len(skipped), skipSummary(skipped))}
	}
	d.Scan = scan
	return d, nil
}

func (d *discovery) filter(env *Env) discover.Filter {
	return discover.Filter{Accounts: env.Cfg.Accounts, Exclude: env.Cfg.ExcludeAccounts, OUs: env.Cfg.OUs}
}

// pending is whether an organization's account list or policies were not
// waited for yet.
func (d *discovery) pending() bool {
	for _, l := range d.listings {
		if l != nil {
			return true
		}
	}
	return false
}

// stop cancels what is still being read.
func (d *discovery) stop() {
	for org, l := range d.listings {
		if l != nil {
			l.Stop()
			d.listings[org] = nil
		}
	}
}

// wait waits for every organization's account list and policies. An
// account list that could not be read is a run error naming the role
// (the tree's accounts are scanned); policies that could not be read are
// run errors too (the accounts are listed all the same).
func (d *discovery) wait(ctx context.Context, env *Env) error {
	for _, org := range d.orgs {
		l := d.listings[org]
		if l == nil {
			continue
		}
		d.listings[org] = nil
		role := d.roles[org]
		extra, err := l.Wait()
		if ctx.Err() != nil {
			d.stop()
			return ctx.Err()
		}
		if err != nil {
			env.logger().Error("account list not read; the accounts of the OU tree are scanned", "org", org.Organization.ID, "role", role, "error", describe(err))
			d.out.Errors = append(d.out.Errors, fmt.Sprintf("--org-role %s: %s (the accounts found in the OU tree are scanned)", role, describe(err)))
		}
		for _, a := range extra {
			env.logger().Warn("account listed by ListAccounts but not found in the OU tree (moved while it was read); it has no OU", "org", org.Organization.ID, "account", a.ID)
		}
		pol := l.Policies
		if pol == nil {
			continue
		}
		d.out.PolicyCalls += pol.Calls
		for _, w := range pol.Warnings {
			env.logger().Warn("organization policies not read", "org", org.Organization.ID, "role", role, "error", w)
			d.out.Errors = append(d.out.Errors, w)
		}
		d.pols[org] = pol
	}
	return nil
}

// finish waits for the account lists and policies, selects the whole
// scope again, and writes organizations/<id>/…, skipped.json,
// accounts.json and the run's errors. The scope is Scan and the accounts
// the account lists added (late, which Scan lacks); Scan's accounts stay
// in it whatever the lists said.
func (d *discovery) finish(ctx context.Context, env *Env) (out DiscoverOutput, late []snapshot.Account, err error) {
	if err := d.wait(ctx, env); err != nil {
		return d.out, nil, err
	}
	all, skippedAll, err := discover.Select(d.orgs, d.filter(env))
	if err != nil {
		return d.out, nil, &UsageError{Err: err}
	}
	scan := append([]snapshot.Account{}, d.Scan...)
	inScan := make(map[string]bool, len(scan))
	for _, a := range scan {
		inScan[a.ID] = true
	}
	for _, a := range all {
		if !inScan[a.ID] {
			inScan[a.ID] = true
			scan = append(scan, a)
			late = append(late, a)
		}
	}
	skipped := []snapshot.Account{}
	for _, a := range skippedAll {
		if !inScan[a.ID] {
			skipped = append(skipped, a)
		}
	}
	out = d.out
	run := d.in.Run
	for _, org := range d.orgs {
		id := org.Organization.ID
		if id == "" {
			continue
		}
		out.Orgs = append(out.Orgs, id)
		rec := org.Organization
		rec.SchemaVersion = snapshot.SchemaVersion
		for file, v := range map[string]any{"organization.json": rec, "accounts.json": snapshot.NewOrgList(org.Accounts), "ous.json": snapshot.NewOrgList(org.OUs)} {
			if err := env.putJSON(ctx, store.OrgKey(run, id, file), v); err != nil {
				return out, late, err
			}
		}
		if err := writeOrgPolicies(ctx, env, run, id, d.pols[org]); err != nil {
			return out, late, err
		}
	}
	if err := env.putJSON(ctx, store.SkippedListKey(run), skipped); err != nil {
		return out, late, err
	}
	if err := env.putJSON(ctx, store.AccountListKey(run), scan); err != nil {
		return out, late, err
	}
	if len(out.Errors) > 0 {
		if err := env.putJSON(ctx, store.RunErrorsKey(run), out.Errors); err != nil {
			return out, late, err
		}
	}
	sort.Strings(out.Orgs)
	out.Count, out.Skipped = len(scan), len(skipped)
	if s3, ok := env.Store.(*store.S3); ok {
		out.ItemsBucket = s3.Bucket()
		if out.ItemsKey, err = s3.ObjectKey(out.AccountsKey); err != nil {
			return out, late, err
		}
	}
	return out, late, nil
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
