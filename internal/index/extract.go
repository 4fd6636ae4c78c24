package index

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/iamarn"
	"github.com/orgiam/orgiam/internal/policy"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/sqlitebulk"
	"github.com/orgiam/orgiam/internal/store"
)

// table is one table the builder fills.
type table int

// The tables, in the order a batch writes them.
const (
	tOrganizations table = iota
	tOUs
	tAccounts
	tPrincipals
	tPolicies
	tPolicyVersions
	tInlinePolicies
	tPolicyAttachments
	tGroupMembers
	tStatements
	tTrusts
	tAccessKeys
	tCredentialReport
	tFindings
	tResources
	tS3AccountBlock
	tResourceStatements
	tResourceConditions
	tResourceGrants
	tRegionScans
	tCollectorWarnings
	tOrgPolicies
	tOrgPolicyTargets
	tOrgPolicyStatements
	tPolicyChains
	tDelegatedAdmins
	tUnusedAccess
	numTables
)

// tables names each table and the columns the builder fills, in schema.sql's order.
var tables = [numTables]struct {
	name string
	cols []string
}{
	tOrganizations:     {"organizations", []string{"id", "arn", "master_account_id", "master_account_email", "feature_set"}},
	tOUs:               {"ous", []string{"id", "org_id", "name", "type", "parent_id", "path"}},
	tAccounts:          {"accounts", []string{"id", "name", "email", "org_id", "ou_path", "status", "alias", "management", "partition", "scan_status", "scan_phase", "scan_error", "collected_at"}},
	tPrincipals:        {"principals", []string{"arn", "kind", "account_id", "name", "id", "path", "created", "last_used", "last_used_region", "password_enabled", "mfa", "boundary_arn"}},
	tPolicies:          {"policies", []string{"arn", "account_id", "name", "id", "path", "aws_managed", "default_version", "attachment_count", "boundary_usage_count", "created", "updated", "description"}},
	tPolicyVersions:    {"policy_versions", []string{"policy_arn", "version_id", "is_default", "created", "document"}},
	tInlinePolicies:    {"inline_policies", []string{"id", "principal_arn", "account_id", "name", "document"}},
	tPolicyAttachments: {"policy_attachments", []string{"principal_arn", "account_id", "policy_id", "policy_name", "policy_kind"}},
	tGroupMembers:      {"group_members", []string{"group_arn", "group_name", "user_arn", "user_name", "account_id"}},
	tStatements:        {"statements", statementCols},
	tTrusts:            {"trusts", []string{"role_arn", "role_name", "account_id", "stmt_idx", "effect", "actions", "principal_type", "principal_value", "trusted_account", "cross_account", "external_to_org", "has_external_id", "has_condition"}},
	tAccessKeys:        {"access_keys", []string{"key_id", "user_arn", "user_name", "account_id", "status", "created", "last_used_date", "last_used_service", "last_used_region"}},
	tCredentialReport: {"credential_report", []string{"account_id", "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_used_no_info",
		"password_last_changed", "password_next_rotation", "mfa_active",
		"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
		"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service",
		"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"}},
	tFindings: {"findings", []string{"account_id", "account_name", "principal", "check_id", "check_id_legacy", "title", "severity", "status", "evidence"}},
	tResources: {"resources", []string{"arn", "account_id", "region", "service", "type", "name", "has_policy",
		"block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets", "public_acl",
		"exposure", "conditional", "public_policy", "analysis_error", "policy", "attributes"}},
	tS3AccountBlock:     {"s3_account_block_public_access", []string{"account_id", "block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"}},
	tResourceStatements: {"resource_statements", statementCols},
	tResourceConditions: {"resource_conditions", []string{"resource_arn", "account_id", "stmt_idx", "operator", "key", "value"}},
	tResourceGrants: {"resource_grants", []string{"resource_arn", "account_id", "region", "service", "stmt_idx", "sid", "principal_type", "principal_value",
		"not_principal", "principal_account", "class", "conditional", "conditions", "actions", "not_action", "denied_by", "blocked_by"}},
	tRegionScans:         {"region_scans", []string{"account_id", "region", "status", "reason", "collected_at", "api_calls", "duration_ms", "collectors", "warnings"}},
	tCollectorWarnings:   {"collector_warnings", []string{"account_id", "region", "collector", "operation", "code", "resource", "message"}},
	tOrgPolicies:         {"org_policies", []string{"id", "org_id", "type", "name", "description", "aws_managed", "arn", "document"}},
	tOrgPolicyTargets:    {"org_policy_targets", []string{"policy_id", "org_id", "target_id", "target_type", "target_name"}},
	tOrgPolicyStatements: {"org_policy_statements", statementCols},
	tPolicyChains:        {"policy_chains", []string{"account_id", "org_id", "type", "level", "target_id", "target_type", "target_name", "policy_id"}},
	tDelegatedAdmins:     {"delegated_administrators", []string{"org_id", "account_id", "name", "email", "status", "service_principal"}},
	tUnusedAccess:        {"unused_access", []string{"account_id", "principal", "service", "action", "last_accessed"}},
}

