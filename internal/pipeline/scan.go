package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"

	"github.com/orgiam/orgiam/internal/collect"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// ScanInput is one account of the run's account list.
type ScanInput struct {
	Run     string           `json:"run"`
	Account snapshot.Account `json:"account"`
	// WaitCredentialReport makes the scan poll the credential report itself
	// (the local runner). The serverless runner leaves it false and loops over
	// the CredentialReport step in Step Functions instead.
	WaitCredentialReport bool `json:"waitCredentialReport,omitempty"`
}

// ScanOutput is small: the account's data is in the store.
type ScanOutput struct {
	Run       string `json:"run"`
	AccountID string `json:"accountId"`
	Status    string `json:"status"`
	Error     string `json:"error,omitempty"`
	// CredentialReport is the state to start the credential report loop with
	// (nil when the report is off or the scan failed; Done when the scan
	// already stored it).
	CredentialReport *CredentialReportInput `json:"credentialReport,omitempty"`
	APICalls         int64                  `json:"apiCalls"`
	// Regions are the account × region items to run next (ScanRegion), one
	// per region selected and enabled in the account; none when the scan
	// failed.
	Regions []string `json:"regions,omitempty"`
}

// phaseError is a failure in one phase of an account's scan.
type phaseError struct {
	phase string
	err   error
}

// ScanAccount assumes the collect role in one account, runs every collector,
// and writes the account's files. A failure is data, not a crash: it writes
// error.json (phase, operation, AWS code), keeps whatever was collected, and
// returns Status "failed" with a nil error. The error return is only for a
// store that cannot be written or a cancelled run.
//
// --account-timeout bounds the collection only: the account's outcome
// (its data, error.json, account.json) is written under the caller's
// context, so an account that runs out of time is recorded as failed with a
// Timeout code instead of losing its writes and looking like a store failure.
//
// The account item also reads the regions enabled in the account and plans
// its region items: a selected region that is not enabled is written at once
// as a skipped region item with the reason; the others are returned in
// Regions for ScanRegion. Status is "partial" when a collector of the
// account was denied part of its data.
func ScanAccount(ctx context.Context, env *Env, in ScanInput) (ScanOutput, error) {
	out, _, err := scanAccount(ctx, env, in)
	return out, err
}

