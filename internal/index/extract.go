package index

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/policy"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// Table names, in insertion order.
const (
	tOrganizations   = "organizations"
	tOUs             = "ous"
	tAccounts        = "accounts"
	tPrincipals      = "principals"
	tPolicies        = "policies"
	tPolicyVersions  = "policy_versions"
	tInlinePolicies  = "inline_policies"
	tAttachments     = "attachments"
	tGroupMembers    = "group_members"
	tStatements      = "statements"
	tTrusts          = "trusts"
	tAccessKeys      = "access_keys"
	tCredentialRport = "credential_report"
	tFindings        = "findings"
)

// columns of each table filled by the builder, in schema.sql's order.
var columns = map[string][]string{
	tOrganizations:  {"id", "arn", "master_account_id", "master_account_email", "feature_set"},
	tOUs:            {"id", "org_id", "name", "type", "parent_id", "path"},
	tAccounts:       {"id", "name", "email", "org_id", "ou_path", "status", "alias", "management", "partition", "scan_status", "scan_phase", "scan_error", "collected_at"},
	tPrincipals:     {"arn", "kind", "account_id", "name", "id", "path", "created", "last_used", "last_used_region", "password_enabled", "mfa", "boundary_arn"},
	tPolicies:       {"arn", "account_id", "name", "id", "path", "aws_managed", "default_version", "attachment_count", "boundary_usage_count", "created", "updated", "description"},
	tPolicyVersions: {"policy_arn", "version_id", "is_default", "created", "document"},
	tInlinePolicies: {"id", "principal_arn", "account_id", "name", "document"},
	tAttachments:    {"principal_arn", "account_id", "policy_id", "policy_name", "policy_kind", "via"},
	tGroupMembers:   {"group_arn", "group_name", "user_arn", "user_name", "account_id"},
	tStatements:     {"policy_id", "source", "account_id", "stmt_idx", "sid", "effect", "action", "not_action", "service", "resource", "not_resource", "has_condition"},
	tTrusts:         {"role_arn", "role_name", "account_id", "stmt_idx", "effect", "actions", "principal_type", "principal_value", "trusted_account", "cross_account", "external_to_org", "has_external_id", "has_condition"},
	tAccessKeys:     {"key_id", "user_arn", "user_name", "account_id", "status", "created", "last_used_date", "last_used_service", "last_used_region"},
	tCredentialRport: {"account_id", "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_used_no_info",
		"password_last_changed", "password_next_rotation", "mfa_active",
		"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
		"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service",
		"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"},
	tFindings: {"account_id", "account_name", "principal", "check_id", "check_id_legacy", "title", "severity", "status", "evidence", "raw"},
}

// tableOrder is the order batches are written in.
var tableOrder = []string{tOrganizations, tOUs, tAccounts, tPrincipals, tPolicies, tPolicyVersions, tInlinePolicies,
	tAttachments, tGroupMembers, tStatements, tTrusts, tAccessKeys, tCredentialRport, tFindings}

// batch holds rows to insert, per table, in order.
type batch struct {
	rows map[string][][]any
}

func newBatch() *batch { return &batch{rows: map[string][][]any{}} }

func (b *batch) add(table string, vals ...any) { b.rows[table] = append(b.rows[table], vals) }

func (b *batch) count(table string) int { return len(b.rows[table]) }

