package collect

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Each calls fn(ctx, i) for every i in [0, n) with at most parallel calls
// at once (< 1: one at a time), and returns the first error; that error
// cancels the context the other calls see. It is errgroup.WithContext with
// SetLimit, on goroutines that outlive one call (spawn) and on the
// caller's own, with one difference: once the context ends no further call
// starts, and when no call failed Each returns the context's error (a call
// not made is not a success).
//
// Why not errgroup: an errgroup starts a new goroutine per call, and an SDK
// call runs about forty middleware frames deep (the endpoint rules engine
// alone has a frame of several KB), so every new goroutine grows its stack
// by copying it three or four times: 5 to 7 % of a scan's CPU in
// go run ./bench/collect, and a tenth of a small call's in isolation. A
// goroutine that has made a call keeps the stack it grew.
func Each(ctx context.Context, parallel, n int, fn func(ctx context.Context, i int) error) error {
	if n <= 0 {
		return nil
	}
	lanes := min(max(parallel, 1), n)
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next    atomic.Int64
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
	)
	lane := func() {
		for gctx.Err() == nil {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			if err := fn(gctx, i); err != nil {
				errOnce.Do(func() { first = err })
				cancel()
			}
		}
	}
	wg.Add(lanes - 1)
	for range lanes - 1 {
		spawn(func() {
			defer wg.Done()
			lane()
		})
	}
	lane()
	wg.Wait()
	if first == nil && next.Load() < int64(n) {
		// Cancelled from outside before every call started: what was not
		// called is missing, which is not success.
		return ctx.Err()
	}
	return first
}

// workerIdle is how long a goroutine of spawn waits for more work before
// it ends.
const workerIdle = 5 * time.Second

// idle hands work to goroutines of spawn that wait for it.
var idle = make(chan func())

// spawn runs f on a goroutine that waits for more work once f returns
// (up to workerIdle), or on a new one when none is waiting. A cache of
// goroutines rather than a pool library: it has no size, queue or options
// to configure, and the runtime already bounds it (each waiting goroutine
// is one that ran an item's call).
func spawn(f func()) {
	select {
	case idle <- f:
	default:
		go work(f)
	}
}

func work(f func()) {
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		f()
		t.Reset(workerIdle)
		select {
		case f = <-idle:
		case <-t.C:
			return
		}
	}
}
