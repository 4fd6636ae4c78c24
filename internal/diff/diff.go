// Package diff compares two complete runs of a store: principals, policy
// attachments (direct and through groups), policies statement by statement
// after normalisation, role trusts, access keys, console passwords, MFA and
// findings. It works one account at a time, so memory follows the largest
// account and the changes found, not the organization; noise (last-used
// times, report timestamps, a new policy version id with the same document)
// is never compared.
package diff

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// FormatVersion is the version of the diff.json record.
const FormatVersion = 1

// Change kinds (the values of --kind).
const (
	KindAccounts    = "accounts"
	KindPrincipals  = "principals"
	KindAttachments = "attachments"
	KindPolicies    = "policies"
	KindTrusts      = "trusts"
	KindKeys        = "keys"
	KindPasswords   = "passwords"
	KindMFA         = "mfa"
	KindFindings    = "findings"
)

// Kinds lists every change kind in the order changes are reported.
var Kinds = []string{KindAccounts, KindPrincipals, KindAttachments, KindPolicies, KindTrusts, KindKeys, KindPasswords, KindMFA, KindFindings}

// Actions.
const (
	Added       = "added"
	Removed     = "removed"
	Changed     = "changed"
	Activated   = "activated"
	Deactivated = "deactivated"
	New         = "new"
	Resolved    = "resolved"
	NotCompared = "not-compared"
)

// Severities, highest first.
const (
	SevHigh   = "high"
	SevMedium = "medium"
	SevLow    = "low"
	SevInfo   = "info"
)

// Severities lists the severities, highest first.
var Severities = []string{SevHigh, SevMedium, SevLow, SevInfo}

// SeverityRank orders severities (high is 0).
func SeverityRank(s string) int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return len(Severities)
}

// Change is one difference between the two runs.
type Change struct {
	Kind        string `json:"kind"`
	Action      string `json:"action"`
	Severity    string `json:"severity"`
	AccountID   string `json:"accountId,omitempty"`
	AccountName string `json:"accountName,omitempty"`
	// Principal is the IAM ARN the change is about ("root" for the root
	// user, "" for account-level changes).
	Principal string `json:"principal,omitempty"`
	// Subject is what changed on the principal: a policy ARN or inline
	// policy id, a trusted principal, an access key id, a check id.
	Subject string `json:"subject,omitempty"`
	// Via is "direct" or the group an attachment comes through.
	Via    string `json:"via,omitempty"`
	Detail string `json:"detail"`
	// Policy changes: the default versions and the statements that differ.
	FromVersion string      `json:"fromVersion,omitempty"`
	ToVersion   string      `json:"toVersion,omitempty"`
	Added       []Statement `json:"addedStatements,omitempty"`
	Removed     []Statement `json:"removedStatements,omitempty"`
}

// RunRef names one of the two runs.
type RunRef struct {
	Run           string    `json:"run"`
	Started       time.Time `json:"started"`
	Finished      time.Time `json:"finished"`
	Organizations []string  `json:"organizations,omitempty"`
}

// Report is the comparison of two runs (reports/diff.json).
type Report struct {
	Version int    `json:"version"`
	From    RunRef `json:"from"`
	To      RunRef `json:"to"`
	// Accounts counts the accounts compared, and those in one run only or
	// not scanned in one of them.
	Accounts AccountCounts `json:"accounts"`
	// Counts are the changes by kind, and by severity.
	Counts     map[string]int `json:"counts"`
	BySeverity map[string]int `json:"bySeverity"`
	Changes    []Change       `json:"changes"`
}

// AccountCounts says how much of the two runs was compared.
type AccountCounts struct {
	Compared    int `json:"compared"`
	Added       int `json:"added"`
	Removed     int `json:"removed"`
	NotCompared int `json:"notCompared"`
}

// NotComparableError is returned when two runs cannot be compared (another
// organization, an incomplete run, a store with one run).
type NotComparableError struct{ Reason string }

func (e *NotComparableError) Error() string { return e.Reason }

// UsageError is a request that makes no sense (--from later than --to).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Options select and tune a comparison.
type Options struct {
	// Kinds keeps only these change kinds (nil: all).
	Kinds []string
	// Workers is how many accounts are read at once (default 4).
	Workers int
}

