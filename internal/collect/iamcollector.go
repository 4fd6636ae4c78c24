package collect

import (
	"context"
	"errors"
	"fmt"
	"sort"
)

// IAMCollector reads an account's IAM inventory: users, roles, groups,
// customer and attached AWS managed policies, instance profiles, SAML and
// OIDC providers, virtual MFA devices, the account summary, password policy
// and aliases, and access keys. Its independent calls run concurrently (at
// most Item.Parallel at once); access keys come last, listed only for the
// users the credential report shows with keys when the report is collected.
type IAMCollector struct{}

var _ Collector = IAMCollector{}
var _ Counter = IAMCollector{}

// Name is "iam".
func (IAMCollector) Name() string { return "iam" }

// Scope is ScopeAccount: IAM is global.
func (IAMCollector) Scope() Scope { return ScopeAccount }

// Actions are the IAM calls of the collector.
func (IAMCollector) Actions() []string {
	return []string{
		"iam:GetAccountAuthorizationDetails", "iam:GetAccountSummary", "iam:GetAccountPasswordPolicy",
		"iam:ListAccountAliases", "iam:ListSAMLProviders", "iam:GetSAMLProvider",
		"iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider", "iam:ListVirtualMFADevices",
		"iam:ListInstanceProfiles", "iam:ListAccessKeys",
	}
}

// CountNames are the entity counts of IAMData.Counts.
func (IAMCollector) CountNames() []string {
	var out []string
	for k := range (&IAMData{}).Counts() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// IAMDataSets are the names of the data sets the collector writes under
// service "iam", in the order it writes them.
func IAMDataSets() []string {
	return []string{"users", "roles", "groups", "policies", "instance-profiles", "saml-providers", "oidc-providers", "mfa-devices"}
}

// Collect reads the account's IAM data and writes it, also after a failure
// (what was read is kept).
func (IAMCollector) Collect(ctx context.Context, it *Item, w Writer) error {
	d := &IAMData{}
	err := collectIAM(ctx, it, d)
	if werr := writeIAMData(ctx, w, d); werr != nil {
		return werr
	}
	return err
}

// collectIAM runs AuthorizationDetails and the Independent steps side by
// side, and lists the access keys as soon as the users and the credential
// report are in, while the other steps go on: after all of them, the
// account waited for the longest other list (a provider's list, then one
// call per provider) before its keys' calls began. The first error cancels
// the rest and is returned; what was read stays in d.
func collectIAM(ctx context.Context, it *Item, d *IAMData) error {
	api := it.Clients.IAM()
	return Each(ctx, it.Parallel, 1+len(Independent), func(ctx context.Context, i int) error {
		if i > 0 {
			return Independent[i-1](ctx, api, it.Account, d)
		}
		if err := AuthorizationDetails(ctx, api, it.Account, d); err != nil {
			return err
		}
		// No Independent step writes the users.
		return accessKeys(ctx, it, api, d)
	})
}

// accessKeys lists the access keys of the users the credential report
// shows with one, or of every user when the report is not collected or
// cannot be read (a warning says so).
func accessKeys(ctx context.Context, it *Item, api IAMAPI, d *IAMData) error {
	var only map[string]bool // nil: every user
	if r := it.reportState(false); r != nil {
		res, err := it.credentialReport(ctx)
		switch {
		case err != nil && (ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)):
			// The account ran out of time waiting for its report: that is
			// the failure, not the key listing that would now fail at once
			// (the report is read with the account's context, whose end
			// reaches ctx an instant later).
			return err
		case err != nil:
			if len(d.Users) > 0 {
				it.Warn(fmt.Sprintf("credential report unavailable (%s): access keys listed for every user", describe(err)))
			}
		default:
			users, perr := UsersToList(res.CSV, d.Users)
			if perr != nil {
				it.Warn(fmt.Sprintf("credential report unreadable (%v): access keys listed for every user", perr))
			} else {
				only = users
			}
		}
	}
	return AccessKeysOf(ctx, api, it.Account, d, only, it.Parallel)
}

func writeIAMData(ctx context.Context, w Writer, d *IAMData) error {
	// An empty data set is stored as [], never null.
	sets := map[string]any{
		"users": orEmpty(d.Users), "roles": orEmpty(d.Roles), "groups": orEmpty(d.Groups),
		"policies": orEmpty(d.Policies), "instance-profiles": orEmpty(d.InstanceProfiles),
		"saml-providers": orEmpty(d.SAMLProviders), "oidc-providers": orEmpty(d.OIDCProviders),
		"mfa-devices": orEmpty(d.MFADevices),
	}
	for _, name := range IAMDataSets() {
		if err := w.DataSet(ctx, "iam", name, sets[name]); err != nil {
			return err
		}
	}
	for _, p := range d.AWSManaged {
		if err := w.AWSManagedPolicy(ctx, p); err != nil {
			return err
		}
	}
	w.Account(AccountFacts{Aliases: d.Aliases, Summary: d.Summary, PasswordPolicy: d.PasswordPolicy})
	w.Counts(d.Counts())
	return nil
}

// orEmpty is s, or an empty slice when s is nil.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// describe is an error's text for warnings: the AWS call's, when one failed.
func describe(err error) string {
	var op *OpError
	if errors.As(err, &op) {
		return op.Error()
	}
	return err.Error()
}
