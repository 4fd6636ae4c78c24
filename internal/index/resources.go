package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/orgiam/orgiam/internal/exposure"
	"github.com/orgiam/orgiam/internal/policy"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// readResources reads an account's resources.json and region scans into d,
// noting the files that cannot be read.
func readResources(ctx context.Context, r snapshot.Reader, d *accountFiles, note func(string, error) error) error {
	id := d.a.ID
	ar, err := r.AccountResources(ctx, id)
	if err := note("resources.json", err); err != nil {
		return err
	}
	d.resources = ar
	scans, bad, err := r.RegionScans(ctx, id)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d.problems = append(d.problems, "regions/: "+err.Error())
		return nil
	}
	keys := make([]string, 0, len(bad))
	for k := range bad {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	prefix := store.AccountPrefix(r.Run, id)
	for _, k := range keys {
		d.problems = append(d.problems, strings.TrimPrefix(k, prefix)+": "+bad[k].Error())
	}
	d.regions = scans
	return nil
}

// addResourceData adds the account's region scans, warnings and resources
// with their statements, conditions and grants. A resource policy that
// cannot be analysed keeps the resource's row (exposure 'error') and is
// noted in d.problems: the account's other data stays.
func addResourceData(b *batch, d *accountFiles, orgs *orgInfo) {
	id := d.a.ID
	acc := txt(id)
	org := exposure.Org{Accounts: orgs.members, IDs: orgs.ids}
	var accountBlock *exposure.BlockPublicAccess
	if ar := d.resources; ar != nil {
		if bp := ar.S3BlockPublicAccess; bp != nil {
			b.add(tS3AccountBlock, acc, b2i(bp.BlockPublicAcls), b2i(bp.IgnorePublicAcls), b2i(bp.BlockPublicPolicy), b2i(bp.RestrictPublicBuckets))
			accountBlock = toBlock(bp)
		}
		for _, w := range ar.Warnings {
			addWarning(b, acc, w, "")
		}
		for i := range ar.Resources {
			addResource(b, d, &ar.Resources[i], "", accountBlock, org)
		}
	}
	for i := range d.regions {
		s := &d.regions[i]
		region := s.Region
		b.add(tRegionScans, acc, txt(region), txt(s.Status), nz(s.Reason), ts(&s.CollectedAt), num(s.APICalls), num(s.DurationMS),
			nz(strings.Join(s.Collectors, ",")), num(int64(len(s.Warnings))))
		for _, w := range s.Warnings {
			addWarning(b, acc, w, region)
		}
		for j := range s.Resources {
			addResource(b, d, &s.Resources[j], region, accountBlock, org)
		}
	}
}

func addWarning(b *batch, acc V, w snapshot.CollectorWarning, region string) {
	if w.Region != "" {
		region = w.Region
	}
	b.add(tCollectorWarnings, acc, nz(region), txt(w.Collector), nz(w.Operation), nz(w.Code), nz(w.Resource), nz(w.Message))
}

func toBlock(bp *snapshot.BlockPublicAccess) *exposure.BlockPublicAccess {
	if bp == nil {
		return nil
	}
	return &exposure.BlockPublicAccess{BlockPublicAcls: bp.BlockPublicAcls, IgnorePublicAcls: bp.IgnorePublicAcls,
		BlockPublicPolicy: bp.BlockPublicPolicy, RestrictPublicBuckets: bp.RestrictPublicBuckets}
}

