package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orgiam/orgiam/internal/fanout"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// Progress receives the local runner's events (a progress bar, a test).
type Progress interface {
	Start(total int)
	AccountDone(id string, failed bool)
	Finish()
}

type noProgress struct{}

func (noProgress) Start(int)                {}
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
func RunLocal(ctx context.Context, env *Env, planIn PlanInput, progress Progress) (LocalResult, error) {
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
	log.Info("run started", "run", plan.Run, "store", plan.Store)

	disc, err := Discover(ctx, env, DiscoverInput{Run: plan.Run})
	if err != nil {
		return res, err
	}
	res.Discover = disc
	log.Info("accounts discovered", "scan", disc.Count, "skipped", disc.Skipped, "organizations", len(disc.Orgs))

	accounts, err := snapshot.Reader{Store: env.Store, Run: plan.Run}.Accounts(ctx)
	if err != nil {
		return res, err
	}
	progress.Start(len(accounts))
	scanStart, callsBefore := time.Now(), env.Limiter.Calls()
	var fatal error
	// ScanAccount applies --account-timeout to the account's calls itself
	// and then writes what it has; the pool's timeout is only a backstop
	// for a store that hangs.
	backstop := time.Duration(0)
	if env.Cfg.AccountTimeout > 0 {
		backstop = env.Cfg.AccountTimeout + time.Minute
	}
	err = fanout.Run(ctx, accounts, env.Cfg.Concurrency, backstop,
		func(ctx context.Context, a snapshot.Account) error {
			out, err := ScanAccount(ctx, env, ScanInput{Run: plan.Run, Account: a, WaitCredentialReport: true})
			if err != nil {
				return err
			}
			if out.Status != snapshot.StatusOK {
				return accountFailed(out.Error)
			}
			return nil
		},
		func(r fanout.Result[snapshot.Account]) {
			progress.AccountDone(r.Item.Id, r.Err != nil)
			if r.Err != nil {
				var af accountFailed
				if ctx.Err() == nil && !errors.As(r.Err, &af) {
					// The store could not be written: the run cannot be trusted.
					if fatal == nil {
						fatal = fmt.Errorf("account %s: %w", r.Item.Id, r.Err)
					}
				}
				log.Warn("account failed", "account", r.Item.Id, "name", r.Item.Name, "error", r.Err.Error())
				res.Failed = append(res.Failed, ScanOutput{Run: plan.Run, AccountId: r.Item.Id, Status: snapshot.StatusFailed, Error: r.Err.Error()})
			} else {
				log.Debug("account scanned", "account", r.Item.Id, "duration", r.Duration.Round(time.Millisecond))
			}
		})
	progress.Finish()
	scanSeconds, scanCalls := time.Since(scanStart).Seconds(), env.Limiter.Calls()-callsBefore
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
		if err := step.Run(ctx, env, plan.Run); err != nil {
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
	if _, err := Finalize(ctx, env, FinalizeInput{Run: plan.Run, Measured: measured}); err != nil {
		return res, err
	}
	m, err := snapshot.Reader{Store: env.Store, Run: plan.Run}.Manifest(ctx)
	if err != nil {
		return res, err
	}
	res.Manifest = m
	for _, step := range env.AfterManifest {
		if err := step.Run(ctx, env, plan.Run); err != nil {
			log.Error(step.Name+" failed", "run", plan.Run, "error", err)
			res.PostErrors = append(res.PostErrors, step.Name+": "+err.Error())
		}
	}
	log.Info("run complete", "run", plan.Run, "ok", m.Totals.OK, "failed", m.Totals.Failed, "skipped", m.Totals.Skipped)
	return res, nil
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