// ParseKinds checks a --kind list ("principals,trusts").
func ParseKinds(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for _, k := range strings.Split(s, ",") {
		k = strings.ToLower(strings.TrimSpace(k))
		switch k {
		case "key", "access-keys":
			k = KindKeys
		case "principal":
			k = KindPrincipals
		case "policy":
			k = KindPolicies
		case "trust":
			k = KindTrusts
		case "finding":
			k = KindFindings
		case "password", "passwords":
			k = KindPasswords
		}
		ok := false
		for _, v := range Kinds {
			ok = ok || v == k
		}
		if !ok {
			return nil, fmt.Errorf("--kind %q: unknown kind (known: %s)", k, strings.Join(Kinds, ", "))
		}
		out = append(out, k)
	}
	return out, nil
}

// Previous returns the complete run that finished last before run started
// ("" when there is none). run itself need not be complete (the pipeline
// compares a run before its manifest is written).
func Previous(ctx context.Context, s store.Store, run string) (string, error) {
	started, err := runStarted(ctx, s, run)
	if err != nil {
		return "", err
	}
	runs, err := snapshot.Runs(ctx, s)
	if err != nil {
		return "", err
	}
	prev := ""
	var prevFinished time.Time
	for _, r := range runs {
		if r == run {
			continue
		}
		m, err := (snapshot.Reader{Store: s, Run: r}).Manifest(ctx)
		if err != nil {
			return "", err
		}
		if !m.Finished.Before(started) {
			continue
		}
		if prev == "" || m.Finished.After(prevFinished) {
			prev, prevFinished = r, m.Finished
		}
	}
	return prev, nil
}

// runStarted is when a run started: run.json, else its manifest.
func runStarted(ctx context.Context, s store.Store, run string) (time.Time, error) {
	var info snapshot.RunInfo
	err := snapshot.ReadJSON(ctx, s, store.RunInfoKey(run), &info)
	if err == nil && !info.Started.IsZero() {
		return info.Started, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return time.Time{}, err
	}
	m, err := (snapshot.Reader{Store: s, Run: run}).Manifest(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("run %s: neither run.json nor manifest.json readable: %w", run, err)
	}
	return m.Started, nil
}

// Resolve picks the two runs to compare: to defaults to the latest complete
// run, from to the complete run before to. Both must be complete, from must
// have started before to.
func Resolve(ctx context.Context, s store.Store, from, to string) (string, string, error) {
	runs, err := snapshot.Runs(ctx, s)
	if err != nil {
		return "", "", err
	}
	for _, r := range []struct{ flag, v string }{{"--from", from}, {"--to", to}} {
		if r.v == "" {
			continue
		}
		if _, _, err := store.ParseRunPrefix(r.v); err != nil {
			return "", "", &UsageError{Msg: r.flag + ": " + err.Error()}
		}
		if ok, err := s.Exists(ctx, store.ManifestKey(r.v)); err != nil {
			return "", "", err
		} else if !ok {
			why := "no such run"
			if ok, _ := s.Exists(ctx, store.AccountListKey(r.v)); ok {
				why = "the run is incomplete (no manifest.json): it may still be running or was interrupted"
			}
			return "", "", &NotComparableError{Reason: fmt.Sprintf("%s %s: cannot be compared: %s in %s", r.flag, r.v, why, s)}
		}
	}
	if len(runs) == 0 {
		return "", "", &NotComparableError{Reason: fmt.Sprintf("no complete run in %s: nothing to compare", s)}
	}
	if to == "" {
		if to, err = snapshot.ResolveRun(ctx, s, ""); err != nil {
			return "", "", err
		}
	}
	if from == "" {
		if from, err = Previous(ctx, s, to); err != nil {
			return "", "", err
		}
		if from == "" {
			if len(runs) == 1 {
				return "", "", &NotComparableError{Reason: fmt.Sprintf("%s holds one complete run (%s): nothing to compare it with yet", s, runs[0])}
			}
			return "", "", &NotComparableError{Reason: fmt.Sprintf("no complete run finished before run %s started: give --from", to)}
		}
	}
	if from == to {
		return "", "", &UsageError{Msg: fmt.Sprintf("--from and --to are the same run (%s)", to)}
	}
	fs, err := runStarted(ctx, s, from)
	if err != nil {
		return "", "", err
	}
	ts, err := runStarted(ctx, s, to)
	if err != nil {
		return "", "", err
	}
	if fs.After(ts) {
		return "", "", &UsageError{Msg: fmt.Sprintf("--from %s started %s, after --to %s (started %s): swap them", from, fs.UTC().Format(time.RFC3339), to, ts.UTC().Format(time.RFC3339))}
	}
	return from, to, nil
}

