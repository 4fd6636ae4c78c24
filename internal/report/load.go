// Package report builds the organization-wide reports of a run (users,
// credentials, CIS IAM findings, a per-account summary) from the files of a
// snapshot, and writes them as CSV, JSON, Markdown or self-contained HTML.
//
// Reports read a run through snapshot.Reader and do not need its manifest: the
// collect run writes its reports before the manifest. Accounts come from the
// run's account list; an account whose scan failed is still reported from
// whatever files it left, and its status says it failed; an account some of
// whose files cannot be read is reported from the others, as partial.
//
// The accounts are read one at a time and their rows spooled to temporary
// files (stream.go), so memory does not grow with the organization beyond
// one line per account in the summary.
package report

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/evaluate"
	"github.com/orgiam/orgiam/internal/iamarn"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// Options tunes the reports.
type Options struct {
	// Now is the reference time for ages; zero means time.Now().
	Now time.Time
	// StaleDays: a user with no password or key use in this many days is stale (default 90).
	StaleDays int
	// UnusedDays: credentials unused this many days fail CIS 1.11 (default 45).
	UnusedDays int
	// KeyMaxAgeDays: active keys older than this fail CIS 1.13 (default 90).
	KeyMaxAgeDays int
	// IncludePass adds PASS rows to the findings.
	IncludePass bool
	// Mutes marks the findings an accepted-risk list matches as muted (nil:
	// none): they are listed, and not counted in the summary or by gates.
	Mutes Muter
	// Tally, when set, counts the findings as they are made (for
	// --fail-on): each finding once per report written.
	Tally *Tally
	// History gives each finding its first-seen time. Nil: the reports
	// that read a store (Findings, WriteAll, WriteReport) load it from the
	// previous complete run (LoadHistory).
	History *History
	// CheckIDs, when not empty, limits the findings to these checks.
	CheckIDs map[string]bool
	// ASFFRegion and ASFFProductAccount place the ASFF findings
	// (ASFFOptions); ToolVersion is the OCSF and SARIF producer's version.
	ASFFRegion, ASFFProductAccount, ToolVersion string
}

func (o Options) withDefaults() Options {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC()
	if o.StaleDays <= 0 {
		o.StaleDays = 90
	}
	if o.UnusedDays <= 0 {
		o.UnusedDays = 45
	}
	if o.KeyMaxAgeDays <= 0 {
		o.KeyMaxAgeDays = 90
	}
	return o
}

// acct is everything the reports need about one account of a run. The
// reports hold one account (or the few list entries sharing one id) at a
// time: it is loaded, reported and let go.
type acct struct {
	// pos is the account's position in the run's account list.
	pos      int
	account  snapshot.Account
	result   snapshot.AccountResult
	info     *snapshot.AccountInfo // nil when account.json is missing
	users    []snapshot.User
	groups   []snapshot.Group
	roles    []snapshot.Role
	policies []snapshot.ManagedPolicy
	mfa      []snapshot.MFADevice
	report   []snapshot.CredentialReportRow // nil when absent
	rawCSV   []byte
	// certs and contact (account.json's serverCertificates and
	// securityContact; iam/server-certificates.json and
	// iam/security-contact.json in runs written before) are nil when absent.
	certs   []snapshot.ServerCertificate
	contact *snapshot.SecurityContact
	// analyzers are the account's regions whose Access Analyzer listing
	// was read (accounts/<id>/regions/<region>.json), each with its
	// analyzers only: the other resources of a region are not kept.
	analyzers []regionAnalyzers
	// rn is the run the account belongs to (nil in tests of single checks).
	rn *run
	// problems are files of the account that could not be read or parsed:
	// the account is reported from the others (failed, or else partial).
	problems []string
}

// run is what the reports keep of a run while they go through its
// accounts. It is bounded by design: the account list (one entry per
// account) and one flag per AWS managed policy (about 1,400, whatever the
// organization's size).
type run struct {
	list    []snapshot.Account
	skipped []snapshot.Account
	// awsAdmin says, for an AWS managed policy's ARN and name, whether its
	// default version grants full administrator access.
	awsAdmin map[string]bool
	// awsPolicies are the AWS managed policies compiled for the evaluator,
	// by ARN: the checks that evaluate a principal's identity policies
	// share them across accounts (their number does not grow with the
	// organization).
	awsPolicies map[string]*evaluate.Policy
	// accountSet is the ids of list and skipped, built on first use.
	accountSet map[string]bool
}

