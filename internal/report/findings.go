package report

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/orgiam/orgiam/internal/policy"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// Severities and statuses of findings.
const (
	SeverityHigh   = "high"
	SeverityMedium = "medium"
	SeverityLow    = "low"

	StatusFail = "FAIL"
	StatusPass = "PASS"
)

// Check is one CIS AWS Foundations Benchmark IAM recommendation.
type Check struct {
	// ID is the number in CIS AWS Foundations Benchmark v5.0.0.
	ID string
	// Legacy is the number in v1.4.0 to v4.0.1 (the IAM section kept the same
	// numbering over those versions; v5.0.0 dropped "security questions", 1.3,
	// and renumbered the rest one lower).
	Legacy   string
	Title    string
	Severity string
}

// The CIS checks this package evaluates. Numbering is kept here and only
// here, so a correction is one edit.
var (
	CheckRootAccessKey    = Check{"1.3", "1.4", "Ensure no 'root' user account access key exists", SeverityHigh}
	CheckRootMFA          = Check{"1.4", "1.5", "Ensure MFA is enabled for the 'root' user account", SeverityHigh}
	CheckRootHardwareMFA  = Check{"1.5", "1.6", "Ensure hardware MFA is enabled for the 'root' user account", SeverityMedium}
	CheckRootUse          = Check{"1.6", "1.7", "Eliminate use of the 'root' user for administrative and daily tasks", SeverityHigh}
	CheckPasswordLength   = Check{"1.7", "1.8", "Ensure IAM password policy requires minimum length of 14 or greater", SeverityMedium}
	CheckPasswordReuse    = Check{"1.8", "1.9", "Ensure IAM password policy prevents password reuse", SeverityLow}
	CheckConsoleMFA       = Check{"1.9", "1.10", "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password", SeverityHigh}
	CheckUnusedCreds      = Check{"1.11", "1.12", "Ensure credentials unused for 45 days or more are disabled", SeverityMedium}
	CheckOneActiveKey     = Check{"1.12", "1.13", "Ensure there is only one active access key for any single IAM user", SeverityLow}
	CheckKeyRotation      = Check{"1.13", "1.14", "Ensure access keys are rotated every 90 days or less", SeverityMedium}
	CheckGroupPermissions = Check{"1.14", "1.15", "Ensure IAM users receive permissions only through groups", SeverityLow}
	CheckAdminPolicy      = Check{"1.15", "1.16", "Ensure IAM policies that allow full \"*:*\" administrative privileges are not attached", SeverityHigh}
	CheckSupportRole      = Check{"1.16", "1.17", "Ensure a support role has been created to manage incidents with AWS Support", SeverityLow}
)

// Checks lists every check in benchmark order.
var Checks = []Check{
	CheckRootAccessKey, CheckRootMFA, CheckRootHardwareMFA, CheckRootUse,
	CheckPasswordLength, CheckPasswordReuse, CheckConsoleMFA, CheckUnusedCreds,
	CheckOneActiveKey, CheckKeyRotation, CheckGroupPermissions, CheckAdminPolicy, CheckSupportRole,
}

// rootUseDays is the window of CIS 1.6 (root used recently).
const rootUseDays = 90

// Principal values for findings that are not about an IAM user or policy.
const (
	PrincipalRoot    = "root"
	PrincipalAccount = "account"
)

// Finding is one result of a check for one principal of one account.
type Finding struct {
	AccountID   string `json:"account_id"`
	AccountName string `json:"account_name"`
	// Principal is an IAM user or policy ARN, "root" or "account".
	Principal string `json:"principal"`
	CheckID   string `json:"check_id"`
	// CheckIDLegacy is the number in CIS v1.4.0–v4.0.1.
	CheckIDLegacy string `json:"check_id_legacy"`
	Title         string `json:"title"`
	Severity      string `json:"severity"`
	Status        string `json:"status"`
	Evidence      string `json:"evidence"`
}

// Key identifies a finding across runs.
func (f Finding) Key() string { return f.AccountID + "|" + f.Principal + "|" + f.CheckID }

// FindingColumns are the findings CSV columns.
var FindingColumns = []string{"account_id", "account_name", "principal", "check_id", "check_id_legacy", "title", "severity", "status", "evidence"}