// runSide is what is known about one run before its accounts are read.
// It is bounded by design: per account, its id, name and scan outcome (not
// the manifest line's counts and warnings), in sorted slices rather than
// maps, so that a run of 10,000 accounts costs about a hundred bytes per
// account and side.
type runSide struct {
	ref      RunRef
	accounts []sideAccount // sorted by id, one per id
	members  []string      // sorted: accounts of the run's organizations, and its own
}

// sideAccount is what diff keeps of one account of a run.
type sideAccount struct {
	id, name, status, err string
}

func newSideAccount(a snapshot.AccountResult) sideAccount {
	return sideAccount{id: a.ID, name: a.Name, status: a.Status, err: a.Error}
}

// account finds id among the run's accounts.
func (r *runSide) account(id string) (sideAccount, bool) {
	i, ok := slices.BinarySearchFunc(r.accounts, id, func(a sideAccount, id string) int { return strings.Compare(a.id, id) })
	if !ok {
		return sideAccount{}, false
	}
	return r.accounts[i], true
}

// member says whether id is an account of the run's organizations.
func (r *runSide) member(id string) bool {
	_, ok := slices.BinarySearch(r.members, id)
	return ok
}

// loadSide reads a run's manifest (or, for the run being finalized, its
// account list and per-account results).
func loadSide(ctx context.Context, s store.Store, run string, requireComplete bool) (*runSide, error) {
	r := snapshot.Reader{Store: s, Run: run}
	side := &runSide{ref: RunRef{Run: run}}
	m, err := r.ManifestAccounts(ctx, func(a snapshot.AccountResult) error {
		if a.Status != snapshot.StatusSkipped {
			side.accounts = append(side.accounts, newSideAccount(a))
		}
		return nil
	})
	switch {
	case err == nil:
		side.ref.Started, side.ref.Finished = m.Started, m.Finished
		for _, o := range m.Organizations {
			side.ref.Organizations = append(side.ref.Organizations, o.ID)
		}
	case errors.Is(err, store.ErrNotFound) && !requireComplete:
		started, err := runStarted(ctx, s, run)
		if err != nil {
			return nil, err
		}
		side.ref.Started = started
		list, err := r.Accounts(ctx)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", run, err)
		}
		orgs := map[string]bool{}
		for _, a := range list {
			res, err := r.Result(ctx, a)
			if err != nil {
				return nil, err
			}
			side.accounts = append(side.accounts, newSideAccount(res))
			if a.OrgID != "" {
				orgs[a.OrgID] = true
			}
		}
		dirs, err := s.ListDirs(ctx, store.OrgPrefix(run))
		if err != nil {
			return nil, err
		}
		for _, d := range dirs {
			orgs[d] = true
		}
		for o := range orgs {
			side.ref.Organizations = append(side.ref.Organizations, o)
		}
		sort.Strings(side.ref.Organizations)
	case errors.Is(err, store.ErrNotFound):
		return nil, &NotComparableError{Reason: fmt.Sprintf("run %s is incomplete (no manifest.json): it cannot be compared", run)}
	default:
		return nil, err
	}
	// One line per id, the last one winning, as a map keyed by id would.
	slices.SortStableFunc(side.accounts, func(x, y sideAccount) int { return strings.Compare(x.id, y.id) })
	side.accounts = lastPerID(side.accounts)
	for _, o := range side.ref.Organizations {
		members, err := snapshot.Reader{Store: s, Run: run}.OrgAccounts(ctx, o)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		for _, a := range members {
			side.members = append(side.members, a.ID)
		}
	}
	for _, a := range side.accounts {
		side.members = append(side.members, a.id)
	}
	slices.Sort(side.members)
	side.members = slices.Compact(side.members)
	return side, nil
}

// lastPerID keeps, of the lines of one id (sorted stably by id), the last.
func lastPerID(as []sideAccount) []sideAccount {
	out := as[:0]
	for i, a := range as {
		if i+1 < len(as) && as[i+1].id == a.id {
			continue
		}
		out = append(out, a)
	}
	return out
}

