package fanout

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// simulate drives a controller against a token-bucket server (rate R, burst
// B) in simulated time: every millisecond the client sends what the
// controller's rate allows (demand is unbounded), the server answers each
// call, and the controller hears the answer. throttleAll reports whether the
// server refuses everything at that instant. It returns the successes per
// simulated second.
func simulate(t *testing.T, R float64, B int, seconds int, throttleAll func(time.Duration) bool) []int {
	t.Helper()
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	c := newController(0, true, func() time.Time { return now })
	server := rate.NewLimiter(rate.Limit(R), B)
	perSec := make([]int, seconds)
	credit := 0.0
	for ms := 0; ms < seconds*1000; ms++ {
		now = start.Add(time.Duration(ms) * time.Millisecond)
		r := c.Rate()
		if math.IsInf(r, 1) {
			credit = 50 // an unpaced client: 50 calls in flight every millisecond
		} else {
			credit += r / 1000
		}
		for ; credit >= 1; credit-- {
			c.admit()
			if (throttleAll == nil || !throttleAll(now.Sub(start))) && server.AllowN(now, 1) {
				c.Succeeded()
				perSec[ms/1000]++
			} else {
				c.Throttled()
			}
		}
	}
	return perSec
}

func mean(xs []int) float64 {
	s := 0
	for _, x := range xs {
		s += x
	}
	return float64(s) / float64(len(xs))
}

func TestControllerHoldsNearServerLimit(t *testing.T) {
	for _, R := range []float64{50, 200, 1000} {
		got := simulate(t, R, int(R/10), 30, nil)
		// After a few seconds of finding the limit, the mean success rate
		// stays at 0.85 R or above, and never above what the bucket grants.
		m := mean(got[2:])
		if m < 0.85*R || m > R*1.01 {
			t.Errorf("R=%v: mean success rate %.1f/s over seconds 2-30, want within [%.1f, %.1f]; per second %v", R, m, 0.85*R, R, got)
		}
	}
}

func TestControllerRecoversAfterAMinuteOfThrottling(t *testing.T) {
	const R = 200
	got := simulate(t, R, 20, 100, func(d time.Duration) bool { return d >= 10*time.Second && d < 70*time.Second })
	for s := 11; s < 70; s++ {
		if got[s] != 0 {
			t.Fatalf("second %d: %d successes while the server throttled everything", s, got[s])
		}
	}
	// Within 20 s of the end of the outage the rate is back near R.
	if m := mean(got[90:]); m < 0.85*R {
		t.Errorf("mean %.1f/s in seconds 90-100 after the outage, want >= %.1f; per second %v", m, 0.85*R, got[70:])
	}
}

func TestControllerDoesNotPaceWithoutThrottles(t *testing.T) {
	now := time.Unix(0, 0)
	c := newController(0, true, func() time.Time { return now })
	for i := 0; i < 1000; i++ {
		c.admit()
		c.Succeeded()
		now = now.Add(time.Millisecond)
	}
	if r := c.Rate(); !math.IsInf(r, 1) {
		t.Fatalf("rate %v after successes only, want no pacing (+Inf)", r)
	}
	if p := c.Peak(); p < 900 || p > 1100 {
		t.Fatalf("peak %v calls/s, want about 1000", p)
	}
}

func TestControllerCeiling(t *testing.T) {
	now := time.Unix(0, 0)
	c := newController(25, true, func() time.Time { return now })
	if r := c.Rate(); r != 25 {
		t.Fatalf("rate %v, want the ceiling 25", r)
	}
	d := newController(25, false, func() time.Time { return now })
	d.Throttled()
	if r := d.Rate(); r != 25 {
		t.Fatalf("disabled controller changed its rate to %v on a throttle", r)
	}
}

// Calls that queued while the rate was low go at the new rate once it rises,
// instead of keeping the slots the low rate gave them.
func TestWaitersFollowARisingRate(t *testing.T) {
	c := newController(0, true, time.Now)
	c.mu.Lock()
	c.cur, c.throttled = 1, true // one call a second
	c.apply()
	c.mu.Unlock()
	done := make(chan struct{})
	for i := 0; i < 40; i++ {
		go func() {
			_ = c.Wait(context.Background())
			done <- struct{}{}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	c.mu.Lock()
	c.cur = 10000
	c.apply()
	c.mu.Unlock()
	deadline := time.After(3 * time.Second)
	for i := 0; i < 40; i++ {
		select {
		case <-done:
		case <-deadline:
			t.Fatalf("%d of 40 queued calls still waiting 3 s after the rate rose from 1/s to 10000/s", 40-i)
		}
	}
}

// Fifty callers polling a slow bucket still get through at its rate: a
// slow rate held for a while (a minute of throttling) used to leave them
// starved for good, since given-back reservations leaked tokens.
func TestManyWaitersOnASlowBucketAreNotStarved(t *testing.T) {
	c := newController(0, true, time.Now)
	c.mu.Lock()
	c.cur, c.throttled = 1, true // one call a second
	c.apply()
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	var got atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c.Wait(ctx) == nil {
				got.Add(1)
			}
		}()
	}
	wg.Wait()
	// 6 s at 1/s is 6 calls (plus the burst of 1); a starved bucket lets
	// the burst through and then next to none.
	if n := got.Load(); n < 4 || n > 8 {
		t.Fatalf("%d calls admitted in 6 s at 1 call/s to 50 waiters, want about 6", n)
	}
}