// Cells flattens a finding into FindingColumns' order.
func (f Finding) Cells() []string {
	return []string{f.AccountID, f.AccountName, f.Principal, f.CheckID, f.CheckIDLegacy, f.Title, f.Severity, f.Status, f.Evidence}
}

// Findings evaluates the CIS IAM checks for every account of the run. Only
// FAIL rows are returned unless o.IncludePass. A check whose input an account
// lacks (a failed scan without a credential report, say) is not evaluated
// for that account.
func Findings(ctx context.Context, r snapshot.Reader, o Options) ([]Finding, error) {
	o = o.withDefaults()
	rn, err := openRun(ctx, r)
	if err != nil {
		return nil, err
	}
	out := []Finding{}
	err = rn.eachAccount(ctx, r, func(group []*acct) error {
		out = append(out, groupFindings(rn, group, o)...)
		return nil
	})
	return out, err
}

// groupFindings is the findings of the list entries that share one account
// id, in the report's order.
func groupFindings(rn *run, group []*acct, o Options) []Finding {
	var out []Finding
	for _, a := range group {
		out = append(out, accountFindings(rn, a, o)...)
	}
	sortFindings(out)
	return out
}

var checkOrder = func() map[string]int {
	m := map[string]int{}
	for i, c := range Checks {
		m[c.ID] = i
	}
	return m
}()

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.AccountID != b.AccountID {
			return a.AccountID < b.AccountID
		}
		if a.CheckID != b.CheckID {
			return checkOrder[a.CheckID] < checkOrder[b.CheckID]
		}
		return a.Principal < b.Principal
	})
}

// NewHighFindings counts high-severity FAIL findings in cur that are not in
// prev (matched by account, principal and check).
func NewHighFindings(prev, cur []Finding) int {
	old := map[string]bool{}
	for _, f := range prev {
		if f.Status == StatusFail {
			old[f.Key()] = true
		}
	}
	n := 0
	counted := map[string]bool{}
	for _, f := range cur {
		k := f.Key()
		if f.Severity == SeverityHigh && f.Status == StatusFail && !old[k] && !counted[k] {
			counted[k] = true
			n++
		}
	}
	return n
}

// emitter collects one account's findings.
type emitter struct {
	a    *acct
	o    Options
	out  []Finding
	pass bool
}

func (e *emitter) add(c Check, principal string, fail bool, evidence string) {
	if !fail && !e.pass {
		return
	}
	st := StatusPass
	if fail {
		st = StatusFail
	}
	e.out = append(e.out, Finding{
		AccountID: e.a.account.ID, AccountName: e.a.name(), Principal: principal,
		CheckID: c.ID, CheckIDLegacy: c.Legacy, Title: c.Title, Severity: c.Severity,
		Status: st, Evidence: evidence,
	})
}

