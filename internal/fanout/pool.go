package fanout

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Result is one item's outcome.
type Result[T any] struct {
	Item     T
	Err      error
	Duration time.Duration
}

// Run calls fn for every item with at most concurrency calls at once, each
// under its own timeout (0 = none). A failing item never stops the others;
// a panic in fn becomes that item's error. When ctx is cancelled, workers
// stop taking items and Run returns ctx's error after the running calls end
// (they see the cancelled context). done is called once per finished item,
// from one goroutine at a time.
func Run[T any](ctx context.Context, items []T, concurrency int, timeout time.Duration, fn func(context.Context, T) error, done func(Result[T])) error {
	if concurrency < 1 {
		concurrency = 1
	}
	if concurrency > len(items) {
		concurrency = len(items)
	}
	next := make(chan T)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				start := time.Now()
				err := Guarded(ctx, timeout, func(ctx context.Context) error { return fn(ctx, it) })
				if done != nil {
					mu.Lock()
					done(Result[T]{Item: it, Err: err, Duration: time.Since(start)})
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for _, it := range items {
		select {
		case <-ctx.Done():
			break feed
		case next <- it:
		}
	}
	close(next)
	wg.Wait()
	return ctx.Err()
}

// Guarded runs fn under an optional timeout (none when timeout <= 0): a
// panic becomes its error, and an fn that returns nil after the timeout
// has passed is reported as timed out.
func Guarded(ctx context.Context, timeout time.Duration, fn func(context.Context) error) (err error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	err = fn(ctx)
	if err == nil && ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("timed out after %v", timeout)
	}
	return err
}