// scanAccount is ScanAccount, also returning the account's configuration
// (its credentials cached) for the account's region items.
func scanAccount(ctx context.Context, env *Env, in ScanInput) (ScanOutput, aws.Config, error) {
	env.init()
	start := env.now()
	t0 := time.Now()
	id := in.Account.ID
	out := ScanOutput{Run: in.Run, AccountID: id, Status: snapshot.StatusOK}
	wctx := ctx // writes: cancelled with the run, not by the account's deadline
	if d := env.Cfg.AccountTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	// The account's files are replaced as a set: whatever an earlier attempt
	// of this run left (a resumed run, a retried Lambda) is removed first, so
	// a failure now never leaves older data looking like this attempt's.
	var calls atomic.Int64
	cfg := env.AccountConfig(id)
	if err := clearAccount(wctx, env, in.Run, id); err != nil {
		return out, cfg, err
	}

	cfg.APIOptions = append(append([]func(*middleware.Stack) error{}, cfg.APIOptions...), countCalls(&calls),
		boundCalls(make(chan struct{}, max(env.accountParallel(), 1))))
	w := &accountWriter{env: env, ctx: wctx, run: in.Run, account: id}
	item := &collect.Item{Account: id, WaitCredentialReport: in.WaitCredentialReport, Parallel: env.accountParallel(), ReportPolicy: env.reportPolicy(),
		Partition: env.Auth.Identity.Partition}
	collectors, err := env.Collectors()
	if err != nil {
		return out, cfg, err
	}
	for _, c := range collectors {
		if n, ok := c.(collect.Counter); ok {
			w.zeroCounts(n.CountNames())
		}
	}
	var failure *phaseError

	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		failure = &phaseError{"assume-role", &collect.OpError{Account: id, Operation: "sts:AssumeRole " + env.CollectRoleARN(id), Err: err}}
	}
	if failure == nil {
		item.Clients = env.clients(cfg)
		if err := collectAccount(ctx, collectors, item, w, &failure); err != nil {
			return out, cfg, err
		}
	}
	if err := wctx.Err(); err != nil {
		return out, cfg, err
	}
	var planned []string // every region item of the account, skipped ones included
	if failure == nil && len(collect.OfScope(collectors, collect.ScopeRegion)) > 0 {
		scan, skipped, err := env.planRegions(item)
		if err != nil {
			failure = &phaseError{"regions", err}
		} else {
			out.Regions = scan
			planned = append(planned, scan...)
			for _, r := range sortedKeys(skipped) {
				planned = append(planned, r)
				rec := snapshot.RegionScan{SchemaVersion: snapshot.SchemaVersion, AccountID: id, Region: r, Status: snapshot.StatusSkipped,
					Reason: skipped[r], CollectedAt: start, Collectors: []string{}, Resources: []snapshot.Resource{}}
				if err := env.putJSON(wctx, store.RegionKey(in.Run, id, r), rec); err != nil {
					return out, cfg, err
				}
			}
			sort.Strings(planned)
		}
	}
	if w.touched {
		res := snapshot.AccountResources{SchemaVersion: snapshot.SchemaVersion, AccountID: id, CollectedAt: start,
			S3BlockPublicAccess: w.bpa, Resources: orEmpty(w.resources)}
		for _, cw := range item.CollectorWarnings() {
			if cw.Collector == (collect.S3Collector{}).Name() {
				res.Warnings = append(res.Warnings, cw)
			}
		}
		if err := env.putJSON(wctx, store.AccountResourcesKey(in.Run, id), res); err != nil {
			return out, cfg, err
		}
	}

	if failure == nil && collectsReport(collectors) && !in.WaitCredentialReport {
		if o := item.CredentialReport(); o != nil && o.Done {
			out.CredentialReport = &CredentialReportInput{Run: in.Run, AccountID: id, Attempt: o.Attempt, Done: true, Status: snapshot.StatusOK}
		} else {
			out.CredentialReport = &CredentialReportInput{Run: in.Run, AccountID: id, Attempt: 1, WaitSeconds: env.reportPolicy().FirstWait.Seconds()}
		}
	}

	info := snapshot.AccountInfo{
		SchemaVersion:  snapshot.SchemaVersion,
		Account:        in.Account,
		Partition:      env.Auth.Identity.Partition,
		CollectRoleArn: env.CollectRoleARN(id),
		Aliases:        w.facts.Aliases,
		Summary:        w.facts.Summary,
		PasswordPolicy: w.facts.PasswordPolicy,
		// The account-level settings of their own collectors.
		SecurityContact:    w.facts.SecurityContact,
		ServerCertificates: w.facts.ServerCertificates,
		CollectedAt:        start,
		Scan: snapshot.ScanSummary{
			Counts:            w.counts,
			APICalls:          calls.Load(),
			DurationMS:        time.Since(t0).Milliseconds(),
			Warnings:          item.Warnings(),
			Regions:           planned,
			CollectorWarnings: item.CollectorWarnings(),
		},
	}
	if len(info.Scan.CollectorWarnings) > 0 {
		out.Status = snapshot.StatusPartial
	}
	if info.Aliases == nil {
		info.Aliases = []string{}
	}
	if failure != nil {
		out.Status = snapshot.StatusFailed
		out.Error = describe(failure.err)
		out.CredentialReport = nil
		out.Regions = nil
		if err := writeError(wctx, env, in.Run, id, failure.phase, failure.err, errors.Is(ctx.Err(), context.DeadlineExceeded)); err != nil {
			return out, cfg, err
		}
	}
	if err := env.putJSON(wctx, store.AccountKey(in.Run, id), info); err != nil {
		return out, cfg, err
	}
	out.APICalls = calls.Load()
	return out, cfg, nil
}