// Compare compares run from with run to. from must be complete; to may be
// the run being finalized (its manifest not yet written), as in the
// pipeline's diff step.
func Compare(ctx context.Context, s store.Store, from, to string, o Options) (*Report, error) {
	a, err := loadSide(ctx, s, from, true)
	if err != nil {
		return nil, err
	}
	b, err := loadSide(ctx, s, to, false)
	if err != nil {
		return nil, err
	}
	if err := comparable(a, b); err != nil {
		return nil, err
	}
	rep := &Report{Version: FormatVersion, From: a.ref, To: b.ref, Counts: map[string]int{}, BySeverity: map[string]int{}, Changes: []Change{}}
	keep := kindFilter(o.Kinds)

	ids := unionIDs(a.accounts, b.accounts)
	// Findings are one file per run: read both as streams, one account's
	// findings at a time, before the accounts (their changes are few).
	var findings map[string][]Change
	if keep(KindFindings) {
		if findings, err = compareFindings(ctx, s, from, to); err != nil {
			return nil, err
		}
	}
	perAccount := make([][]Change, len(ids))
	workers := o.Workers
	if workers <= 0 {
		workers = 4
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		firstEr error
		next    = make(chan int)
	)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ch, err := compareAccount(cctx, s, a, b, ids[i], keep)
				if err != nil {
					mu.Lock()
					if firstEr == nil {
						firstEr = fmt.Errorf("account %s: %w", ids[i], err)
					}
					mu.Unlock()
					cancel()
					continue
				}
				perAccount[i] = ch
			}
		}()
	}
feed:
	for i := range ids {
		select {
		case next <- i:
		case <-cctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstEr != nil {
		return nil, firstEr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if keep(KindPolicies) {
		ch, err := compareAWSManaged(ctx, s, from, to)
		if err != nil {
			return nil, err
		}
		rep.Changes = append(rep.Changes, ch...)
	}
	for i, id := range ids {
		ra, inA := a.account(id)
		rb, inB := b.account(id)
		switch {
		case !inA:
			rep.Accounts.Added++
		case !inB:
			rep.Accounts.Removed++
		case !snapshot.Scanned(ra.status) || !snapshot.Scanned(rb.status):
			rep.Accounts.NotCompared++
		default:
			rep.Accounts.Compared++
		}
		rep.Changes = append(rep.Changes, perAccount[i]...)
		if f := findings[id]; len(f) > 0 {
			name := rb.name
			if name == "" {
				name = ra.name
			}
			for _, c := range f {
				c.AccountName = name
				rep.Changes = append(rep.Changes, c)
			}
		}
	}
	// Findings of accounts in neither manifest (org-level findings).
	var extra []string
	for id := range findings {
		if _, ok := a.account(id); ok {
			continue
		}
		if _, ok := b.account(id); ok {
			continue
		}
		extra = append(extra, id)
	}
	sort.Strings(extra)
	for _, id := range extra {
		rep.Changes = append(rep.Changes, findings[id]...)
	}
	for _, c := range rep.Changes {
		rep.Counts[c.Kind]++
		rep.BySeverity[c.Severity]++
	}
	return rep, nil
}

// comparable refuses runs of different organizations.
func comparable(a, b *runSide) error {
	if len(a.ref.Organizations) == 0 || len(b.ref.Organizations) == 0 {
		for _, x := range a.accounts {
			if _, ok := b.account(x.id); ok {
				return nil
			}
		}
		if len(a.accounts) == 0 && len(b.accounts) == 0 {
			return nil
		}
		return &NotComparableError{Reason: fmt.Sprintf("runs %s and %s have no account in common: they are not of the same organization", a.ref.Run, b.ref.Run)}
	}
	for _, x := range a.ref.Organizations {
		for _, y := range b.ref.Organizations {
			if x == y {
				return nil
			}
		}
	}
	return &NotComparableError{Reason: fmt.Sprintf("runs %s (%s) and %s (%s) are of different organizations: they cannot be compared",
		a.ref.Run, strings.Join(a.ref.Organizations, ", "), b.ref.Run, strings.Join(b.ref.Organizations, ", "))}
}

func kindFilter(kinds []string) func(string) bool {
	if len(kinds) == 0 {
		return func(string) bool { return true }
	}
	m := map[string]bool{}
	for _, k := range kinds {
		m[k] = true
	}
	return func(k string) bool { return m[k] }
}

// unionIDs merges the two sides' sorted ids.
func unionIDs(a, b []sideAccount) []string {
	ids := make([]string, 0, max(len(a), len(b)))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].id < b[j].id):
			ids = append(ids, a[i].id)
			i++
		case i == len(a) || b[j].id < a[i].id:
			ids = append(ids, b[j].id)
			j++
		default:
			ids = append(ids, a[i].id)
			i, j = i+1, j+1
		}
	}
	return ids
}