func accountFindings(rn *run, a *acct, o Options) []Finding {
	e := &emitter{a: a, o: o, pass: o.IncludePass}
	checkRoot(e)
	checkPasswordPolicy(e)
	if a.report != nil || a.users != nil {
		checkUsers(rn, e)
	}
	checkPolicies(e)
	checkSupportRole(e)
	return e.out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func checkRoot(e *emitter) {
	a := e.a
	root := a.rootRow()
	var summary map[string]int32
	if a.info != nil {
		summary = a.info.Summary
	}
	// 1.3 root access key.
	switch {
	case root != nil:
		var active []string
		for i, k := range root.AccessKeys {
			if k.Active {
				active = append(active, fmt.Sprintf("key %d (last rotated %s)", i+1, dateOr(k.LastRotated, "unknown")))
			}
		}
		if len(active) > 0 {
			e.add(CheckRootAccessKey, PrincipalRoot, true, "The root user has an active access key: "+strings.Join(active, ", ")+".")
		} else {
			e.add(CheckRootAccessKey, PrincipalRoot, false, "The credential report shows no active root access key.")
		}
	case summary != nil:
		if n := summary["AccountAccessKeysPresent"]; n > 0 {
			e.add(CheckRootAccessKey, PrincipalRoot, true, fmt.Sprintf("The account summary reports AccountAccessKeysPresent=%d.", n))
		} else {
			e.add(CheckRootAccessKey, PrincipalRoot, false, "The account summary reports no root access key.")
		}
	}
	// 1.4 root MFA and 1.5 root hardware MFA.
	mfaKnown, mfaOn := false, false
	switch {
	case root != nil:
		mfaKnown, mfaOn = true, root.MFAActive
	case summary != nil:
		if v, ok := summary["AccountMFAEnabled"]; ok {
			mfaKnown, mfaOn = true, v > 0
		}
	}
	if mfaKnown {
		if mfaOn {
			e.add(CheckRootMFA, PrincipalRoot, false, "MFA is active on the root user.")
		} else {
			e.add(CheckRootMFA, PrincipalRoot, true, "MFA is not active on the root user.")
		}
		switch virtual := rootVirtualMFA(a); {
		case !mfaOn:
			e.add(CheckRootHardwareMFA, PrincipalRoot, true, "The root user has no MFA at all.")
		case virtual != "":
			e.add(CheckRootHardwareMFA, PrincipalRoot, true, "The root user's MFA is the virtual device "+virtual+".")
		default:
			e.add(CheckRootHardwareMFA, PrincipalRoot, false, "Root MFA is active and no virtual MFA device is assigned to root.")
		}
	}
	// 1.6 root used recently.
	if root != nil {
		var uses []string
		var last *time.Time
		consider := func(t *time.Time, what string) {
			if t != nil && days(e.o.Now, *t) < rootUseDays {
				uses = append(uses, what+" on "+fmtDate(t))
			}
			if t != nil && (last == nil || t.After(*last)) {
				last = t
			}
		}
		consider(root.PasswordLastUsed, "password used")
		for i, k := range root.AccessKeys {
			consider(k.LastUsedDate, fmt.Sprintf("access key %d used", i+1))
		}
		if len(uses) > 0 {
			e.add(CheckRootUse, PrincipalRoot, true, fmt.Sprintf("The root user was used in the last %d days: %s.", rootUseDays, strings.Join(uses, ", ")))
		} else {
			ev := "The root user has no recorded password or access key use."
			if last != nil {
				ev = "The root user was last used " + fmtDate(last) + "."
			}
			e.add(CheckRootUse, PrincipalRoot, false, ev)
		}
	}
}

func dateOr(t *time.Time, or string) string {
	if t == nil {
		return or
	}
	return fmtDate(t)
}

// rootVirtualMFA returns the serial of a virtual MFA device of the root user ("" if none).
func rootVirtualMFA(a *acct) string {
	rootArn := a.rootArn()
	for _, d := range a.mfa {
		if strings.HasSuffix(d.SerialNumber, ":mfa/root-account-mfa-device") && strings.Contains(d.SerialNumber, ":"+a.account.ID+":") {
			return d.SerialNumber
		}
		if d.User != nil && (d.User.Arn == rootArn || strings.HasSuffix(d.User.Arn, "::"+a.account.ID+":root")) {
			return d.SerialNumber
		}
	}
	return ""
}

func checkPasswordPolicy(e *emitter) {
	if e.a.info == nil {
		return
	}
	pp := e.a.info.PasswordPolicy
	if pp == nil {
		e.add(CheckPasswordLength, PrincipalAccount, true, "The account has no IAM password policy.")
		e.add(CheckPasswordReuse, PrincipalAccount, true, "The account has no IAM password policy.")
		return
	}
	e.add(CheckPasswordLength, PrincipalAccount, pp.MinimumPasswordLength < 14,
		fmt.Sprintf("The password policy's minimum length is %d (at least 14 required).", pp.MinimumPasswordLength))
	e.add(CheckPasswordReuse, PrincipalAccount, pp.PasswordReusePrevention < 24,
		fmt.Sprintf("The password policy prevents reuse of the last %d passwords (24 required).", pp.PasswordReusePrevention))
}

func checkUsers(rn *run, e *emitter) {
	o := e.o
	for _, p := range e.a.principals() {
		u, row := p.user, p.row
		who := u.Arn
		if who == "" {
			who = u.UserName
		}
		if row != nil {
			// 1.9 MFA for console users.
			if row.PasswordEnabled.Bool() {
				if row.MFAActive {
					e.add(CheckConsoleMFA, who, false, "User has a console password and MFA.")
				} else {
					e.add(CheckConsoleMFA, who, true, "User has a console password and no MFA.")
				}
			}
			// 1.11 credentials unused 45+ days.
			var unused []string
			creds := 0
			if row.PasswordEnabled.Bool() {
				creds++
				if s := unusedFor(row.PasswordLastUsed, row.PasswordLastChanged, u.CreateDate, o); s != "" {
					unused = append(unused, "password "+s)
				}
			}
			for i, k := range row.AccessKeys {
				if !k.Active {
					continue
				}
				creds++
				if s := unusedFor(k.LastUsedDate, k.LastRotated, nil, o); s != "" {
					unused = append(unused, fmt.Sprintf("access key %d %s", i+1, s))
				}
			}
			if creds > 0 {
				if len(unused) > 0 {
					e.add(CheckUnusedCreds, who, true, fmt.Sprintf("Enabled credentials unused for %d days or more: %s.", o.UnusedDays, strings.Join(unused, "; ")))
				} else {
					e.add(CheckUnusedCreds, who, false, fmt.Sprintf("Every enabled credential was used in the last %d days.", o.UnusedDays))
				}
			}
		}
		// 1.12 one active key and 1.13 rotation: users.json keys, else report slots.
		keys := activeKeys(u, row)
		if len(keys) > 1 {
			ids := make([]string, len(keys))
			for i, k := range keys {
				ids[i] = k.id
			}
			e.add(CheckOneActiveKey, who, true, fmt.Sprintf("User has %d active access keys: %s.", len(keys), strings.Join(ids, ", ")))
		} else if len(keys) == 1 {
			e.add(CheckOneActiveKey, who, false, "User has one active access key.")
		}
		if len(keys) > 0 {
			var old []string
			for _, k := range keys {
				if k.created != nil && days(o.Now, *k.created) > o.KeyMaxAgeDays {
					old = append(old, fmt.Sprintf("%s created %s (%d days)", k.id, fmtDate(k.created), days(o.Now, *k.created)))
				}
			}
			if len(old) > 0 {
				e.add(CheckKeyRotation, who, true, fmt.Sprintf("Active access keys older than %d days: %s.", o.KeyMaxAgeDays, strings.Join(old, "; ")))
			} else {
				e.add(CheckKeyRotation, who, false, fmt.Sprintf("Every active access key is %d days old or less.", o.KeyMaxAgeDays))
			}
		}
		// 1.14 permissions only through groups (needs users.json).
		if u.UserID != "" || u.GroupList != nil || u.AttachedManagedPolicies != nil || u.UserPolicyList != nil {
			var direct []string
			for _, pl := range u.AttachedManagedPolicies {
				direct = append(direct, pl.PolicyName+" (attached)")
			}
			for _, pl := range u.UserPolicyList {
				direct = append(direct, pl.PolicyName+" (inline)")
			}
			if len(direct) > 0 {
				e.add(CheckGroupPermissions, who, true, "Policies on the user itself: "+strings.Join(direct, ", ")+".")
			} else {
				e.add(CheckGroupPermissions, who, false, "User has no attached or inline policies.")
			}
		}
	}
}

// unusedFor describes a credential unused for UnusedDays or more ("" if it
// was used recently or is younger than that). A never-used credential counts
// from since (when it was set) or else from created.
func unusedFor(lastUsed, since, created *time.Time, o Options) string {
	if lastUsed != nil {
		if d := days(o.Now, *lastUsed); d >= o.UnusedDays {
			return fmt.Sprintf("last used %s (%d days ago)", fmtDate(lastUsed), d)
		}
		return ""
	}
	from := since
	if from == nil {
		from = created
	}
	if from == nil {
		return "never used"
	}
	if d := days(o.Now, *from); d >= o.UnusedDays {
		return fmt.Sprintf("never used since %s (%d days)", fmtDate(from), d)
	}
	return ""
}

type activeKey struct {
	id      string
	created *time.Time
}

func activeKeys(u snapshot.User, row *snapshot.CredentialReportRow) []activeKey {
	var out []activeKey
	if u.AccessKeys != nil {
		for _, k := range u.AccessKeys {
			if strings.EqualFold(k.Status, "Active") {
				out = append(out, activeKey{k.AccessKeyID, k.CreateDate})
			}
		}
		return out
	}
	if row == nil {
		return nil
	}
	for i, k := range row.AccessKeys {
		if k.Active {
			out = append(out, activeKey{fmt.Sprintf("key %d", i+1), k.LastRotated})
		}
	}
	return out
}

func checkPolicies(e *emitter) {
	for _, p := range e.a.policies {
		doc, err := policy.Parse(p.DefaultDocument())
		if err != nil {
			e.add(CheckAdminPolicy, p.Arn, false, "Default version could not be parsed: "+err.Error())
			continue
		}
		if doc.IsAdmin() {
			e.add(CheckAdminPolicy, p.Arn, true, fmt.Sprintf("Default version %s allows \"*:*\" on \"*\"; %s.",
				p.DefaultVersionID, plural(int(p.AttachmentCount), "attachment", "attachments")))
		} else {
			e.add(CheckAdminPolicy, p.Arn, false, fmt.Sprintf("Default version %s does not allow \"*:*\" on \"*\".", p.DefaultVersionID))
		}
	}
}

func checkSupportRole(e *emitter) {
	a := e.a
	if a.roles == nil {
		return // roles.json missing: nothing to judge
	}
	var with []string
	for _, r := range a.roles {
		for _, p := range r.AttachedManagedPolicies {
			if isAWSManagedArn(p.PolicyArn) && strings.HasSuffix(p.PolicyArn, ":policy/AWSSupportAccess") {
				with = append(with, r.RoleName)
				break
			}
		}
	}
	if len(with) == 0 {
		e.add(CheckSupportRole, PrincipalAccount, true, fmt.Sprintf("None of the account's %s has AWSSupportAccess attached.", plural(len(a.roles), "role", "roles")))
		return
	}
	sort.Strings(with)
	e.add(CheckSupportRole, PrincipalAccount, false, "AWSSupportAccess is attached to: "+strings.Join(with, ", ")+".")
}

// DecodeFindings reads findings.json as WriteDoc writes it: a JSON array of
// findings, or {"notes": [...], "findings": [...]} when the report has notes.
// It decodes with the encoding/json v2 engine (one pass; the file holds tens
// of thousands of findings for a large organization).
func DecodeFindings(data []byte) ([]Finding, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		var wrapped struct {
			Findings []Finding `json:"findings"`
		}
		err := jsonv2.Unmarshal(data, &wrapped)
		return wrapped.Findings, err
	}
	var list []Finding
	err := jsonv2.Unmarshal(data, &list)
	return list, err
}