func (a *acct) name() string {
	if a.account.Name != "" {
		return a.account.Name
	}
	if a.info != nil {
		return a.info.Name
	}
	return ""
}

func (a *acct) ouPath() string {
	if a.info != nil && a.info.OUPath != "" {
		return a.info.OUPath
	}
	return a.account.OUPath
}

func (a *acct) partition() string {
	if a.info != nil && a.info.Partition != "" {
		return a.info.Partition
	}
	if p := iamarn.Partition(a.account.Arn); p != "" {
		return p
	}
	return "aws"
}

func (a *acct) rootArn() string {
	return "arn:" + a.partition() + ":iam::" + a.account.ID + ":root"
}

// id is the account's id.
func (a *acct) id() string { return a.account.ID }

// summary is the account's IAM summary (nil when account.json is missing).
func (a *acct) summary() map[string]int32 {
	if a.info == nil {
		return nil
	}
	return a.info.Summary
}

func (a *acct) failed() bool { return a.result.Status == snapshot.StatusFailed }

// partial: the account scanned, but some of its files could not be read.
func (a *acct) partial() bool { return !a.failed() && len(a.problems) > 0 }

// status is the account's line status in the summary: ok, partial or failed.
func (a *acct) status() string {
	if a.partial() {
		return StatusPartial
	}
	return a.result.Status
}

// statusError is the summary's error column: the scan's error, or for a
// partial account the files that could not be read.
func (a *acct) statusError() string {
	if a.partial() {
		return "unreadable: " + strings.Join(a.problems, "; ")
	}
	return a.result.Error
}

// StatusPartial marks an account of the summary whose scan succeeded but
// some of whose stored files could not be read or parsed: it is reported
// from the others.
const StatusPartial = "partial"

// openRun reads what the reports keep of a run (see run).
func openRun(ctx context.Context, r snapshot.Reader) (*run, error) {
	if r.Store == nil {
		return nil, errors.New("report: reader has no store")
	}
	list, err := r.Accounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: run %s: account list %s: %w", r.Run, store.AccountListKey(r.Run), err)
	}
	rn := &run{list: list, awsAdmin: map[string]bool{}, awsPolicies: map[string]*evaluate.Policy{}}
	if rn.skipped, err = r.Skipped(ctx); err != nil {
		return nil, fmt.Errorf("report: run %s: %w", r.Run, err)
	}
	keys, err := r.Store.List(ctx, store.AWSManagedPoliciesPrefix(r.Run))
	if err != nil {
		return nil, fmt.Errorf("report: run %s: AWS managed policies: %w", r.Run, err)
	}
	// One policy at a time: only its admin flag is kept.
	for _, k := range keys {
		var p snapshot.ManagedPolicy
		if err := snapshot.ReadJSON(ctx, r.Store, k, &p); err != nil {
			return nil, fmt.Errorf("report: run %s: AWS managed policies: %w", r.Run, err)
		}
		admin := docIsAdmin(p.DefaultDocument())
		rn.awsAdmin[p.Arn] = admin
		rn.awsAdmin[p.PolicyName] = admin
		if doc := p.DefaultDocument(); doc != nil {
			// A policy the evaluator cannot compile is left out of the
			// evaluations (the principals holding it are judged without it).
			if cp, err := evaluate.Compile(p.Arn, doc); err == nil {
				rn.awsPolicies[p.Arn] = cp
			}
		}
	}
	return rn, nil
}

// order is the account list's positions sorted by account id (stable: list
// entries that share an id keep their list order). The users and findings
// reports are sorted by account id first, so going through the accounts in
// this order writes them row by row, already in order.
func (rn *run) order() []int {
	pos := make([]int, len(rn.list))
	for i := range pos {
		pos[i] = i
	}
	sort.SliceStable(pos, func(i, j int) bool { return rn.list[pos[i]].ID < rn.list[pos[j]].ID })
	return pos
}

