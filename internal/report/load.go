// Package report builds the organization-wide reports of a run (users,
// credentials, CIS IAM findings, a per-account summary) from the files of a
// snapshot, and writes them as CSV, JSON, Markdown or self-contained HTML.
//
// Reports read a run through snapshot.Reader and do not need its manifest: the
// collect run writes its reports before the manifest. Accounts come from the
// run's account list; an account whose scan failed is still reported from
// whatever files it left, and its status says it failed.
package report

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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

// acct is everything the reports need about one account of a run.
type acct struct {
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
	// problems are files of a failed account that could not be read.
	problems []string
}

// run is a loaded run.
type run struct {
	accounts []*acct
	skipped  []snapshot.Account
	// awsManaged maps an AWS managed policy's ARN and name to it.
	awsManaged map[string]snapshot.ManagedPolicy
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
	if strings.HasPrefix(a.account.Arn, "arn:") {
		if p := strings.SplitN(a.account.Arn, ":", 3); len(p) == 3 {
			return p[1]
		}
	}
	return "aws"
}

func (a *acct) rootArn() string {
	return "arn:" + a.partition() + ":iam::" + a.account.Id + ":root"
}

func (a *acct) failed() bool { return a.result.Status == snapshot.StatusFailed }

// load reads a run. Files of accounts that scanned fine must parse; a failed
// account's unreadable files are noted in problems and skipped.
func load(ctx context.Context, r snapshot.Reader) (*run, error) {
	if r.Store == nil {
		return nil, errors.New("report: reader has no store")
	}
	list, err := r.Accounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: run %s: account list %s: %w", r.Run, store.AccountListKey(r.Run), err)
	}
	out := &run{awsManaged: map[string]snapshot.ManagedPolicy{}}
	if out.skipped, err = r.Skipped(ctx); err != nil {
		return nil, fmt.Errorf("report: run %s: %w", r.Run, err)
	}
	managed, err := r.AWSManagedPolicies(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: run %s: AWS managed policies: %w", r.Run, err)
	}
	for _, p := range managed {
		out.awsManaged[p.Arn] = p
		out.awsManaged[p.PolicyName] = p
	}
	for _, a := range list {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ac, err := loadAccount(ctx, r, a)
		if err != nil {
			return nil, err
		}
		out.accounts = append(out.accounts, ac)
	}
	return out, nil
}

func loadAccount(ctx context.Context, r snapshot.Reader, a snapshot.Account) (*acct, error) {
	res, err := r.Result(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("report: account %s: status: %w", a.Id, err)
	}
	ac := &acct{account: a, result: res}
	// keep returns nil for a failed account (noting the problem), err otherwise.
	keep := func(what string, err error) error {
		if err == nil || errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if ac.failed() {
			ac.problems = append(ac.problems, what+": "+err.Error())
			return nil
		}
		return fmt.Errorf("report: account %s: %s: %w", a.Id, what, err)
	}
	info, err := r.AccountInfo(ctx, a.Id)
	if err == nil {
		ac.info = &info
	} else if err := keep("account.json", err); err != nil {
		return nil, err
	}
	sets := []struct {
		name string
		v    any
	}{
		{store.DataUsers, &ac.users},
		{store.DataGroups, &ac.groups},
		{store.DataRoles, &ac.roles},
		{store.DataPolicies, &ac.policies},
		{store.DataMFADevices, &ac.mfa},
	}
	for _, s := range sets {
		if err := keep("iam/"+s.name+".json", r.IAM(ctx, a.Id, s.name, s.v)); err != nil {
			return nil, err
		}
	}
	rows, raw, err := r.CredentialReport(ctx, a.Id)
	if err := keep("credential-report.csv", err); err != nil {
		return nil, err
	}
	ac.report, ac.rawCSV = rows, raw
	return ac, nil
}

// principal is an IAM user as the reports see it: its users.json entry
// (possibly empty when only the credential report names it) and its
// credential report row (nil when the report is absent or lacks the user).
type principal struct {
	user snapshot.User
	row  *snapshot.CredentialReportRow
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