// EachFinding reads findings.json as WriteDoc writes it (a JSON array of
// findings, or {"notes": [...], "findings": [...]}) one finding at a time,
// calling fn with each (the value is reused). It decodes as DecodeFindings
// does, as a stream: findings.json is a hundred megabytes at 10,000 accounts.
func EachFinding(r io.Reader, fn func(*Finding) error) error {
	dec := jsontext.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() == '{' {
		found := false
		for dec.PeekKind() != '}' {
			name, err := dec.ReadToken()
			if err != nil {
				return err
			}
			if name.String() == "findings" {
				found = true
				break
			}
			if err := dec.SkipValue(); err != nil {
				return err
			}
		}
		if !found {
			return nil
		}
		if tok, err = dec.ReadToken(); err != nil {
			return err
		}
	}
	if tok.Kind() == 'n' {
		return nil
	}
	if tok.Kind() != '[' {
		return fmt.Errorf("want an array of findings, found %v", tok.Kind())
	}
	var f Finding
	for dec.PeekKind() != ']' {
		f = Finding{}
		if err := jsonv2.UnmarshalDecode(dec, &f); err != nil {
			return err
		}
		if err := fn(&f); err != nil {
			return err
		}
	}
	return nil
}

// FailKeys reads findings.json as a stream and returns the keys (Key) of
// its FAIL findings, only the high-severity ones if highOnly: one short
// string per such finding is all it keeps. NewHighFindings(prev, cur) is the
// number of FailKeys(cur, true) not in FailKeys(prev, false).
func FailKeys(r io.Reader, highOnly bool) (map[string]bool, error) {
	keys := map[string]bool{}
	err := EachFinding(r, func(f *Finding) error {
		if f.Status == StatusFail && (!highOnly || f.Severity == SeverityHigh) {
			keys[f.Key()] = true
		}
		return nil
	})
	return keys, err
}