// statementCols are the columns of every flattened-statement table
// (statements, resource_statements, org_policy_statements).
var statementCols = []string{"policy_id", "source", "account_id", "stmt_idx", "sid", "effect", "action", "not_action", "service", "resource", "not_resource", "has_condition"}

// V is one column value.
type V = sqlitebulk.Value

// batch holds rows to insert, per table, each table's values laid out row
// after row (typed values: no boxing, one slice per table).
type batch struct {
	vals [numTables][]V
}

// freeBatches recycles batches: an account's rows are written, then its
// batch's slices are reused for a later account without growing them again.
// (A channel rather than a sync.Pool, which every garbage collection empties.)
var freeBatches = make(chan *batch, 32)

func newBatch() *batch {
	select {
	case b := <-freeBatches:
		return b
	default:
		return &batch{}
	}
}

// release empties b and keeps it for reuse.
func (b *batch) release() {
	for t := range b.vals {
		clear(b.vals[t]) // drop the strings
		b.vals[t] = b.vals[t][:0]
	}
	select {
	case freeBatches <- b:
	default:
	}
}

// add appends one row; the number of values must match the table's columns.
func (b *batch) add(t table, vals ...V) {
	if len(vals) != len(tables[t].cols) {
		panic(fmt.Sprintf("index: %d values for the %d columns of %s", len(vals), len(tables[t].cols), tables[t].name))
	}
	b.vals[t] = append(b.vals[t], vals...)
}

// reserve makes room for n more rows of table t.
func (b *batch) reserve(t table, n int) {
	b.vals[t] = slices.Grow(b.vals[t], n*len(tables[t].cols))
}

// count is the number of rows of table t in the batch.
func (b *batch) count(t table) int { return len(b.vals[t]) / len(tables[t].cols) }

// ts formats a time as RFC 3339 UTC to the second (NULL when nil).
func ts(t *time.Time) V {
	if t == nil || t.IsZero() {
		return null
	}
	var buf [len(time.RFC3339)]byte
	return sqlitebulk.Text(string(t.UTC().AppendFormat(buf[:0], time.RFC3339)))
}

// nz is s as text, NULL when empty.
func nz(s string) V { return sqlitebulk.TextOrNull(s) }

// txt is s as text, even when empty.
func txt(s string) V { return sqlitebulk.Text(s) }

// num is an integer.
func num(i int64) V { return sqlitebulk.Int(i) }

// b2i is 1 or 0.
func b2i(b bool) V { return sqlitebulk.Bool(b) }

// null is SQL NULL.
var null = V{}

func doc(raw json.RawMessage) V {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return null
	}
	return txt(string(raw))
}

// orgInfo is what the builder knows about organizations before the accounts.
type orgInfo struct {
	members map[string]bool // every account id that belongs to an organization of the run
	ids     map[string]bool // every organization id of the run
	order   []string        // the organizations folders, in listing order
}

// awsManagedArn reports whether arn is an AWS managed policy's.
func awsManagedArn(arn string) bool { return iamarn.IsAWSManagedPolicy(arn) }

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
func addStatements(b *batch, policyID, source string, account V, d policy.Document) {
	addStatementsTo(b, tStatements, policyID, source, account, d)
}

