// Package export writes a snapshot in other tools' storage layouts.
//
// IAMCollect writes the layout of the TypeScript collector iam-collect
// (cloud-copilot/iam-collect, docs/Storage.md), so the tools that read that
// layout (iam-lens, iam-collect's own queries) run on orgiam data:
//
//	aws/<partition>/accounts/<account-id>/organization.json
//	aws/<partition>/accounts/<account-id>/iam/<type>/<encoded path+name>/<data>.json
//	aws/<partition>/accounts/<account-id>/iam/aws/policy/<encoded name>/<data>.json
//	aws/<partition>/organizations/<org-id>/{metadata,accounts,ous,structure}.json
//	aws/<partition>/organizations/<org-id>/ous/<ou-id>/metadata.json
//
// Resource folders are built as iam-collect builds them: the ARN's
// service, region, "aws" for AWS-owned resources, the resource type, then
// the rest of the resource encoded as JavaScript's encodeURIComponent
// does, the whole path lower-cased; each data set of a resource is its own
// file (metadata, managed-policies, inline-policies, trust-policy, tags,
// groups, instance-profiles, current-policy), and empty ones are not
// written, as iam-collect deletes them.
//
// The regional resources of the snapshot (S3 buckets, KMS keys, SQS
// queues, SNS topics, Lambda functions, Secrets Manager secrets, ECR
// repositories) get a folder each with metadata.json, policy.json (their
// resource-based policy) and, for S3 buckets, bpa.json. SCPs and RCPs are
// organizations/<org-id>/{scps,rcps}/<policy-id>/{metadata,policy}.json,
// and the scps and rcps lists of accounts.json and ous.json hold the ARNs
// of the policies attached to each target, as iam-collect writes them.
//
// What the snapshot does not hold is not invented: S3 policies
// (s3Policies) are empty lists, runs without organization policies have
// empty scps and rcps lists, and the search indexes under indexes/ are
// not written (iam-collect rebuilds them).
package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// Summary counts what an export wrote.
type Summary struct {
	Accounts, Organizations, Users, Roles, Groups, Policies, AWSPolicies, Files int
	// Skipped are accounts left out (not scanned, failed), with the reason.
	Skipped []string
}

// writer puts the layout's files into a store, under a prefix.
type writer struct {
	ctx    context.Context
	dst    store.Store
	prefix string
	n      int
}

// put writes v as JSON unless it is empty (nil, "", an empty list or
// object), which iam-collect never stores.
func (w *writer) put(key string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	switch strings.TrimSpace(string(data)) {
	case "null", `""`, "[]", "{}":
		return nil
	}
	if err := w.dst.Put(w.ctx, path.Join(w.prefix, key), data); err != nil {
		return err
	}
	w.n++
	return nil
}

// EncodeURIComponent escapes s as JavaScript's encodeURIComponent does:
// everything but A–Z a–z 0–9 - _ . ! ~ * ' ( ) is percent-encoded, byte by
// byte of its UTF-8 form. Go's url.PathEscape and QueryEscape keep or
// change other characters ('/', ':', ' ' → '+'), which would name
// different folders.
func EncodeURIComponent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// ResourceDir is the folder of a resource of an account, relative to
// aws/<partition>/, as iam-collect names it.
func ResourceDir(accountID, resourceARN string) (string, error) {
	a, err := arn.Parse(resourceARN)
	if err != nil {
		return "", fmt.Errorf("%q: %w", resourceARN, err)
	}
	typ, rest := a.Resource, ""
	if i := strings.IndexAny(a.Resource, "/:"); i >= 0 {
		typ, rest = a.Resource[:i], a.Resource[i+1:]
	}
	parts := []string{"accounts", accountID, a.Service, a.Region}
	if a.AccountID == "aws" {
		parts = append(parts, "aws")
	}
	parts = append(parts, typ)
	if r := strings.TrimSpace(rest); r != "" {
		parts = append(parts, EncodeURIComponent(r))
	}
	var kept []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			kept = append(kept, p)
		}
	}
	return strings.ToLower(strings.Join(kept, "/")), nil
}

func tagRecord(ts []snapshot.Tag) map[string]string {
	if len(ts) == 0 {
		return nil
	}
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[t.Key] = t.Value
	}
	return m
}

func policyARNs(list []snapshot.AttachedPolicy) []string {
	var out []string
	for _, p := range list {
		out = append(out, p.PolicyArn)
	}
	return out
}

func boundaryARN(b *snapshot.Boundary) string {
	if b == nil {
		return ""
	}
	return b.PermissionsBoundaryArn
}

// inline is iam-collect's inline-policies item: the IAM shape, decoded.
type inline struct {
	PolicyName     string          `json:"PolicyName"`
	PolicyDocument json.RawMessage `json:"PolicyDocument"`
}

