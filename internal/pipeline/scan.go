package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

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
	AccountId string `json:"accountId"`
	Status    string `json:"status"`
	Error     string `json:"error,omitempty"`
	// CredentialReport is the state to start the credential report loop with
	// (nil when the report is off or the scan failed; Done when the scan
	// already stored it).
	CredentialReport *CredentialReportInput `json:"credentialReport,omitempty"`
	APICalls         int64                  `json:"apiCalls"`
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
func ScanAccount(ctx context.Context, env *Env, in ScanInput) (ScanOutput, error) {
	env.init()
	start := env.now()
	t0 := time.Now()
	id := in.Account.Id
	out := ScanOutput{Run: in.Run, AccountId: id, Status: snapshot.StatusOK}
	wctx := ctx // writes: cancelled with the run, not by the account's deadline
	if d := env.Cfg.AccountTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	// The account's files are replaced as a set: whatever an earlier attempt
	// of this run left (a resumed run, a retried Lambda) is removed first, so
	// a failure now never leaves older data looking like this attempt's.
	if err := clearAccount(wctx, env, in.Run, id); err != nil {
		return out, err
	}

	var calls atomic.Int64
	cfg := env.AccountConfig(id)
	cfg.APIOptions = append(append([]func(*middleware.Stack) error{}, cfg.APIOptions...), countCalls(&calls))
	d := &collect.IAMData{}
	var failure *phaseError
	var warnings []string

	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		failure = &phaseError{"assume-role", &collect.OpError{Account: id, Operation: "sts:AssumeRole " + env.CollectRoleARN(id), Err: err}}
	}
	var api collect.IAMAPI
	var report *collect.CredentialReportPoll // the credential report, once read
	var reportErr error                      // why the local runner could not read it
	if failure == nil {
		api = env.NewIAM(cfg)
		report, reportErr, warnings = collectAccount(ctx, env, api, id, in.WaitCredentialReport, d, &failure)
	}
	if err := wctx.Err(); err != nil {
		return out, err
	}

	// Store what was collected, even after a failure.
	if failure == nil || failure.phase != "assume-role" {
		if err := writeIAM(wctx, env, in.Run, id, d); err != nil {
			return out, err
		}
	}

	if failure == nil && env.Cfg.CredentialReport {
		switch {
		case report != nil:
			if err := env.put(wctx, store.CredentialReportKey(in.Run, id), report.CSV); err != nil {
				return out, err
			}
			if !in.WaitCredentialReport {
				out.CredentialReport = &CredentialReportInput{Run: in.Run, AccountId: id, Attempt: report.Next.Attempt, Done: true, Status: snapshot.StatusOK}
			}
		case in.WaitCredentialReport:
			failure = &phaseError{"credential-report", reportErr}
		default:
			out.CredentialReport = &CredentialReportInput{Run: in.Run, AccountId: id, Attempt: 1, WaitSeconds: env.reportPolicy().FirstWait.Seconds()}
		}
	}

	info := snapshot.AccountInfo{
		Account:        in.Account,
		Partition:      env.Auth.Identity.Partition,
		CollectRoleArn: env.CollectRoleARN(id),
		Aliases:        d.Aliases,
		Summary:        d.Summary,
		PasswordPolicy: d.PasswordPolicy,
		CollectedAt:    start,
		Scan: snapshot.ScanSummary{
			Counts:     d.Counts(),
			APICalls:   calls.Load(),
			DurationMS: time.Since(t0).Milliseconds(),
			Warnings:   warnings,
		},
	}
	if info.Aliases == nil {
		info.Aliases = []string{}
	}
	if failure != nil {
		out.Status = snapshot.StatusFailed
		out.Error = describe(failure.err)
		out.CredentialReport = nil
		if err := writeError(wctx, env, in.Run, id, failure.phase, failure.err, errors.Is(ctx.Err(), context.DeadlineExceeded)); err != nil {
			return out, err
		}
	}
	if err := env.putJSON(wctx, store.AccountKey(in.Run, id), info); err != nil {
		return out, err
	}
	out.APICalls = calls.Load()
	return out, nil
}