// addStatementsTo flattens a parsed document into rows of t, one of the
// tables with statementCols.
func addStatementsTo(b *batch, t table, policyID, source string, account V, d policy.Document) {
	pid, src := txt(policyID), txt(source)
	for i, s := range d.Statement {
		actions, notAction := s.Action, b2i(false)
		if len(s.NotAction) > 0 {
			actions, notAction = s.NotAction, b2i(true)
		}
		resources, notResource := s.Resource, b2i(false)
		if len(s.NotResource) > 0 {
			resources, notResource = s.NotResource, b2i(true)
		}
		cond := b2i(s.HasCondition())
		effect := s.Effect
		if effect == "" {
			effect = "Allow"
		}
		idx, sid, eff := num(int64(i)), nz(s.Sid), txt(effect)
		nacts := max(len(actions), 1)
		for ai := 0; ai < nacts; ai++ {
			act, svc := null, null
			if ai < len(actions) {
				act, svc = txt(actions[ai]), txt(serviceOf(actions[ai]))
			}
			if len(resources) == 0 {
				b.add(t, pid, src, account, idx, sid, eff, act, notAction, svc, null, notResource, cond)
				continue
			}
			for _, r := range resources {
				b.add(t, pid, src, account, idx, sid, eff, act, notAction, svc, txt(r), notResource, cond)
			}
		}
	}
}