// ts formats a time as RFC 3339 UTC to the second (NULL when nil).
func ts(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func nz(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func doc(raw json.RawMessage) any {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	return string(raw)
}

// orgInfo is what the builder knows about organizations before the accounts.
type orgInfo struct {
	members map[string]bool // every account id that belongs to an organization of the run
}

// awsManagedArn reports whether arn is an AWS managed policy's.
func awsManagedArn(arn string) bool { return strings.Contains(arn, ":iam::aws:policy/") }

// serviceOf is the lower-cased service prefix of an action pattern ("*" when
// it holds a wildcard, as "*" or "s3*:Get").
func serviceOf(action string) string {
	svc, _, ok := strings.Cut(action, ":")
	if !ok {
		if strings.ContainsAny(action, "*?") {
			return "*"
		}
		return strings.ToLower(action)
	}
	if strings.ContainsAny(svc, "*?") {
		return "*"
	}
	return strings.ToLower(svc)
}

// addStatements flattens a parsed document into statement rows.
func addStatements(b *batch, policyID, source string, account any, d policy.Document) {
	for i, s := range d.Statement {
		actions, notAction := s.Action, int64(0)
		if len(s.NotAction) > 0 {
			actions, notAction = s.NotAction, 1
		}
		resources, notResource := s.Resource, int64(0)
		if len(s.NotResource) > 0 {
			resources, notResource = s.NotResource, 1
		}
		cond := b2i(s.HasCondition())
		effect := s.Effect
		if effect == "" {
			effect = "Allow"
		}
		acts := make([]any, 0, len(actions))
		svcs := make([]any, 0, len(actions))
		for _, a := range actions {
			acts = append(acts, a)
			svcs = append(svcs, serviceOf(a))
		}
		if len(acts) == 0 {
			acts, svcs = []any{nil}, []any{nil}
		}
		ress := make([]any, 0, len(resources))
		for _, r := range resources {
			ress = append(ress, r)
		}
		if len(ress) == 0 {
			ress = []any{nil}
		}
		for ai, a := range acts {
			for _, r := range ress {
				b.add(tStatements, policyID, source, account, int64(i), nz(s.Sid), effect, a, notAction, svcs[ai], r, notResource, cond)
			}
		}
	}
}

// parseDoc parses a policy document, naming where it comes from on error.
func parseDoc(raw json.RawMessage, where string) (policy.Document, error) {
	d, err := policy.Parse(raw)
	if err != nil {
		return d, fmt.Errorf("%s: %w", where, err)
	}
	return d, nil
}

// addManagedPolicy adds a managed policy, its versions and its default
// version's statements. account is nil for AWS managed policies.
func addManagedPolicy(b *batch, p snapshot.ManagedPolicy, account any, where string) error {
	aws := awsManagedArn(p.Arn)
	b.add(tPolicies, p.Arn, account, p.PolicyName, nz(p.PolicyId), nz(p.Path), b2i(aws), nz(p.DefaultVersionId),
		int64(p.AttachmentCount), int64(p.PermissionsBoundaryUsageCount), ts(p.CreateDate), ts(p.UpdateDate), nz(p.Description))
	for _, v := range p.PolicyVersionList {
		isDefault := v.IsDefaultVersion || (p.DefaultVersionId != "" && v.VersionId == p.DefaultVersionId)
		b.add(tPolicyVersions, p.Arn, v.VersionId, b2i(isDefault), ts(v.CreateDate), doc(v.Document))
	}
	d, err := parseDoc(p.DefaultDocument(), fmt.Sprintf("%s: policy %s default version", where, p.Arn))
	if err != nil {
		return err
	}
	source := "managed"
	if p.AttachmentCount == 0 && p.PermissionsBoundaryUsageCount > 0 {
		source = "boundary"
	}
	addStatements(b, p.Arn, source, account, d)
	return nil
}

func inlineID(principalArn, name string) string { return "inline:" + principalArn + ":" + name }

// trustedAccount derives the account a trust principal belongs to.
func trustedAccount(typ, value string) string {
	switch typ {
	case "*":
		return "*"
	case "AWS":
		if value == "*" {
			return "*"
		}
		if store.ValidAccountID(value) {
			return value
		}
		return arnAccount(value)
	case "Federated":
		return arnAccount(value)
	}
	return ""
}

// arnAccount is the account field of an ARN ("" if none or not an account id).
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || !store.ValidAccountID(parts[4]) {
		return ""
	}
	return parts[4]
}

// hasExternalID reports an sts:ExternalId key under any condition operator.
func hasExternalID(cond json.RawMessage) bool {
	if len(bytes.TrimSpace(cond)) == 0 {
		return false
	}
	var m map[string]map[string]json.RawMessage
	if err := json.Unmarshal(cond, &m); err != nil {
		return false
	}
	for _, kv := range m {
		for k := range kv {
			if strings.EqualFold(k, "sts:ExternalId") {
				return true
			}
		}
	}
	return false
}

// accountBatch reads one account's stored files into a batch. A failed or
// partial account contributes what was stored.
func accountBatch(ctx context.Context, r snapshot.Reader, a snapshot.Account, orgs *orgInfo) (*batch, error) {
	b := newBatch()
	id := a.Id
	where := "account " + id
	info, err := r.AccountInfo(ctx, id)
	hasInfo := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	erec, err := r.Error(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	status, phase, msg := "missing", "", ""
	if hasInfo {
		status = "ok"
	}
	if erec != nil {
		status, phase, msg = "failed", erec.Phase, erec.Message
	}
	acct := a
	if hasInfo {
		acct = mergeAccount(a, info.Account)
	}
	alias := ""
	if len(info.Aliases) > 0 {
		alias = info.Aliases[0]
	}
	var collected any
	if hasInfo && !info.CollectedAt.IsZero() {
		collected = ts(&info.CollectedAt)
	}
	b.add(tAccounts, id, nz(acct.Name), nz(acct.Email), nz(acct.OrgId), nz(acct.OUPath), nz(acct.Status), nz(alias),
		b2i(acct.Management), nz(info.Partition), status, nz(phase), nz(msg), collected)

	var users []snapshot.User
	var roles []snapshot.Role
	var groups []snapshot.Group
	var policies []snapshot.ManagedPolicy
	var mfas []snapshot.MFADevice
	for _, ds := range []struct {
		name string
		v    any
	}{{store.DataUsers, &users}, {store.DataRoles, &roles}, {store.DataGroups, &groups}, {store.DataPolicies, &policies}, {store.DataMFADevices, &mfas}} {
		if err := r.IAM(ctx, id, ds.name, ds.v); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
	}
	report, _, err := r.CredentialReport(ctx, id)
	if err != nil {
		return nil, err
	}
	reportByUser := make(map[string]*snapshot.CredentialReportRow, len(report))
	for i := range report {
		reportByUser[report[i].User] = &report[i]
	}
	virtual := map[string]bool{} // user ARN or name with a virtual MFA device
	for _, d := range mfas {
		if d.User != nil {
			virtual[d.User.Arn] = true
			virtual["name:"+d.User.UserName] = true
		}
	}

	// Customer managed policies.
	for _, p := range policies {
		if awsManagedArn(p.Arn) {
			continue // stored once per run under aws-managed-policies/
		}
		if err := addManagedPolicy(b, p, id, where+": "+store.DataPolicies); err != nil {
			return nil, err
		}
	}

	// Groups first: their policies are also the members'.
	type groupPol struct{ id, name, kind string }
	groupPols := map[string][]groupPol{}
	groupArn := map[string]string{}
	for _, g := range groups {
		groupArn[g.GroupName] = g.Arn
		b.add(tPrincipals, g.Arn, "group", id, g.GroupName, nz(g.GroupId), nz(g.Path), ts(g.CreateDate), nil, nil, nil, nil, nil)
		for _, ap := range g.AttachedManagedPolicies {
			groupPols[g.GroupName] = append(groupPols[g.GroupName], groupPol{ap.PolicyArn, ap.PolicyName, managedKind(ap.PolicyArn)})
		}
		for _, ip := range g.GroupPolicyList {
			pid := inlineID(g.Arn, ip.PolicyName)
			groupPols[g.GroupName] = append(groupPols[g.GroupName], groupPol{pid, ip.PolicyName, "inline"})
			if err := addInline(b, pid, g.Arn, id, ip, where); err != nil {
				return nil, err
			}
		}
		for _, gp := range groupPols[g.GroupName] {
			b.add(tAttachments, g.Arn, id, gp.id, gp.name, gp.kind, "direct")
		}
	}

	for _, u := range users {
		row := reportByUser[u.UserName]
		var lastUsed, pwEnabled, mfa any
		if row != nil {
			lastUsed = ts(row.LastActivity())
			pwEnabled = b2i(row.PasswordEnabled.Bool())
			switch {
			case !row.MFAActive:
				mfa = "none"
			case virtual[u.Arn] || virtual["name:"+u.UserName]:
				mfa = "virtual"
			default:
				mfa = "hardware"
			}
		}
		var boundary any
		if u.PermissionsBoundary != nil {
			boundary = nz(u.PermissionsBoundary.PermissionsBoundaryArn)
		}
		b.add(tPrincipals, u.Arn, "user", id, u.UserName, nz(u.UserId), nz(u.Path), ts(u.CreateDate), lastUsed, nil, pwEnabled, mfa, boundary)
		for _, ap := range u.AttachedManagedPolicies {
			b.add(tAttachments, u.Arn, id, ap.PolicyArn, ap.PolicyName, managedKind(ap.PolicyArn), "direct")
		}
		for _, ip := range u.UserPolicyList {
			pid := inlineID(u.Arn, ip.PolicyName)
			if err := addInline(b, pid, u.Arn, id, ip, where); err != nil {
				return nil, err
			}
			b.add(tAttachments, u.Arn, id, pid, ip.PolicyName, "inline", "direct")
		}
		for _, g := range u.GroupList {
			garn := groupArn[g]
			if garn == "" {
				garn = groupArnFor(u.Arn, g)
			}
			b.add(tGroupMembers, garn, g, u.Arn, u.UserName, id)
			for _, gp := range groupPols[g] {
				b.add(tAttachments, u.Arn, id, gp.id, gp.name, gp.kind, g)
			}
		}
		for _, k := range u.AccessKeys {
			var lu, svc, region any
			if row != nil {
				for _, slot := range row.AccessKeys {
					if slot.LastRotated != nil && k.CreateDate != nil && slot.LastRotated.Unix() == k.CreateDate.Unix() {
						lu, svc, region = ts(slot.LastUsedDate), nz(slot.LastUsedService), nz(slot.LastUsedRegion)
						break
					}
				}
			}
			b.add(tAccessKeys, k.AccessKeyId, u.Arn, u.UserName, id, nz(k.Status), ts(k.CreateDate), lu, svc, region)
		}
	}

	for _, ro := range roles {
		var lastUsed, region any
		if ro.RoleLastUsed != nil {
			lastUsed, region = ts(ro.RoleLastUsed.LastUsedDate), nz(ro.RoleLastUsed.Region)
		}
		var boundary any
		if ro.PermissionsBoundary != nil {
			boundary = nz(ro.PermissionsBoundary.PermissionsBoundaryArn)
		}
		b.add(tPrincipals, ro.Arn, "role", id, ro.RoleName, nz(ro.RoleId), nz(ro.Path), ts(ro.CreateDate), lastUsed, region, nil, nil, boundary)
		for _, ap := range ro.AttachedManagedPolicies {
			b.add(tAttachments, ro.Arn, id, ap.PolicyArn, ap.PolicyName, managedKind(ap.PolicyArn), "direct")
		}
		for _, ip := range ro.RolePolicyList {
			pid := inlineID(ro.Arn, ip.PolicyName)
			if err := addInline(b, pid, ro.Arn, id, ip, where); err != nil {
				return nil, err
			}
			b.add(tAttachments, ro.Arn, id, pid, ip.PolicyName, "inline", "direct")
		}
		d, err := parseDoc(ro.AssumeRolePolicyDocument, fmt.Sprintf("%s: role %s trust policy", where, ro.Arn))
		if err != nil {
			return nil, err
		}
		addStatements(b, "trust:"+ro.Arn, "trust", id, d)
		for i, s := range d.Statement {
			acts := strings.Join(s.Action, ",")
			extID := b2i(hasExternalID(s.Condition))
			cond := b2i(s.HasCondition())
			for _, pv := range s.Principal.All() {
				ta := trustedAccount(pv[0], pv[1])
				cross := ta != "" && ta != id
				external := cross && (ta == "*" || !orgs.members[ta])
				b.add(tTrusts, ro.Arn, ro.RoleName, id, int64(i), s.Effect, nz(acts), pv[0], pv[1], nz(ta), b2i(cross), b2i(external), extID, cond)
			}
		}
	}

	for _, row := range report {
		k1, k2 := row.AccessKeys[0], row.AccessKeys[1]
		b.add(tCredentialRport, id, row.User, nz(row.Arn), ts(row.UserCreationTime), nz(string(row.PasswordEnabled)),
			ts(row.PasswordLastUsed), b2i(row.PasswordLastUsedNoInfo), ts(row.PasswordLastChanged), ts(row.PasswordNextRotation), b2i(row.MFAActive),
			b2i(k1.Active), ts(k1.LastRotated), ts(k1.LastUsedDate), nz(k1.LastUsedRegion), nz(k1.LastUsedService),
			b2i(k2.Active), ts(k2.LastRotated), ts(k2.LastUsedDate), nz(k2.LastUsedRegion), nz(k2.LastUsedService),
			b2i(row.Certs[0].Active), ts(row.Certs[0].LastRotated), b2i(row.Certs[1].Active), ts(row.Certs[1].LastRotated))
	}
	return b, nil
}

func managedKind(arn string) string {
	if awsManagedArn(arn) {
		return "aws"
	}
	return "customer"
}

// groupArnFor guesses a group's ARN from a member's ARN when groups.json lacks it.
func groupArnFor(userArn, group string) string {
	if i := strings.Index(userArn, ":user/"); i >= 0 {
		return userArn[:i] + ":group/" + group
	}
	return "group:" + group
}

func addInline(b *batch, pid, principalArn, account string, ip snapshot.InlinePolicy, where string) error {
	b.add(tInlinePolicies, pid, principalArn, account, ip.PolicyName, doc(ip.PolicyDocument))
	d, err := parseDoc(ip.PolicyDocument, fmt.Sprintf("%s: %s inline policy %s", where, principalArn, ip.PolicyName))
	if err != nil {
		return err
	}
	addStatements(b, pid, "inline", account, d)
	return nil
}

// mergeAccount fills the list entry's empty fields from account.json.
func mergeAccount(list, stored snapshot.Account) snapshot.Account {
	out := list
	if out.Name == "" {
		out.Name = stored.Name
	}
	if out.Email == "" {
		out.Email = stored.Email
	}
	if out.OrgId == "" {
		out.OrgId = stored.OrgId
	}
	if out.OUPath == "" {
		out.OUPath = stored.OUPath
	}
	if out.Status == "" {
		out.Status = stored.Status
	}
	out.Management = out.Management || stored.Management
	return out
}