// collectAccount makes an account's IAM calls with as few calls and as much
// overlap as the data allows: it starts the credential report first, runs the
// independent collectors concurrently (at most env.AccountParallel at once)
// while IAM generates it, reads the report (waiting for it when wait is set,
// else one poll), and lists access keys only for the users the report shows
// with keys. Without a report it lists every user's keys and says so in the
// warnings. A collector's failure is stored in *failure.
func collectAccount(ctx context.Context, env *Env, api collect.IAMAPI, id string, wait bool, d *collect.IAMData, failure **phaseError) (report *collect.CredentialReportPoll, reportErr error, warnings []string) {
	if env.Cfg.CredentialReport {
		// A failed start is only a warning: the poll starts it again.
		if err := collect.StartCredentialReport(ctx, api, id); err != nil {
			warnings = append(warnings, describe(err))
		}
	}
	if err := collect.RunIndependent(ctx, api, id, d, env.accountParallel()); err != nil {
		*failure = &phaseError{"collect", err}
		return nil, reportErr, warnings
	}
	if env.Cfg.CredentialReport {
		var res collect.CredentialReportPoll
		var err error
		if wait {
			res, err = collect.WaitCredentialReport(ctx, api, id, env.reportPolicy())
		} else {
			// One poll: the report is often ready by now. If not, the
			// serverless runner's loop collects it later.
			res, err = collect.PollCredentialReport(ctx, api, id, collect.CredentialReportState{}, env.reportPolicy())
			if err == nil && !res.Done {
				err = fmt.Errorf("account %s: iam:GetCredentialReport: not ready during the scan", id)
			}
		}
		if err == nil {
			report = &res
		} else {
			reportErr = err
		}
		// The account ran out of time waiting for its report: that is the
		// failure, not the key listing that would now fail at once.
		if reportErr != nil && ctx.Err() != nil {
			*failure = &phaseError{"credential-report", reportErr}
			return nil, reportErr, warnings
		}
	}
	var only map[string]bool // nil: every user
	if report != nil {
		users, err := collect.UsersToList(report.CSV, d.Users)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("credential report unreadable (%v): access keys listed for every user", err))
		} else {
			only = users
		}
	} else if env.Cfg.CredentialReport && len(d.Users) > 0 {
		warnings = append(warnings, fmt.Sprintf("credential report unavailable (%s): access keys listed for every user", describe(reportErr)))
	}
	if err := collect.AccessKeysOf(ctx, api, id, d, only, env.accountParallel()); err != nil {
		*failure = &phaseError{"collect", err}
	}
	return report, reportErr, warnings
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
	rec := snapshot.ErrorRecord{AccountId: id, Phase: phase, Message: describe(err), Time: env.now()}
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

func writeIAM(ctx context.Context, env *Env, run, id string, d *collect.IAMData) error {
	// An empty data set is stored as [], never null.
	sets := map[string]any{
		store.DataUsers: orEmpty(d.Users), store.DataRoles: orEmpty(d.Roles), store.DataGroups: orEmpty(d.Groups),
		store.DataPolicies: orEmpty(d.Policies), store.DataInstanceProfiles: orEmpty(d.InstanceProfiles),
		store.DataSAMLProviders: orEmpty(d.SAMLProviders), store.DataOIDCProviders: orEmpty(d.OIDCProviders),
		store.DataMFADevices: orEmpty(d.MFADevices),
	}
	for _, name := range store.IAMDataSets {
		if err := env.putJSON(ctx, store.IAMKey(run, id, name), sets[name]); err != nil {
			return err
		}
	}
	for _, p := range d.AWSManaged {
		if err := env.putAWSManaged(ctx, run, p); err != nil {
			return err
		}
	}
	return nil
}

// orEmpty is s, or an empty slice when s is nil.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// putAWSManaged stores an AWS managed policy once per run: identical in every
// account, so the first account that has it attached writes it. Only the
// attachment counts differ between accounts; they are left out.
func (e *Env) putAWSManaged(ctx context.Context, run string, p snapshot.ManagedPolicy) error {
	key := store.AWSManagedPolicyKey(run, p.PolicyName)
	seenKey := key + "@" + p.DefaultVersionId
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

func countCalls(n *atomic.Int64) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("orgiamAccountCalls", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			n.Add(1)
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
	}
}