// addManagedPolicy adds a managed policy, its versions and its default
// version's statements. account is NULL for AWS managed policies.
func addManagedPolicy(b *batch, p snapshot.ManagedPolicy, account V, where string) error {
	aws := awsManagedArn(p.Arn)
	b.add(tPolicies, txt(p.Arn), account, txt(p.PolicyName), nz(p.PolicyID), nz(p.Path), b2i(aws), nz(p.DefaultVersionID),
		num(int64(p.AttachmentCount)), num(int64(p.PermissionsBoundaryUsageCount)), ts(p.CreateDate), ts(p.UpdateDate), nz(p.Description))
	for _, v := range p.PolicyVersionList {
		isDefault := v.IsDefaultVersion || (p.DefaultVersionID != "" && v.VersionID == p.DefaultVersionID)
		b.add(tPolicyVersions, txt(p.Arn), txt(v.VersionID), b2i(isDefault), ts(v.CreateDate), doc(v.Document))
	}
	d, err := policy.Parse(p.DefaultDocument())
	if err != nil {
		return fmt.Errorf("%s: policy %s default version: %w", where, p.Arn, err)
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
func arnAccount(arn string) string { return iamarn.Account(arn) }

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

// user, role and mfaDevice are the stored shapes (snapshot.User, Role,
// MFADevice) less what the index does not keep: tags and a role's instance
// profiles are skipped by the decoder instead of allocated.
type user struct {
	Path                    string                    `json:"Path"`
	UserName                string                    `json:"UserName"`
	UserID                  string                    `json:"UserId"`
	Arn                     string                    `json:"Arn"`
	CreateDate              *time.Time                `json:"CreateDate"`
	UserPolicyList          []snapshot.InlinePolicy   `json:"UserPolicyList"`
	GroupList               []string                  `json:"GroupList"`
	AttachedManagedPolicies []snapshot.AttachedPolicy `json:"AttachedManagedPolicies"`
	PermissionsBoundary     *snapshot.Boundary        `json:"PermissionsBoundary"`
	AccessKeys              []snapshot.AccessKey      `json:"AccessKeys"`
}

type role struct {
	Path                     string                    `json:"Path"`
	RoleName                 string                    `json:"RoleName"`
	RoleID                   string                    `json:"RoleId"`
	Arn                      string                    `json:"Arn"`
	CreateDate               *time.Time                `json:"CreateDate"`
	AssumeRolePolicyDocument json.RawMessage           `json:"AssumeRolePolicyDocument"`
	RolePolicyList           []snapshot.InlinePolicy   `json:"RolePolicyList"`
	AttachedManagedPolicies  []snapshot.AttachedPolicy `json:"AttachedManagedPolicies"`
	PermissionsBoundary      *snapshot.Boundary        `json:"PermissionsBoundary"`
	RoleLastUsed             *snapshot.RoleLastUsed    `json:"RoleLastUsed"`
}

type mfaDevice struct {
	User *snapshot.MFAUser `json:"User"`
}

// accountBatch reads one account's stored files into a batch. A failed or
// partial account contributes what was stored. A file of the account that
// cannot be read or parsed is left out and the account's scan_status says
// partial, naming it in scan_error: one account's damaged file never fails
// the organization's index.
func accountBatch(ctx context.Context, r snapshot.Reader, a snapshot.Account, orgs *orgInfo) (*batch, error) {
	d, err := readAccount(ctx, r, a)
	if err != nil {
		return nil, err
	}
	b := newBatch()
	if err := addAccountData(b, d, orgs); err != nil {
		// A document that does not parse: the account keeps its line, and
		// none of its rows (a half-indexed account would answer wrongly).
		b.release()
		b = newBatch()
		d.problems = append(d.problems, err.Error())
	}
	addResourceData(b, d, orgs)
	addAccountRow(b, d)
	return b, nil
}

// accountFiles is what accountBatch read of one account.
type accountFiles struct {
	a        snapshot.Account
	hasInfo  bool
	info     accountInfo
	erec     *snapshot.ErrorRecord
	users    []user
	roles    []role
	groups   []snapshot.Group
	policies []snapshot.ManagedPolicy
	mfas     []mfaDevice
	report   []snapshot.CredentialReportRow
	// resources is resources.json (nil when absent), regions the
	// account's region scans.
	resources *snapshot.AccountResources
	regions   []snapshot.RegionScan
	// problems are the files that could not be read or parsed.
	problems []string
}

// accountInfo is account.json, read for the fields the index keeps (its
// summary maps, password policy and scan counts are skipped, not decoded).
// case:ignore reads schema version 1 too (snapshot.SchemaVersion).
type accountInfo struct {
	snapshot.Account
	Partition   string    `json:"partition,case:ignore"`
	Aliases     []string  `json:"aliases,case:ignore"`
	CollectedAt time.Time `json:"collectedAt,case:ignore"`
}

func readAccount(ctx context.Context, r snapshot.Reader, a snapshot.Account) (*accountFiles, error) {
	d := &accountFiles{a: a}
	id := a.ID
	// note records a file's problem; only a cancelled build is an error.
	note := func(what string, err error) error {
		if err == nil || errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d.problems = append(d.problems, what+": "+err.Error())
		return nil
	}
	err := snapshot.ReadJSON(ctx, r.Store, store.AccountKey(r.Run, id), &d.info)
	d.hasInfo = err == nil
	if err := note("account.json", err); err != nil {
		return nil, err
	}
	if !d.hasInfo {
		d.info = accountInfo{}
	}
	erec, err := r.Error(ctx, id)
	if err := note("error.json", err); err != nil {
		return nil, err
	}
	d.erec = erec
	for _, ds := range []struct {
		name string
		v    any
	}{{store.DataUsers, &d.users}, {store.DataRoles, &d.roles}, {store.DataGroups, &d.groups}, {store.DataPolicies, &d.policies}, {store.DataMFADevices, &d.mfas}} {
		if err := r.IAM(ctx, id, ds.name, ds.v); err != nil {
			if err := note("iam/"+ds.name+".json", err); err != nil {
				return nil, err
			}
			// A data set that did not parse counts as absent, not as
			// whatever part of it the decoder had filled.
			reflect.ValueOf(ds.v).Elem().SetZero()
		}
	}
	report, _, err := r.CredentialReport(ctx, id)
	if err := note("credential-report.csv", err); err != nil {
		return nil, err
	}
	d.report = report
	if err := readResources(ctx, r, d, note); err != nil {
		return nil, err
	}
	return d, nil
}

// addAccountRow adds the account's line: its scan status is ok (account.json
// present), failed (error.json present), partial (some files unreadable) or
// missing.
func addAccountRow(b *batch, d *accountFiles) {
	status, phase, msg := "missing", "", ""
	if d.hasInfo {
		status = "ok"
	}
	if d.erec != nil {
		status, phase, msg = "failed", d.erec.Phase, d.erec.Message
	}
	if len(d.problems) > 0 {
		if status != "failed" {
			status = "partial"
		}
		why := "unreadable: " + strings.Join(d.problems, "; ")
		if msg != "" {
			msg += "; " + why
		} else {
			msg = why
		}
	}
	acct := d.a
	if d.hasInfo {
		acct = mergeAccount(d.a, d.info.Account)
	}
	alias := ""
	if len(d.info.Aliases) > 0 {
		alias = d.info.Aliases[0]
	}
	collected := null
	if d.hasInfo && !d.info.CollectedAt.IsZero() {
		collected = ts(&d.info.CollectedAt)
	}
	b.add(tAccounts, txt(d.a.ID), nz(acct.Name), nz(acct.Email), nz(acct.OrgID), nz(acct.OUPath), nz(acct.Status), nz(alias),
		b2i(acct.Management), nz(d.info.Partition), txt(status), nz(phase), nz(msg), collected)
}

// addAccountData adds the account's principals, policies, statements,
// trusts, keys and credential report rows.
func addAccountData(b *batch, d *accountFiles, orgs *orgInfo) error {
	id := d.a.ID
	where := "account " + id
	acc := txt(id)
	users, roles, groups, policies, mfas, report := d.users, d.roles, d.groups, d.policies, d.mfas, d.report
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
		if err := addManagedPolicy(b, p, acc, where+": "+store.DataPolicies); err != nil {
			return err
		}
	}

	// Groups first: members name them. A member's policies through its
	// groups are not stored: the attachments view joins group_members.
	groupArn := map[string]string{}
	for _, g := range groups {
		groupArn[g.GroupName] = g.Arn
		garn := txt(g.Arn)
		b.add(tPrincipals, garn, txt("group"), acc, txt(g.GroupName), nz(g.GroupID), nz(g.Path), ts(g.CreateDate), null, null, null, null, null)
		if err := addPolicies(b, g.Arn, acc, g.AttachedManagedPolicies, g.GroupPolicyList, where); err != nil {
			return err
		}
	}

	for _, u := range users {
		row := reportByUser[u.UserName]
		uarn := txt(u.Arn)
		lastUsed, pwEnabled, mfa := null, null, null
		if row != nil {
			lastUsed = ts(row.LastActivity())
			pwEnabled = b2i(row.PasswordEnabled.Bool())
			switch {
			case !row.MFAActive:
				mfa = txt("none")
			case virtual[u.Arn] || virtual["name:"+u.UserName]:
				mfa = txt("virtual")
			default:
				mfa = txt("hardware")
			}
		}
		boundary := null
		if u.PermissionsBoundary != nil {
			boundary = nz(u.PermissionsBoundary.PermissionsBoundaryArn)
		}
		b.add(tPrincipals, uarn, txt("user"), acc, txt(u.UserName), nz(u.UserID), nz(u.Path), ts(u.CreateDate), lastUsed, null, pwEnabled, mfa, boundary)
		if err := addPolicies(b, u.Arn, acc, u.AttachedManagedPolicies, u.UserPolicyList, where); err != nil {
			return err
		}
		for _, g := range u.GroupList {
			garn := groupArn[g]
			if garn == "" {
				garn = groupArnFor(u.Arn, g)
			}
			b.add(tGroupMembers, txt(garn), txt(g), uarn, txt(u.UserName), acc)
		}
		for _, k := range u.AccessKeys {
			lu, svc, region := null, null, null
			if row != nil {
				for _, slot := range row.AccessKeys {
					if slot.LastRotated != nil && k.CreateDate != nil && slot.LastRotated.Unix() == k.CreateDate.Unix() {
						lu, svc, region = ts(slot.LastUsedDate), nz(slot.LastUsedService), nz(slot.LastUsedRegion)
						break
					}
				}
			}
			b.add(tAccessKeys, txt(k.AccessKeyID), uarn, txt(u.UserName), acc, nz(k.Status), ts(k.CreateDate), lu, svc, region)
		}
	}

	for _, ro := range roles {
		rarn := txt(ro.Arn)
		lastUsed, region := null, null
		if ro.RoleLastUsed != nil {
			lastUsed, region = ts(ro.RoleLastUsed.LastUsedDate), nz(ro.RoleLastUsed.Region)
		}
		boundary := null
		if ro.PermissionsBoundary != nil {
			boundary = nz(ro.PermissionsBoundary.PermissionsBoundaryArn)
		}
		b.add(tPrincipals, rarn, txt("role"), acc, txt(ro.RoleName), nz(ro.RoleID), nz(ro.Path), ts(ro.CreateDate), lastUsed, region, null, null, boundary)
		if err := addPolicies(b, ro.Arn, acc, ro.AttachedManagedPolicies, ro.RolePolicyList, where); err != nil {
			return err
		}
		d, err := policy.Parse(ro.AssumeRolePolicyDocument)
		if err != nil {
			return fmt.Errorf("%s: role %s trust policy: %w", where, ro.Arn, err)
		}
		addStatements(b, "trust:"+ro.Arn, "trust", acc, d)
		for i, s := range d.Statement {
			acts := strings.Join(s.Action, ",")
			extID := b2i(hasExternalID(s.Condition))
			cond := b2i(s.HasCondition())
			for _, pv := range s.Principal.All() {
				ta := trustedAccount(pv[0], pv[1])
				cross := ta != "" && ta != id
				external := cross && (ta == "*" || !orgs.members[ta])
				b.add(tTrusts, rarn, txt(ro.RoleName), acc, num(int64(i)), txt(s.Effect), nz(acts), txt(pv[0]), txt(pv[1]), nz(ta), b2i(cross), b2i(external), extID, cond)
			}
		}
	}

	for _, row := range report {
		k1, k2 := row.AccessKeys[0], row.AccessKeys[1]
		b.add(tCredentialReport, acc, txt(row.User), nz(row.Arn), ts(row.UserCreationTime), nz(string(row.PasswordEnabled)),
			ts(row.PasswordLastUsed), b2i(row.PasswordLastUsedNoInfo), ts(row.PasswordLastChanged), ts(row.PasswordNextRotation), b2i(row.MFAActive),
			b2i(k1.Active), ts(k1.LastRotated), ts(k1.LastUsedDate), nz(k1.LastUsedRegion), nz(k1.LastUsedService),
			b2i(k2.Active), ts(k2.LastRotated), ts(k2.LastUsedDate), nz(k2.LastUsedRegion), nz(k2.LastUsedService),
			b2i(row.Certs[0].Active), ts(row.Certs[0].LastRotated), b2i(row.Certs[1].Active), ts(row.Certs[1].LastRotated))
	}
	return nil
}

func managedKind(arn string) string {
	if awsManagedArn(arn) {
		return "aws"
	}
	return "customer"
}

// groupArnFor guesses a group's ARN from a member's ARN when groups.json lacks it.
func groupArnFor(userArn, group string) string {
	if a, ok := iamarn.Parse(userArn); ok && a.Type == "user" {
		return a.Sibling("group", group)
	}
	return "group:" + group
}

// addPolicies adds a principal's attachments (its managed policies, then its
// inline ones), and each inline policy with its statements.
func addPolicies(b *batch, principalArn string, acc V, managed []snapshot.AttachedPolicy, inline []snapshot.InlinePolicy, where string) error {
	parn := txt(principalArn)
	for _, ap := range managed {
		b.add(tPolicyAttachments, parn, acc, txt(ap.PolicyArn), txt(ap.PolicyName), txt(managedKind(ap.PolicyArn)))
	}
	for _, ip := range inline {
		pid := txt(inlineID(principalArn, ip.PolicyName))
		b.add(tInlinePolicies, pid, parn, acc, txt(ip.PolicyName), doc(ip.PolicyDocument))
		d, err := policy.Parse(ip.PolicyDocument)
		if err != nil {
			return fmt.Errorf("%s: %s inline policy %s: %w", where, principalArn, ip.PolicyName, err)
		}
		addStatements(b, pid.S, "inline", acc, d)
		b.add(tPolicyAttachments, parn, acc, pid, txt(ip.PolicyName), txt("inline"))
	}
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
	if out.OrgID == "" {
		out.OrgID = stored.OrgID
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