// addResource adds one resource's rows. region is the scan's region, used
// when the resource does not name its own.
func addResource(b *batch, d *accountFiles, res *snapshot.Resource, region string, accountBlock *exposure.BlockPublicAccess, org exposure.Org) {
	owner := res.Account
	if owner == "" {
		owner = d.a.ID
	}
	if res.Region != "" {
		region = res.Region
	}
	acc, arn, svc, reg := txt(d.a.ID), txt(res.ARN), txt(res.Service), nz(region)
	pdoc := doc(res.Policy)
	in := exposure.Resource{Service: res.Service, ARN: res.ARN, Account: owner, Policy: res.Policy, BucketBlock: toBlock(res.BlockPublicAccess)}
	if res.Service == "s3" {
		in.AccountBlock = accountBlock
	}
	acl := make([]string, 0, len(res.PublicGrants))
	for _, g := range res.PublicGrants {
		in.ACLGrants = append(in.ACLGrants, exposure.ACLGrant{Grantee: g.Grantee, Permission: g.Permission})
		acl = append(acl, g.Grantee+":"+g.Permission)
	}
	bpa := [4]V{null, null, null, null}
	if bp := res.BlockPublicAccess; bp != nil {
		bpa = [4]V{b2i(bp.BlockPublicAcls), b2i(bp.IgnorePublicAcls), b2i(bp.BlockPublicPolicy), b2i(bp.RestrictPublicBuckets)}
	}
	attrs := null
	if len(res.Attributes) > 0 {
		if j, err := json.Marshal(res.Attributes); err == nil { // map keys are sorted: stable
			attrs = txt(string(j))
		}
	}
	result, err := exposure.Analyze(in, org)
	var pd policy.Document
	if err == nil {
		pd, err = policy.Parse(res.Policy)
	}
	exp, cond, public, aerr := null, false, false, null
	if err != nil {
		exp, aerr = txt("error"), txt(err.Error())
		d.problems = append(d.problems, fmt.Sprintf("resource %s: policy: %v", res.ARN, err))
	} else {
		exp, cond, public = nz(string(result.Exposure)), result.Conditional, result.PublicPolicy
	}
	b.add(tResources, arn, acc, reg, svc, nz(res.Type), nz(res.Name), b2i(pdoc.K != null.K), bpa[0], bpa[1], bpa[2], bpa[3],
		nz(strings.Join(acl, ",")), exp, b2i(cond), b2i(public), aerr, pdoc, attrs)
	if err != nil {
		return
	}
	addStatementsTo(b, tResourceStatements, res.ARN, res.Service, acc, pd)
	for i, s := range pd.Statement {
		addConditions(b, arn, acc, i, s.Condition)
	}
	for _, g := range result.Grants {
		cs := make([]string, len(g.Conditions))
		for i, c := range g.Conditions {
			cs[i] = c.String()
		}
		denied := null
		if g.DeniedBy >= 0 {
			denied = num(int64(g.DeniedBy))
		}
		b.add(tResourceGrants, arn, acc, reg, svc, num(int64(g.Statement)), nz(g.Sid), txt(g.PrincipalType), txt(g.PrincipalValue),
			b2i(g.NotPrincipal), nz(g.Account), txt(string(g.Class)), b2i(g.Conditional), nz(strings.Join(cs, " & ")),
			nz(strings.Join(g.Actions, ",")), b2i(g.NotAction), denied, nz(g.BlockedBy))
	}
}

// addConditions adds one row per operator × key × value of a statement's
// Condition (in sorted order, so that rebuilds are identical).
func addConditions(b *batch, arn, acc V, stmt int, raw json.RawMessage) {
	if len(strings.TrimSpace(string(raw))) == 0 {
		return
	}
	var m map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return // the analysis already refused it
	}
	ops := make([]string, 0, len(m))
	for op := range m {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		keys := make([]string, 0, len(m[op]))
		for k := range m[op] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var vals []any
			rawv := m[op][k]
			if err := json.Unmarshal(rawv, &vals); err != nil {
				var v any
				json.Unmarshal(rawv, &v)
				vals = []any{v}
			}
			for _, v := range vals {
				s, ok := v.(string)
				if !ok {
					j, _ := json.Marshal(v)
					s = string(j)
				}
				b.add(tResourceConditions, arn, acc, num(int64(stmt)), txt(op), txt(k), txt(s))
			}
		}
	}
}

// chainsPerBatch is how many policy chains are added before the rows are
// written: policy-chains.json holds two per account of the organization.
const chainsPerBatch = 1024