func inlines(list []snapshot.InlinePolicy) []inline {
	var out []inline
	for _, p := range list {
		out = append(out, inline{p.PolicyName, p.PolicyDocument})
	}
	return out
}

// IAMCollect writes the run that r reads into dst under prefix, in
// iam-collect's layout. Accounts without IAM data (not scanned, failed)
// are left out and listed in the summary.
func IAMCollect(ctx context.Context, r snapshot.Reader, dst store.Store, prefix string) (Summary, error) {
	var sum Summary
	accts, err := r.Accounts(ctx)
	if err != nil {
		return sum, fmt.Errorf("run %s: account list: %w", r.Run, err)
	}
	managed, err := r.AWSManagedPolicies(ctx)
	if err != nil {
		return sum, fmt.Errorf("run %s: AWS managed policies: %w", r.Run, err)
	}
	awsByARN := map[string]snapshot.ManagedPolicy{}
	for _, p := range managed {
		awsByARN[p.Arn] = p
	}
	w := &writer{ctx: ctx, dst: dst, prefix: prefix}
	partitionOf := map[string]string{} // account id → partition
	for _, a := range accts {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		part := "aws"
		if pa, err := arn.Parse(a.Arn); err == nil && pa.Partition != "" {
			part = pa.Partition
		}
		partitionOf[a.ID] = part
		ok, err := r.Store.Exists(ctx, store.AccountKey(r.Run, a.ID))
		if err != nil {
			return sum, err
		}
		if !ok {
			sum.Skipped = append(sum.Skipped, a.ID+": not scanned (no account.json)")
			continue
		}
		if err := exportAccount(r, w, path.Join("aws", part), a, awsByARN, &sum); err != nil {
			return sum, fmt.Errorf("account %s: %w", a.ID, err)
		}
		sum.Accounts++
	}
	if err := exportOrganizations(ctx, r, w, accts, partitionOf, &sum); err != nil {
		return sum, err
	}
	sum.Files = w.n
	return sum, nil
}

