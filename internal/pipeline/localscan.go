package pipeline

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgiam/orgiam/internal/fanout"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// scanItems is the local runner's scan: one pool of --concurrency workers
// runs every account's item (ScanAccount) and then, once it has planned the
// account's regions, the account × region items (ScanRegion) with the
// account's cached credentials. Region items go before new accounts, so an
// account started is finished soon and few are in flight at once. done is
// called once per account, when its account item and every region item
// ended, from one goroutine at a time: err is an accountFailed for an
// account whose scan failed (its error.json written), any other error a
// store that could not be written. A failed region item is the account's
// data, not its failure (the account is partial). Cancelling ctx stops the
// workers taking items; scanItems then returns ctx's error once the
// running items ended.
func scanItems(ctx context.Context, env *Env, run string, accounts []snapshot.Account, backstop time.Duration,
	done func(a snapshot.Account, out ScanOutput, err error, d time.Duration)) error {
	type acct struct {
		a         snapshot.Account
		out       ScanOutput
		cfg       aws.Config
		err       error
		start     time.Time
		remaining int // region items not ended
	}
	type task struct {
		acct   *acct
		region string // "" for the account item
	}
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		queue   []task // region items ready to run
		next    int    // the next account to start
		running int
		doneMu  sync.Mutex
	)
	finish := func(ac *acct) {
		doneMu.Lock()
		defer doneMu.Unlock()
		done(ac.a, ac.out, ac.err, time.Since(ac.start))
	}
	workers := max(env.Cfg.Concurrency, 1)
	if workers > len(accounts) {
		workers = max(len(accounts), 1)
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				var t task
				ok := false
				for {
					if ctx.Err() == nil && len(queue) > 0 {
						t, queue, ok = queue[0], queue[1:], true
						break
					}
					if ctx.Err() == nil && next < len(accounts) {
						t, ok = task{acct: &acct{a: accounts[next], start: time.Now()}}, true
						next++
						break
					}
					if running == 0 {
						break
					}
					cond.Wait()
				}
				if !ok {
					cond.Broadcast()
					mu.Unlock()
					return
				}
				running++
				mu.Unlock()

				ac := t.acct
				if t.region == "" {
					err := fanout.Guarded(ctx, backstop, func(ctx context.Context) error {
						out, cfg, err := scanAccount(ctx, env, ScanInput{Run: run, Account: ac.a, WaitCredentialReport: true})
						ac.out, ac.cfg = out, cfg
						if err == nil && out.Status == snapshot.StatusFailed {
							err = accountFailed(out.Error)
						}
						return err
					})
					ac.err = err
					mu.Lock()
					if err == nil && ctx.Err() == nil {
						ac.remaining = len(ac.out.Regions)
						for _, r := range ac.out.Regions {
							queue = append(queue, task{acct: ac, region: r})
						}
					}
					last := ac.remaining == 0
					running--
					cond.Broadcast()
					mu.Unlock()
					if last {
						finish(ac)
					}
					continue
				}
				err := fanout.Guarded(ctx, backstop, func(ctx context.Context) error {
					_, err := scanRegion(ctx, env, ScanRegionInput{Run: run, AccountID: ac.a.ID, Region: t.region}, ac.cfg)
					return err
				})
				mu.Lock()
				if err != nil && ac.err == nil {
					ac.err = fmt.Errorf("region %s: %w", t.region, err)
				}
				ac.remaining--
				last := ac.remaining == 0
				running--
				cond.Broadcast()
				mu.Unlock()
				if last {
					finish(ac)
				}
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}