// writeOrgPolicies adds an organization's SCPs and RCPs with their targets
// and statements, its delegated administrators and every account's policy
// chains. A file that is absent (an organization collected before these
// existed, or whose policies could not be listed) adds nothing; a file
// that cannot be parsed fails the build, as organization.json does.
func writeOrgPolicies(ctx context.Context, r snapshot.Reader, w *writer, st *Stats, orgID string) error {
	b := newBatch()
	defer func() { b.release() }()
	org := txt(orgID)
	pols, err := readOrgList[snapshot.OrgPolicy](ctx, r, orgID, store.OrgPoliciesFile)
	if err != nil {
		return err
	}
	sort.SliceStable(pols, func(i, j int) bool { return pols[i].ID < pols[j].ID })
	for _, p := range pols {
		b.add(tOrgPolicies, txt(p.ID), org, txt(p.Type), nz(p.Name), nz(p.Description), b2i(p.AwsManaged), nz(p.Arn), doc(p.Content))
		for _, t := range p.Targets {
			b.add(tOrgPolicyTargets, txt(p.ID), org, txt(t.TargetID), nz(t.Type), nz(t.Name))
		}
		d, err := policy.Parse(p.Content)
		if err != nil {
			return fmt.Errorf("index: organization %s: %s: policy %s: %w", orgID, store.OrgPoliciesFile, p.ID, err)
		}
		source := "scp"
		if p.Type == snapshot.PolicyTypeRCP {
			source = "rcp"
		}
		addStatementsTo(b, tOrgPolicyStatements, p.ID, source, null, d)
	}
	admins, err := readOrgList[snapshot.DelegatedAdministrator](ctx, r, orgID, store.OrgDelegatedAdminsFile)
	if err != nil {
		return err
	}
	sort.SliceStable(admins, func(i, j int) bool { return admins[i].ID < admins[j].ID })
	for _, a := range admins {
		sps := append([]string(nil), a.ServicePrincipals...)
		sort.Strings(sps)
		if len(sps) == 0 {
			b.add(tDelegatedAdmins, org, txt(a.ID), nz(a.Name), nz(a.Email), nz(a.Status), null)
		}
		for _, sp := range sps {
			b.add(tDelegatedAdmins, org, txt(a.ID), nz(a.Name), nz(a.Email), nz(a.Status), txt(sp))
		}
	}
	if err := w.write(b, st); err != nil {
		return fmt.Errorf("index: organization %s: %w", orgID, err)
	}
	b.release()
	b = newBatch()
	chains, err := readOrgList[snapshot.PolicyChain](ctx, r, orgID, store.OrgPolicyChainsFile)
	if err != nil {
		return err
	}
	sort.SliceStable(chains, func(i, j int) bool {
		if chains[i].AccountID != chains[j].AccountID {
			return chains[i].AccountID < chains[j].AccountID
		}
		return chains[i].Type < chains[j].Type
	})
	for i, c := range chains {
		for lvl, l := range c.Levels {
			if len(l.Policies) == 0 {
				b.add(tPolicyChains, txt(c.AccountID), org, txt(c.Type), num(int64(lvl)), txt(l.TargetID), nz(l.Type), nz(l.Name), null)
			}
			for _, p := range l.Policies {
				b.add(tPolicyChains, txt(c.AccountID), org, txt(c.Type), num(int64(lvl)), txt(l.TargetID), nz(l.Type), nz(l.Name), txt(p))
			}
		}
		chains[i] = snapshot.PolicyChain{} // written: let it go
		if (i+1)%chainsPerBatch == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := w.write(b, st); err != nil {
				return fmt.Errorf("index: organization %s: %w", orgID, err)
			}
			b.release()
			b = newBatch()
		}
	}
	if err := w.write(b, st); err != nil {
		return fmt.Errorf("index: organization %s: %w", orgID, err)
	}
	return nil
}

// readOrgList reads one of an organization's lists (snapshot.ReadOrgList,
// which takes the current and the unversioned form); a file the run does
// not have gives no items.
func readOrgList[T any](ctx context.Context, r snapshot.Reader, orgID, file string) ([]T, error) {
	items, err := snapshot.ReadOrgList[T](ctx, r.Store, store.OrgKey(r.Run, orgID, file))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("index: organization %s: %w", orgID, err)
	}
	return items, nil
}
