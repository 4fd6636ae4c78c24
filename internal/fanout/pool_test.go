package fanout

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunBoundsConcurrencyAndIsolatesFailures(t *testing.T) {
	items := make([]int, 40)
	for i := range items {
		items[i] = i
	}
	var running, peak atomic.Int32
	var mu sync.Mutex
	failed := map[int]string{}
	ok := 0
	err := Run(context.Background(), items, 4, 0, func(ctx context.Context, i int) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		switch i {
		case 3:
			return errors.New("AccessDenied")
		case 7:
			panic("boom")
		}
		return nil
	}, func(r Result[int]) {
		mu.Lock()
		defer mu.Unlock()
		if r.Err != nil {
			failed[r.Item] = r.Err.Error()
		} else {
			ok++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if peak.Load() > 4 || peak.Load() < 2 {
		t.Fatalf("peak concurrency %d, want 2..4", peak.Load())
	}
	if ok != 38 || failed[3] != "AccessDenied" || failed[7] != "panic: boom" {
		t.Fatalf("ok=%d failed=%v", ok, failed)
	}
}

func TestRunCancellation(t *testing.T) {
	items := make([]int, 100)
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Int32
	err := Run(ctx, items, 2, 0, func(ctx context.Context, i int) error {
		if started.Add(1) == 2 {
			cancel()
		}
		<-ctx.Done()
		return ctx.Err()
	}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if n := started.Load(); n > 6 {
		t.Fatalf("%d items started after cancel; workers should stop taking items", n)
	}
}

func TestRunPerItemTimeout(t *testing.T) {
	var got error
	_ = Run(context.Background(), []int{1}, 1, 20*time.Millisecond, func(ctx context.Context, i int) error {
		<-ctx.Done()
		return ctx.Err()
	}, func(r Result[int]) { got = r.Err })
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Fatalf("got %v", got)
	}
}

func TestLimiterPaces(t *testing.T) {
	l := NewLimiter(50) // a ceiling of 50/s, burst 5
	start := time.Now()
	for i := 0; i < 60; i++ {
		if err := l.Wait(context.Background(), "IAM"); err != nil {
			t.Fatal(err)
		}
	}
	// 55 calls beyond the burst need about 1.1 s; allow a wide margin but
	// require that pacing happened at all.
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Fatalf("60 calls at 50/s took %v: not paced", el)
	}
}