func exportAccount(r snapshot.Reader, w *writer, base string, a snapshot.Account, awsByARN map[string]snapshot.ManagedPolicy, sum *Summary) error {
	ctx := w.ctx
	var users []snapshot.User
	var roles []snapshot.Role
	var groups []snapshot.Group
	var pols []snapshot.ManagedPolicy
	for _, ds := range []struct {
		name string
		v    any
	}{{"users", &users}, {"roles", &roles}, {"groups", &groups}, {"policies", &pols}} {
		if err := r.IAM(ctx, a.ID, ds.name, ds.v); err != nil {
			return err
		}
	}
	// files writes the data sets of one resource.
	files := func(resourceARN string, sets map[string]any) error {
		dir, err := ResourceDir(a.ID, resourceARN)
		if err != nil {
			return err
		}
		names := make([]string, 0, len(sets))
		for k := range sets {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if err := w.put(path.Join(base, dir, k+".json"), sets[k]); err != nil {
				return err
			}
		}
		return nil
	}
	if a.OrgID != "" {
		if err := w.put(path.Join(base, "accounts", a.ID, "organization.json"), map[string]string{"organizationId": a.OrgID}); err != nil {
			return err
		}
	}
	usedAWS := map[string]bool{}
	noteAWS := func(list []snapshot.AttachedPolicy, b *snapshot.Boundary) {
		for _, p := range list {
			usedAWS[p.PolicyArn] = true
		}
		if b != nil {
			usedAWS[b.PermissionsBoundaryArn] = true
		}
	}
	groupARN := map[string]string{}
	for _, g := range groups {
		groupARN[g.GroupName] = g.Arn
		noteAWS(g.AttachedManagedPolicies, nil)
		if err := files(g.Arn, map[string]any{
			"metadata":         map[string]any{"arn": g.Arn, "path": g.Path, "name": g.GroupName, "id": g.GroupID, "created": g.CreateDate},
			"inline-policies":  inlines(g.GroupPolicyList),
			"managed-policies": policyARNs(g.AttachedManagedPolicies),
		}); err != nil {
			return err
		}
		sum.Groups++
	}
	for _, u := range users {
		noteAWS(u.AttachedManagedPolicies, u.PermissionsBoundary)
		var gs []string
		for _, g := range u.GroupList {
			gs = append(gs, groupARN[g])
		}
		meta := map[string]any{"arn": u.Arn, "path": u.Path, "id": u.UserID, "name": u.UserName, "created": u.CreateDate}
		if b := boundaryARN(u.PermissionsBoundary); b != "" {
			meta["permissionBoundary"] = b
		}
		if err := files(u.Arn, map[string]any{
			"metadata":         meta,
			"managed-policies": policyARNs(u.AttachedManagedPolicies),
			"inline-policies":  inlines(u.UserPolicyList),
			"groups":           gs,
			"tags":             tagRecord(u.Tags),
		}); err != nil {
			return err
		}
		sum.Users++
	}
	for _, rl := range roles {
		noteAWS(rl.AttachedManagedPolicies, rl.PermissionsBoundary)
		var ips []string
		for _, ip := range rl.InstanceProfileList {
			ips = append(ips, ip.Arn)
		}
		meta := map[string]any{"arn": rl.Arn, "name": rl.RoleName, "id": rl.RoleID, "path": rl.Path, "created": rl.CreateDate}
		if b := boundaryARN(rl.PermissionsBoundary); b != "" {
			meta["permissionBoundary"] = b
		}
		var trust any
		if len(rl.AssumeRolePolicyDocument) > 0 {
			trust = rl.AssumeRolePolicyDocument
		}
		if err := files(rl.Arn, map[string]any{
			"metadata":          meta,
			"managed-policies":  policyARNs(rl.AttachedManagedPolicies),
			"trust-policy":      trust,
			"instance-profiles": ips,
			"inline-policies":   inlines(rl.RolePolicyList),
			"tags":              tagRecord(rl.Tags),
		}); err != nil {
			return err
		}
		sum.Roles++
	}
	policy := func(p snapshot.ManagedPolicy) error {
		var doc any
		if d := p.DefaultDocument(); len(d) > 0 {
			doc = d
		}
		return files(p.Arn, map[string]any{
			"metadata": map[string]any{
				"arn": p.Arn, "name": p.PolicyName, "id": p.PolicyID, "description": p.Description,
				"defaultVersionId": p.DefaultVersionID, "path": p.Path,
				"permissionsBoundaryUsageCount": p.PermissionsBoundaryUsageCount, "isAttachable": p.IsAttachable,
				"createDate": p.CreateDate, "updateDate": p.UpdateDate,
			},
			"current-policy": doc,
		})
	}
	for _, p := range pols {
		if err := policy(p); err != nil {
			return err
		}
		sum.Policies++
	}
	if err := exportResources(r, w, base, a.ID, files); err != nil {
		return err
	}
	// iam-collect stores the AWS managed policies an account uses in that
	// account (GetAccountAuthorizationDetails returns only those); orgiam
	// stores them once per run.
	var used []string
	for a := range usedAWS {
		if _, ok := awsByARN[a]; ok {
			used = append(used, a)
		}
	}
	sort.Strings(used)
	for _, a := range used {
		if err := policy(awsByARN[a]); err != nil {
			return err
		}
		sum.AWSPolicies++
	}
	return nil
}

// exportResources writes the account's regional resources and S3
// buckets. A region file that cannot be read was already reported by the
// commands that read the run; the export leaves its resources out.
func exportResources(r snapshot.Reader, w *writer, base, id string, files func(string, map[string]any) error) error {
	scans, _, err := r.RegionScans(w.ctx, id)
	if err != nil {
		return fmt.Errorf("region files: %w", err)
	}
	var all []snapshot.Resource
	for _, s := range scans {
		all = append(all, s.Resources...)
	}
	ar, err := r.AccountResources(w.ctx, id)
	if err != nil {
		return err
	}
	if ar != nil {
		all = append(all, ar.Resources...)
	}
	for _, res := range all {
		if res.ARN == "" {
			continue
		}
		var pol any
		if len(res.Policy) > 0 && string(res.Policy) != "null" {
			pol = res.Policy
		}
		meta := map[string]any{"arn": res.ARN, "name": res.Name, "region": res.Region}
		for k, v := range res.Attributes {
			meta[k] = v
		}
		sets := map[string]any{"metadata": meta, "policy": pol}
		if res.BlockPublicAccess != nil {
			sets["bpa"] = res.BlockPublicAccess
		}
		if err := files(res.ARN, sets); err != nil {
			return err
		}
	}
	return nil
}

// ouEntry is an entry of organizations/<id>/ous.json.
type ouEntry struct {
	Parent     *string  `json:"parent"`
	SCPs       []string `json:"scps"`
	RCPs       []string `json:"rcps"`
	S3Policies []string `json:"s3Policies"`
}

// accountEntry is an entry of organizations/<id>/accounts.json.
type accountEntry struct {
	OU         string   `json:"ou"`
	SCPs       []string `json:"scps"`
	RCPs       []string `json:"rcps"`
	S3Policies []string `json:"s3Policies"`
}

