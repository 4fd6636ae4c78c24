package collect

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestEachCallsEveryIndexWithinTheBound(t *testing.T) {
	for _, parallel := range []int{-1, 0, 1, 3, 8, 100} {
		const n = 50
		var seen [n]atomic.Int32
		var running, peak atomic.Int32
		err := Each(context.Background(), parallel, n, func(ctx context.Context, i int) error {
			r := running.Add(1)
			for {
				p := peak.Load()
				if r <= p || peak.CompareAndSwap(p, r) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			running.Add(-1)
			seen[i].Add(1)
			return nil
		})
		if err != nil {
			t.Fatalf("parallel %d: %v", parallel, err)
		}
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Fatalf("parallel %d: index %d called %d times", parallel, i, c)
			}
		}
		if want := int32(min(max(parallel, 1), n)); peak.Load() > want {
			t.Fatalf("parallel %d: %d calls at once, want at most %d", parallel, peak.Load(), want)
		}
	}
	if err := Each(context.Background(), 4, 0, func(context.Context, int) error { return errors.New("called") }); err != nil {
		t.Fatalf("no items: %v", err)
	}
}

func TestEachFirstErrorCancelsTheOthers(t *testing.T) {
	boom := errors.New("boom")
	var started atomic.Int32
	err := Each(context.Background(), 2, 100, func(ctx context.Context, i int) error {
		started.Add(1)
		if i == 0 {
			return boom
		}
		<-ctx.Done() // released only by the first call's failure
		return ctx.Err()
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if s := started.Load(); s >= 100 {
		t.Fatalf("%d calls started after the failure cancelled the others", s)
	}
}

func TestEachCancelledFromOutsideIsNotSuccess(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	err := Each(ctx, 1, 10, func(ctx context.Context, i int) error {
		if calls.Add(1) == 3 {
			cancel()
		}
		return nil // a call that ignores the cancellation
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v after 3 of 10 calls, want context.Canceled", err)
	}
}

func TestSpawnReusesWaitingGoroutines(t *testing.T) {
	done := make(chan struct{})
	spawn(func() { close(done) })
	<-done
	// The goroutine that ran it now waits for work: the next spawn hands
	// it over instead of starting one.
	deadline := time.Now().Add(2 * time.Second)
	for {
		took := make(chan bool, 1)
		select {
		case idle <- func() { took <- true }:
			if !<-took {
				t.Fatal("handed-over work did not run")
			}
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no goroutine of spawn waits for work after running one")
		}
		time.Sleep(time.Millisecond)
	}
}
