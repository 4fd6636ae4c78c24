package pipeline

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/collect"
)

// stepCollector is an account collector for collectAccount's tests: it
// waits for every collector of the barrier to have started, then returns
// err.
type stepCollector struct {
	name    string
	err     error
	lenient bool
	barrier *sync.WaitGroup
}

func (c *stepCollector) Name() string         { return c.name }
func (c *stepCollector) Scope() collect.Scope { return collect.ScopeAccount }
func (c *stepCollector) Actions() []string    { return nil }
func (c *stepCollector) Collect(ctx context.Context, it *collect.Item, w collect.Writer) error {
	c.barrier.Done()
	done := make(chan struct{})
	go func() { c.barrier.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		return errors.New(c.name + ": the other collectors never started: they run one after another")
	}
	return c.err
}

type lenientStep struct{ *stepCollector }

func (lenientStep) LenientFailure() {}

// An account's collectors run at once, and their outcomes are taken in the
// registry's order: a lenient failure is a warning, the first other
// failure fails the account, later ones are left out.
func TestCollectAccountRunsCollectorsSideBySide(t *testing.T) {
	ctx := context.Background()
	env := testEnv(t)
	var barrier sync.WaitGroup
	step := func(name string, err error) *stepCollector {
		return &stepCollector{name: name, err: err, barrier: &barrier}
	}
	collectors := []collect.Collector{
		step("first", nil),
		lenientStep{step("partial", errors.New("AccessDenied on one bucket"))},
		step("iam", errors.New("iam failed")),
		step("later", errors.New("later failed")),
	}
	barrier.Add(len(collectors))
	item := &collect.Item{Account: "111122223333"}
	w := &accountWriter{env: env, ctx: ctx, run: "2026-11-23", account: item.Account}
	var failure *phaseError
	if err := collectAccount(ctx, collectors, item, w, &failure); err != nil {
		t.Fatal(err)
	}
	if failure == nil || failure.err.Error() != "iam failed" {
		t.Fatalf("failure %v, want the first failing collector's (iam)", failure)
	}
	missed := item.CollectorWarnings()
	if len(missed) != 1 || missed[0].Collector != "partial" {
		t.Fatalf("collector warnings %+v, want the lenient collector's alone", missed)
	}
}

// A store that cannot be written ends the scan, whichever collector met it.
func TestCollectAccountStoreErrorFirst(t *testing.T) {
	ctx := context.Background()
	env := testEnv(t)
	var barrier sync.WaitGroup
	collectors := []collect.Collector{
		&stepCollector{name: "iam", err: errors.New("iam failed"), barrier: &barrier},
		&stepCollector{name: "s3", err: &storeWriteError{errors.New("disk full")}, barrier: &barrier},
	}
	barrier.Add(len(collectors))
	item := &collect.Item{Account: "111122223333"}
	w := &accountWriter{env: env, ctx: ctx, run: "2026-11-23", account: item.Account}
	var failure *phaseError
	if err := collectAccount(ctx, collectors, item, w, &failure); err == nil || err.Error() != "disk full" {
		t.Fatalf("error %v, want the store's", err)
	}
}