// structNode is a node of organizations/<id>/structure.json.
type structNode struct {
	Children map[string]*structNode `json:"children,omitempty"`
	Accounts []string               `json:"accounts,omitempty"`
}

func exportOrganizations(ctx context.Context, r snapshot.Reader, w *writer, accts []snapshot.Account, partitionOf map[string]string, sum *Summary) error {
	ids, err := r.Store.ListDirs(ctx, store.OrgPrefix(r.Run))
	if err != nil {
		return fmt.Errorf("run %s: organizations: %w", r.Run, err)
	}
	for _, id := range ids {
		org, err := r.Organization(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		ous, err := r.OrgOUs(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		members, err := r.OrgAccounts(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if len(members) == 0 {
			for _, a := range accts {
				if a.OrgID == id {
					members = append(members, a)
				}
			}
		}
		part := partitionOf[org.MasterAccountID]
		if part == "" {
			part = "aws"
		}
		base := path.Join("aws", part, "organizations", strings.ToLower(id))
		root := ""
		nodes := map[string]*structNode{}
		allOUs := map[string]ouEntry{}
		for _, u := range ous {
			nodes[u.ID] = &structNode{}
			e := ouEntry{SCPs: []string{}, RCPs: []string{}, S3Policies: []string{}}
			if u.Type == "ROOT" || u.ParentID == "" {
				root = u.ID
			} else {
				p := u.ParentID
				e.Parent = &p
			}
			allOUs[u.ID] = e
			if err := w.put(path.Join(base, "ous", strings.ToLower(u.ID), "metadata.json"), map[string]string{"arn": u.Arn, "name": u.Name}); err != nil {
				return err
			}
		}
		for _, u := range ous {
			if u.ParentID != "" && nodes[u.ParentID] != nil {
				p := nodes[u.ParentID]
				if p.Children == nil {
					p.Children = map[string]*structNode{}
				}
				p.Children[u.ID] = nodes[u.ID]
			}
		}
		set, err := r.OrgPolicies(ctx, id)
		if err != nil {
			return fmt.Errorf("organization %s policies: %w", id, err)
		}
		attached := map[string]map[string][]string{} // type → target id → policy ARNs
		for _, p := range set.Policies {
			folder := map[string]string{snapshot.PolicyTypeSCP: "scps", snapshot.PolicyTypeRCP: "rcps"}[p.Type]
			if folder == "" {
				continue
			}
			dir := path.Join(base, folder, strings.ToLower(p.ID))
			if err := w.put(path.Join(dir, "metadata.json"), map[string]any{"arn": p.Arn, "name": p.Name, "description": p.Description, "awsManaged": p.AwsManaged}); err != nil {
				return err
			}
			if len(p.Content) > 0 {
				if err := w.put(path.Join(dir, "policy.json"), p.Content); err != nil {
					return err
				}
			}
			if attached[p.Type] == nil {
				attached[p.Type] = map[string][]string{}
			}
			for _, t := range p.Targets {
				attached[p.Type][t.TargetID] = append(attached[p.Type][t.TargetID], p.Arn)
			}
		}
		list := func(typ, target string) []string {
			l := append([]string{}, attached[typ][target]...)
			sort.Strings(l)
			return l
		}
		for oid, e := range allOUs {
			e.SCPs, e.RCPs = list(snapshot.PolicyTypeSCP, oid), list(snapshot.PolicyTypeRCP, oid)
			allOUs[oid] = e
		}
		allAccounts := map[string]accountEntry{}
		for _, a := range members {
			allAccounts[a.ID] = accountEntry{OU: a.ParentID, SCPs: list(snapshot.PolicyTypeSCP, a.ID), RCPs: list(snapshot.PolicyTypeRCP, a.ID), S3Policies: []string{}}
			if n := nodes[a.ParentID]; n != nil && a.Arn != "" {
				n.Accounts = append(n.Accounts, a.Arn)
			}
		}
		// The policy types enabled on the root, as iam-collect records them.
		features := map[string]bool{}
		for _, u := range ous {
			if u.Type == "ROOT" {
				for _, pt := range u.PolicyTypes {
					features[pt.Type] = pt.Status == "ENABLED"
				}
			}
		}
		meta := map[string]any{
			"id": id, "arn": org.Arn, "rootOu": root,
			"rootAccountArn": org.MasterAccountArn, "rootAccountId": org.MasterAccountID,
			"features": features,
		}
		structure := map[string]*structNode{}
		if root != "" {
			structure[root] = nodes[root]
		}
		for name, v := range map[string]any{"metadata": meta, "accounts": allAccounts, "ous": allOUs, "structure": structure} {
			if err := w.put(path.Join(base, name+".json"), v); err != nil {
				return err
			}
		}
		sum.Organizations++
	}
	return nil
}