// planRegions are the regions of an account to scan, and those of the
// selection it skips with the reason, from the enabled regions the regions
// collector read. When they could not be read (a warning of the account
// says why), a list given with --regions is scanned as given, and
// all-enabled scans none.
func (e *Env) planRegions(item *collect.Item) (scan []string, skipped map[string]string, err error) {
	sel, err := e.Cfg.RegionSelection()
	if err != nil {
		return nil, nil, err
	}
	enabled, ok := item.EnabledRegions()
	switch {
	case ok:
		scan, skipped = sel.Resolve(enabled)
	case !sel.AllEnabled:
		scan = append(scan, sel.Names...)
	}
	return scan, skipped, nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// collectAccount runs the account-scope collectors of the run on one
// account. Each Starter starts as they do (the credential report, which
// IAM generates while the others collect; a failed start is only a
// warning), and the collectors run side by side, each bounding its own
// concurrency by item.Parallel; the first failure stops the account and is
// stored in *failure, with the collector's phase. The error return is only
// for a store that cannot be written.
func collectAccount(ctx context.Context, collectors []collect.Collector, item *collect.Item, w *accountWriter, failure **phaseError) error {
	defer collect.StartAll(ctx, collectors, item)()
	// The account's collectors run side by side: each waits on its own
	// calls (the IAM collector's chain is the longest), and one after
	// another they made an account take the sum. Their outcomes are then
	// taken in the registry's order, as when they ran in turn: a store that
	// cannot be written ends the scan, a lenient collector's failure leaves
	// the account partial, the first other failure fails it (what the
	// collectors after it report is then left out).
	account := collect.OfScope(collectors, collect.ScopeAccount)
	errs := make([]error, len(account))
	// Every collector is called, even past the account's deadline (each
	// then says so in its error): Each stops starting calls once its
	// context ends, and a collector never called would read as one that
	// succeeded.
	_ = collect.Each(context.WithoutCancel(ctx), len(account), len(account), func(_ context.Context, i int) error {
		errs[i] = account[i].Collect(ctx, item, w)
		return nil // every collector runs to its end; the outcomes are read below
	})
	for _, err := range errs {
		var we *storeWriteError
		if errors.As(err, &we) {
			return we.err
		}
	}
	for i, c := range account {
		err := errs[i]
		if err == nil {
			continue
		}
		if _, ok := c.(collect.Lenient); ok && ctx.Err() == nil {
			// The account keeps its other data and is partial.
			item.Missed(collect.WarningOf(c.Name(), "", err))
			continue
		}
		*failure = &phaseError{collect.PhaseOf(err), err}
		return nil
	}
	return nil
}

// clearAccount removes every file of an account in the run.
func clearAccount(ctx context.Context, env *Env, run, id string) error {
	keys, err := env.Store.List(ctx, store.AccountPrefix(run, id))
	if err != nil {
		return err
	}
	// account.json first: without it the account counts as not scanned.
	for _, k := range keys {
		if k == store.AccountKey(run, id) {
			if err := env.Store.Delete(ctx, k); err != nil {
				return err
			}
		}
	}
	for _, k := range keys {
		if k != store.AccountKey(run, id) {
			if err := env.Store.Delete(ctx, k); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeError(ctx context.Context, env *Env, run, id, phase string, err error, timedOut bool) error {
	rec := snapshot.ErrorRecord{SchemaVersion: snapshot.SchemaVersion, AccountID: id, Phase: phase, Message: describe(err), Time: env.now()}
	var op *collect.OpError
	if errors.As(err, &op) {
		rec.Operation = op.Operation
		rec.Code = op.Code()
	}
	if timedOut || errors.Is(err, context.DeadlineExceeded) {
		rec.Code = "Timeout"
		rec.Message = fmt.Sprintf("%s (the account took longer than --account-timeout %v)", rec.Message, env.Cfg.AccountTimeout)
	}
	return env.putJSON(ctx, store.ErrorKey(run, id), rec)
}

// accountWriter is the collectors' Writer for one account: it maps data
// sets to the store's keys and writes under the run's context, not the
// account's deadline, so an account that runs out of time keeps what it read.
type accountWriter struct {
	env          *Env
	ctx          context.Context
	run, account string

	mu        sync.Mutex
	facts     collect.AccountFacts
	counts    map[string]int
	touched   bool // Resources or AccountBlockPublicAccess was called
	resources []snapshot.Resource
	bpa       *snapshot.BlockPublicAccess
}

var _ collect.Writer = (*accountWriter)(nil)

// storeWriteError is a write that failed: the scan returns it as its error
// (the store cannot be written), unlike a collector's failure, which is data.
type storeWriteError struct{ err error }

func (e *storeWriteError) Error() string { return e.err.Error() }
func (e *storeWriteError) Unwrap() error { return e.err }

// write runs one write; a run cancelled since collection started writes
// nothing more. Its error is marked as the store's.
func (w *accountWriter) write(put func() error) error {
	err := w.ctx.Err()
	if err == nil {
		err = put()
	}
	if err != nil {
		return &storeWriteError{err}
	}
	return nil
}

func (w *accountWriter) DataSet(_ context.Context, service, name string, v any) error {
	if service != "iam" {
		return &storeWriteError{fmt.Errorf("account %s: no store layout for data set %s/%s", w.account, service, name)}
	}
	return w.write(func() error { return w.env.putJSON(w.ctx, store.IAMKey(w.run, w.account, name), v) })
}

func (w *accountWriter) CredentialReport(_ context.Context, csv []byte) error {
	return w.write(func() error { return w.env.put(w.ctx, store.CredentialReportKey(w.run, w.account), csv) })
}

func (w *accountWriter) AWSManagedPolicy(_ context.Context, p snapshot.ManagedPolicy) error {
	return w.write(func() error { return w.env.putAWSManaged(w.ctx, w.run, p) })
}

// Account adds the fields f sets to the account's facts: the IAM, server
// certificates and security contact collectors each record their own.
func (w *accountWriter) Account(f collect.AccountFacts) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if f.Aliases != nil {
		w.facts.Aliases = f.Aliases
	}
	if f.Summary != nil {
		w.facts.Summary = f.Summary
	}
	if f.PasswordPolicy != nil {
		w.facts.PasswordPolicy = f.PasswordPolicy
	}
	if f.SecurityContact != nil {
		w.facts.SecurityContact = f.SecurityContact
	}
	if f.ServerCertificates != nil {
		w.facts.ServerCertificates = f.ServerCertificates
	}
}

func (w *accountWriter) Counts(c map[string]int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.counts == nil {
		w.counts = map[string]int{}
	}
	for k, n := range c {
		w.counts[k] += n
	}
}

func (w *accountWriter) Resources(rs []snapshot.Resource) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.touched = true
	w.resources = append(w.resources, rs...)
}

func (w *accountWriter) AccountBlockPublicAccess(b *snapshot.BlockPublicAccess) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.touched = true
	w.bpa = b
}

func (w *accountWriter) zeroCounts(names []string) {
	zero := map[string]int{}
	for _, n := range names {
		zero[n] = 0
	}
	w.Counts(zero)
}

// putAWSManaged stores an AWS managed policy once per run: identical in every
// account, so the first account that has it attached writes it. Only the
// attachment counts differ between accounts; they are left out.
func (e *Env) putAWSManaged(ctx context.Context, run string, p snapshot.ManagedPolicy) error {
	key := store.AWSManagedPolicyKey(run, p.PolicyName)
	seenKey := key + "@" + p.DefaultVersionID
	e.managedMu.Lock()
	seen := e.managedSeen[seenKey]
	e.managedSeen[seenKey] = true
	e.managedMu.Unlock()
	if seen {
		return nil
	}
	// Another process (a Lambda) may have written it already.
	if ok, err := e.Store.Exists(ctx, key); err == nil && ok {
		return nil
	}
	p.AttachmentCount, p.PermissionsBoundaryUsageCount = 0, 0
	return e.putJSON(ctx, key, p)
}

// boundCalls holds the calls of an account's clients to cap(slots) attempts
// in flight at once, whichever collector makes them: the collectors of an
// account run side by side, each bounding only its own calls, and the
// account's region items use the same configuration (so the same slots).
// A slot is taken after the rate controller's wait and given back when the
// attempt's answer is read, so a call waiting to be retried holds none.
func boundCalls(slots chan struct{}) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("orgiamAccountInFlight", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return middleware.FinalizeOutput{}, middleware.Metadata{}, ctx.Err()
			}
			defer func() { <-slots }()
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
	}
}

func countCalls(n *atomic.Int64) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("orgiamAccountCalls", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			n.Add(1)
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
	}
}