// eachAccount loads the run's accounts in account id order, one group at a
// time (the list entries that share an id, usually one), calls fn with the
// group, and lets it go.
func (rn *run) eachAccount(ctx context.Context, r snapshot.Reader, fn func(group []*acct) error) error {
	pos := rn.order()
	for i := 0; i < len(pos); {
		j := i + 1
		for j < len(pos) && rn.list[pos[j]].ID == rn.list[pos[i]].ID {
			j++
		}
		group := make([]*acct, 0, j-i)
		for _, p := range pos[i:j] {
			if err := ctx.Err(); err != nil {
				return err
			}
			ac := loadAccount(ctx, r, p, rn.list[p])
			ac.rn = rn
			group = append(group, ac)
		}
		if err := fn(group); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// loadAccount reads one account's files. A file that cannot be read or
// parsed is noted in problems and left out: one account's damaged file
// makes that account partial (or, if its scan failed, stays failed), never
// the organization's reports.
func loadAccount(ctx context.Context, r snapshot.Reader, pos int, a snapshot.Account) *acct {
	ac := &acct{pos: pos, account: a}
	note := func(what string, err error) {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			ac.problems = append(ac.problems, what+": "+err.Error())
		}
	}
	res, err := r.Result(ctx, a)
	if err != nil {
		// account.json or error.json exists but cannot be read: the scan
		// status is unknown; the files below tell the rest.
		res = snapshot.AccountResult{ID: a.ID, Name: a.Name, OrgID: a.OrgID, Status: snapshot.StatusOK}
		note("status", err)
	}
	ac.result = res
	info, err := r.AccountInfo(ctx, a.ID)
	if err == nil {
		ac.info = &info
	} else if len(ac.problems) == 0 { // else Result has named the file already
		note("account.json", err)
	}
	type dataSet struct {
		name string
		v    any
	}
	sets := []dataSet{
		{store.DataUsers, &ac.users},
		{store.DataGroups, &ac.groups},
		{store.DataRoles, &ac.roles},
		{store.DataPolicies, &ac.policies},
		{store.DataMFADevices, &ac.mfa},
	}
	if ac.info != nil {
		ac.certs, ac.contact = ac.info.ServerCertificates, ac.info.SecurityContact
	}
	// Runs written before these settings moved into account.json keep them
	// in files of their own: read those when account.json has none.
	if ac.certs == nil {
		sets = append(sets, dataSet{store.LegacyDataServerCertificates, &ac.certs})
	}
	if ac.contact == nil {
		sets = append(sets, dataSet{store.LegacyDataSecurityContact, &ac.contact})
	}
	for _, s := range sets {
		if err := r.IAM(ctx, a.ID, s.name, s.v); err != nil {
			note("iam/"+s.name+".json", err)
			// A data set that did not parse counts as absent, not as
			// whatever part of it the decoder had filled.
			reflect.ValueOf(s.v).Elem().SetZero()
		}
	}
	scans, bad, err := r.RegionScans(ctx, a.ID)
	note("regions/", err)
	for k, err := range bad {
		note(k, err)
	}
	ac.analyzers = analyzersOf(scans)
	rows, raw, err := r.CredentialReport(ctx, a.ID)
	note("credential-report.csv", err)
	ac.report, ac.rawCSV = rows, raw
	return ac
}

// principal is an IAM user as the reports see it: its users.json entry
// (possibly empty when only the credential report names it) and its
// credential report row (nil when the report is absent or lacks the user).
type principal struct {
	user snapshot.User
	row  *snapshot.CredentialReportRow
}

// who names the principal in findings: its ARN, else its name.
func (p principal) who() string {
	if p.user.Arn != "" {
		return p.user.Arn
	}
	return p.user.UserName
}

// rootRow returns the account's root row of the credential report (nil if none).
func (a *acct) rootRow() *snapshot.CredentialReportRow {
	for i := range a.report {
		if a.report[i].IsRoot() {
			return &a.report[i]
		}
	}
	return nil
}

// principals joins users.json with the credential report by ARN (then name).
// Users only the report knows (users.json missing) are kept with their ARN
// and name from the report.
func (a *acct) principals() []principal {
	byArn := map[string]int{}
	byName := map[string]int{}
	for i, row := range a.report {
		if row.IsRoot() {
			continue
		}
		byArn[row.Arn] = i
		byName[row.User] = i
	}
	used := map[int]bool{}
	var out []principal
	for _, u := range a.users {
		p := principal{user: u}
		i, ok := byArn[u.Arn]
		if !ok {
			i, ok = byName[u.UserName]
		}
		if ok && !used[i] {
			used[i] = true
			p.row = &a.report[i]
		}
		out = append(out, p)
	}
	for i, row := range a.report {
		if row.IsRoot() || used[i] {
			continue
		}
		out = append(out, principal{
			user: snapshot.User{UserName: row.User, Arn: row.Arn, CreateDate: row.UserCreationTime},
			row:  &a.report[i],
		})
	}
	return out
}

// days is the whole number of days from t to now.
func days(now, t time.Time) int {
	return int(now.Sub(t).Hours() / 24)
}

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func fmtDate(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}
