package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// Progress receives the local runner's events (a progress bar, a test).
type Progress interface {
	Start(total int)
	// More adds accounts to the total given to Start.
	More(n int)
	AccountDone(id string, failed bool)
	Finish()
}

type noProgress struct{}

func (noProgress) Start(int)                {}
func (noProgress) More(int)                 {}
func (noProgress) AccountDone(string, bool) {}
func (noProgress) Finish()                  {}

// LocalResult is what a local run did.
type LocalResult struct {
	Plan     PlanOutput
	Discover DiscoverOutput
	Manifest snapshot.Manifest
	Failed   []ScanOutput
	// PostErrors are failures of the index, report or notify steps: the
	// snapshot itself is complete.
	PostErrors []string
}

// RunLocal runs the whole pipeline in-process: plan, discover, scan every
// account with a bounded pool (each account under --account-timeout, the
// credential report polled in the worker), index, reports, the manifest, and
// the notification. Cancelling ctx stops the workers and writes no manifest.
//
// The run is written under its lock (store.AcquireLock): a second writer of
// the same run is refused, and a writer that loses the lock stops. With
// --overwrite a complete run is rebuilt beside the old one (store.Redirect to
// store.StagingPrefix) and switched in only once complete; with Resume an
// incomplete run keeps its complete accounts and scans the others again.
func RunLocal(ctx context.Context, env *Env, planIn PlanInput, progress Progress) (LocalResult, error) {
	var res LocalResult
	prefix, date, runID, err := choose(ctx, env, planIn)
	if err != nil {
		return res, err
	}
	planIn.Date, planIn.RunID, planIn.AutoRunID = date, runID, false
	real := env.Store
	lockOpts := env.lockOptions()
	lock, err := store.AcquireLock(ctx, real, prefix, lockOpts)
	if err != nil {
		return res, err
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopBeat := make(chan struct{})
	beatDone := make(chan struct{})
	go func() {
		defer close(beatDone)
		t := time.NewTicker(heartbeatEvery(lockOpts.Lease))
		defer t.Stop()
		for {
			select {
			case <-stopBeat:
				return
			case <-t.C:
				if err := lock.Heartbeat(runCtx); errors.Is(err, store.ErrLockLost) {
					cancel(err)
					return
				}
			}
		}
	}()
	defer func() {
		close(stopBeat)
		<-beatDone
		if err := lock.Release(context.WithoutCancel(ctx)); err != nil {
			env.logger().Warn("run lock not released", "run", prefix, "error", err.Error())
		}
	}()

	state, err := stateOf(runCtx, real, prefix)
	if err != nil {
		return res, err
	}
	staged := false
	if !planIn.Resume {
		// A staged copy left by an interrupted overwrite belongs to an older
		// attempt: a run started now must never be replaced by it later.
		if err := deleteAll(runCtx, real, store.StagingPrefix(prefix)+"/"); err != nil {
			return res, err
		}
	}
	switch {
	case state == runComplete && env.Cfg.Overwrite && !planIn.Resume:
		stage := store.StagingPrefix(prefix)
		env.Store = &store.Redirect{Inner: real, Run: prefix, To: stage}
		defer func() { env.Store = real }()
		staged = true
	case state == runIncomplete && planIn.Resume:
		done, err := stagedComplete(runCtx, real, prefix)
		if err != nil {
			return res, err
		}
		if done {
			// An overwrite was interrupted while switching: finish it.
			env.logger().Info("finishing an interrupted --overwrite", "run", prefix)
			if err := switchRun(runCtx, real, store.StagingPrefix(prefix), prefix); err != nil {
				return res, err
			}
			res.Plan = PlanOutput{Run: prefix, Date: date, RunID: runID, Store: real.String(), Resumed: true}
			if res.Manifest, err = (snapshot.Reader{Store: real, Run: prefix}).Manifest(runCtx); err != nil {
				return res, err
			}
			afterManifest(runCtx, env, &res)
			return res, nil
		}
	}
	res, err = runLocked(runCtx, env, planIn, progress)
	if cause := context.Cause(runCtx); cause != nil && errors.Is(cause, store.ErrLockLost) {
		return res, cause
	}
	if err != nil {
		return res, err
	}
	if staged {
		env.Store = real
		if err := switchRun(runCtx, real, store.StagingPrefix(prefix), prefix); err != nil {
			return res, fmt.Errorf("run %s: switching the rebuilt run in: %w (the new run is complete under %s; `orgiam collect --resume` finishes the switch)", prefix, err, store.StagingPrefix(prefix))
		}
	}
	afterManifest(runCtx, env, &res)
	return res, nil
}

// deleteAll removes every key under prefix.
func deleteAll(ctx context.Context, st store.Store, prefix string) error {
	keys, err := st.List(ctx, prefix)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := st.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

func runLocked(ctx context.Context, env *Env, planIn PlanInput, progress Progress) (LocalResult, error) {
	if progress == nil {
		progress = noProgress{}
	}
	var res LocalResult
	t0 := time.Now()
	log := env.logger()
	plan, err := Plan(ctx, env, planIn)
	if err != nil {
		return res, err
	}
	res.Plan = plan
	log.Info("run started", "run", plan.Run, "store", plan.Store, "resumed", plan.Resumed)

	var (
		disc     DiscoverOutput
		accounts []snapshot.Account
		// finished ends with the discovery when it is finished while the
		// first accounts are scanned: late are the accounts it added.
		finished  = make(chan struct{})
		late      []snapshot.Account
		finishErr error
	)
	scanCtx, stopScan := context.WithCancel(ctx)
	defer stopScan()
	if plan.Resumed {
		// The run's scope is the one it started with.
		close(finished)
		disc, err = storedDiscovery(ctx, env, plan.Run)
		if err == nil {
			accounts, err = snapshot.Reader{Store: env.Store, Run: plan.Run}.Accounts(ctx)
		}
		if err == nil {
			accounts, err = unfinished(ctx, env, plan.Run, accounts)
		}
		if err != nil {
			return res, err
		}
		res.Discover = disc
		log.Info("resuming", "run", plan.Run, "to scan", len(accounts), "kept", disc.Count-len(accounts))
	} else {
		// The scan starts with the accounts of the organizations' trees;
		// their account lists and policies, whose pages follow one
		// another, are read meanwhile. An interruption before they are
		// written (accounts.json) leaves a run that cannot be resumed, as
		// one interrupted while it listed its accounts.
		var d *discovery
		d, err = startDiscover(ctx, env, DiscoverInput{Run: plan.Run}, true)
		if err != nil {
			var ue *UsageError
			if errors.As(err, &ue) {
				// Nothing was scanned: leave nothing behind.
				if derr := store.DeleteRunLevel(context.WithoutCancel(ctx), env.Store, plan.Run); derr != nil {
					log.Warn("run not cleaned up", "run", plan.Run, "error", derr.Error())
				}
			}
			return res, err
		}
		accounts = d.Scan
		go func() {
			defer close(finished)
			disc, late, finishErr = d.finish(ctx, env)
			if finishErr != nil {
				stopScan() // the run cannot be complete
				return
			}
			log.Info("accounts discovered", "scan", disc.Count, "skipped", disc.Skipped, "organizations", len(disc.Orgs))
		}()
	}
	progress.Start(len(accounts))
	scanStart, callsBefore := time.Now(), env.Limiter.Calls()
	var fatal error
	// ScanAccount and ScanRegion apply --account-timeout to the item's
	// calls themselves and then write what they have; the pool's timeout is
	// only a backstop for a store that hangs.
	backstop := time.Duration(0)
	if env.Cfg.AccountTimeout > 0 {
		backstop = env.Cfg.AccountTimeout + time.Minute
	}
	restoreGC := gcForScan()
	accountDone := func(a snapshot.Account, out ScanOutput, err error, d time.Duration) {
		failed := err != nil
		progress.AccountDone(a.ID, failed)
		if !failed {
			log.Debug("account scanned", "account", a.ID, "duration", d.Round(time.Millisecond))
			return
		}
		var af accountFailed
		if ctx.Err() == nil && !errors.As(err, &af) {
			// The store could not be written: the run cannot be trusted.
			if fatal == nil {
				fatal = fmt.Errorf("account %s: %w", a.ID, err)
			}
		}
		log.Warn("account failed", "account", a.ID, "name", a.Name, "error", err.Error())
		res.Failed = append(res.Failed, ScanOutput{Run: plan.Run, AccountID: a.ID, Status: snapshot.StatusFailed, Error: err.Error()})
	}
	err = scanItems(scanCtx, env, plan.Run, accounts, backstop, accountDone)
	<-finished
	switch {
	case finishErr != nil && ctx.Err() == nil:
		err = fmt.Errorf("discovery: %w", finishErr)
	case finishErr != nil && err == nil:
		err = finishErr
	case err == nil && fatal == nil && len(late) > 0:
		// Listed by an account list, not found in a tree.
		progress.More(len(late))
		err = scanItems(scanCtx, env, plan.Run, late, backstop, accountDone)
	}
	if !plan.Resumed && finishErr == nil {
		res.Discover = disc
	}
	restoreGC()
	progress.Finish()
	scanSeconds, scanCalls := time.Since(scanStart).Seconds(), env.Limiter.Calls()-callsBefore
	if err != nil && finishErr != nil && ctx.Err() == nil {
		return res, fmt.Errorf("run %s: %w (no manifest written: the run is incomplete)", plan.Run, err)
	}
	if err != nil {
		return res, fmt.Errorf("run %s interrupted: %w (no manifest written: the run is incomplete)", plan.Run, err)
	}
	if fatal != nil {
		return res, fatal
	}

	for _, step := range env.PostScan {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		t := time.Now()
		err := step.Run(ctx, env, plan.Run)
		log.Debug(step.Name+" step done", "run", plan.Run, "duration", time.Since(t).Round(time.Millisecond))
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			log.Error(step.Name+" failed", "run", plan.Run, "error", err)
			res.PostErrors = append(res.PostErrors, step.Name+": "+err.Error())
		}
	}

	measured := &snapshot.Totals{
		APICalls: env.Limiter.Calls(), Throttles: env.Limiter.Throttles(),
		ObjectsWritten: env.ObjectsWritten(), WallSeconds: time.Since(t0).Seconds(),
		PeakRate: env.Limiter.PeakRate(),
	}
	if scanSeconds > 0 {
		measured.MeanRate = float64(scanCalls) / scanSeconds
	}
	if scanSeconds < 1 {
		// Every call of a scan shorter than a second fell within one
		// second: the peak is the rate over the whole scan, not the
		// count of calls (which would read as below the mean).
		measured.PeakRate = max(measured.PeakRate, measured.MeanRate)
	}
	if _, err := Finalize(ctx, env, FinalizeInput{Run: plan.Run, Measured: measured}); err != nil {
		return res, err
	}
	m, err := snapshot.Reader{Store: env.Store, Run: plan.Run}.Manifest(ctx)
	if err != nil {
		return res, err
	}
	res.Manifest = m
	return res, nil
}

// afterManifest runs the steps of a complete run (notify).
func afterManifest(ctx context.Context, env *Env, res *LocalResult) {
	log := env.logger()
	run, m := res.Plan.Run, res.Manifest
	for _, step := range env.AfterManifest {
		if err := step.Run(ctx, env, run); err != nil {
			log.Error(step.Name+" failed", "run", run, "error", err)
			res.PostErrors = append(res.PostErrors, step.Name+": "+err.Error())
		}
	}
	log.Info("run complete", "run", run, "ok", m.Totals.OK, "partial", m.Totals.Partial, "failed", m.Totals.Failed, "skipped", m.Totals.Skipped)
}

// accountFailed is an account's own failure, already recorded in its
// error.json; any other error of a worker (the store cannot be written) stops
// the run.
type accountFailed string

func (a accountFailed) Error() string { return string(a) }

// Step is a run-level step after the scan.
type Step struct {
	Name string
	Run  func(ctx context.Context, env *Env, run string) error
}

// storedDiscovery describes a run's stored account list (a resumed run keeps
// the scope it started with).
func storedDiscovery(ctx context.Context, env *Env, run string) (DiscoverOutput, error) {
	r := snapshot.Reader{Store: env.Store, Run: run}
	out := DiscoverOutput{Run: run, AccountsKey: store.AccountListKey(run)}
	accounts, err := r.Accounts(ctx)
	if err != nil {
		return out, fmt.Errorf("run %s cannot be resumed: its account list: %w (start it again with --overwrite)", run, err)
	}
	skipped, err := r.Skipped(ctx)
	if err != nil {
		return out, err
	}
	orgs, err := env.Store.ListDirs(ctx, store.OrgPrefix(run))
	if err != nil {
		return out, err
	}
	out.Count, out.Skipped, out.Orgs = len(accounts), len(skipped), orgs
	return out, nil
}

// unfinished are the accounts of a resumed run whose data is not complete:
// no account.json, an error.json, or a region item missing or failed.
func unfinished(ctx context.Context, env *Env, run string, accounts []snapshot.Account) ([]snapshot.Account, error) {
	r := snapshot.Reader{Store: env.Store, Run: run}
	var out []snapshot.Account
	for _, a := range accounts {
		res, err := r.Result(ctx, a)
		if err != nil {
			// An unreadable account file: scan the account again.
			env.logger().Warn("account data unreadable; scanning it again", "account", a.ID, "error", err.Error())
			out = append(out, a)
			continue
		}
		switch res.Status {
		case snapshot.StatusOK:
		case snapshot.StatusPartial:
			// Complete only with every region item written and none failed;
			// an account that was only denied part of its data is kept.
			info, err := r.AccountInfo(ctx, a.ID)
			if err != nil {
				out = append(out, a)
				continue
			}
			o, err := r.Regions(ctx, info)
			if err != nil || o.Incomplete() {
				out = append(out, a)
			}
		default:
			out = append(out, a)
		}
	}
	return out, nil
}
