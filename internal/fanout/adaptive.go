package fanout

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Key names the budget a call is charged to: the origin account (the
// account whose credentials began the role chain, which AWS charges) and the
// service (the SDK's service id), since each service throttles on its own
// (KeyOfService, the default Options.KeyOf).
type Key struct {
	Origin  string
	Service string
}

// Controller is the adaptive rate of one budget.
//
// Why this scheme: AWS does not publish IAM's read quotas, and what it
// enforces behaves like a token bucket (a refill rate R and a burst). A
// client cannot learn R from the bucket's answers except through throttles,
// but one property makes the estimate cheap and well founded: while a token
// bucket is throttling, the calls it lets through arrive at exactly its
// refill rate. So on a throttle the controller sets its rate to a fraction
// (decreaseFactor) of the success rate it measured over the last second —
// an estimate of R from below — rather than halving its own setting blindly
// as AIMD does; when too few calls succeeded for a measurement (a server
// throttling everything) it halves, down to minRate. While calls succeed it
// raises the rate multiplicatively (increasePerTick every tick, faster the
// longer no throttle came), which probes back above R within about a second,
// and never beyond twice the rate
// actually used, so an idle budget cannot grow into a burst. Until the first
// throttle it does not pace at all: a server that never throttles costs
// nothing (this is TCP's slow start with an infinite start window, reasonable
// here because a throttle is a cheap, retried answer, not a lost packet).
// The mean rate it holds sits between decreaseFactor·R and R, above the 0.85·R
// that a sawtooth AIMD with β = 0.7 reaches only at best.
type Controller struct {
	mu       sync.Mutex
	now      func() time.Time
	ceiling  float64 // hard ceiling (0: none)
	adaptive bool

	rl        *rate.Limiter
	cur       float64 // current rate; +Inf until the first throttle
	throttled bool    // a throttle was seen
	lastDec   time.Time
	lastInc   time.Time

	// Per-slot counts of admitted calls and successes over the last window.
	born      time.Time
	admitted  ring
	succeeded ring
	peak      float64 // most calls admitted in one window (calls/s)
}

const (
	slot            = 100 * time.Millisecond
	slots           = 10 // one second of history
	decreaseFactor  = 0.9
	increasePerTick = 1.05 // per slot: about ×1.6 a second
	minRate         = 0.5  // calls/s: the floor while everything is throttled
	reaction        = 500 * time.Millisecond
	minMeasured     = 5 // successes in a window below which the measure is noise
)

func newController(ceiling float64, adaptive bool, now func() time.Time) *Controller {
	c := &Controller{now: now, ceiling: ceiling, adaptive: adaptive, cur: math.Inf(1)}
	c.rl = rate.NewLimiter(rate.Inf, 1)
	c.apply()
	t := now()
	c.born, c.admitted.start, c.succeeded.start, c.lastInc = t, t, t, t
	return c
}

// apply sets the token bucket to min(cur, ceiling). The bucket's burst is a
// tenth of a second's worth, so pacing stays smooth.
func (c *Controller) apply() {
	r := c.cur
	if c.ceiling > 0 && c.ceiling < r {
		r = c.ceiling
	}
	if math.IsInf(r, 1) {
		c.rl.SetLimit(rate.Inf)
		return
	}
	b := int(r / 10)
	if b < 1 {
		b = 1
	}
	c.rl.SetLimit(rate.Limit(r))
	c.rl.SetBurst(b)
}

// maxPoll is the longest a waiting call sleeps before it looks at the rate
// again.
const maxPoll = 25 * time.Millisecond

// Wait blocks until a call may be sent. It takes a token only when one is
// there (rate.Limiter.Allow) and otherwise sleeps until the bucket should
// hold one (at most maxPoll, so a rate that rose is seen soon). It uses
// neither rate.Limiter.Wait nor Reserve: Wait reserves a slot at the rate of
// the moment and sleeps until it, so calls queued while the rate was low
// (after a burst of throttles) would keep their far-off slots after the rate
// rose again; and a Reserve given back with Cancel restores fewer tokens
// than it took once other reservations followed it, so fifty callers
// polling a slow bucket drove its tokens ever more negative and starved
// every one of them (seen: a run stuck for good after a minute of
// throttling).
func (c *Controller) Wait(ctx context.Context) error {
	for {
		if c.rl.Allow() {
			c.admit()
			return nil
		}
		d := maxPoll
		if lim := float64(c.rl.Limit()); lim > 0 {
			need := time.Duration((1 - c.rl.Tokens()) / lim * float64(time.Second))
			d = min(max(need, time.Millisecond), maxPoll)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// admit records a call sent.
func (c *Controller) admit() {
	c.mu.Lock()
	c.roll()
	c.admitted.add()
	c.mu.Unlock()
}

// roll advances the slot rings to now and updates the peak (c.mu held).
func (c *Controller) roll() {
	t := c.now()
	c.admitted.advance(t)
	c.succeeded.advance(t)
	if a := perSecond(c.admitted.sum()); a > c.peak {
		c.peak = a
	}
}

// ring is a count per slot over the last window (slots of slot), its head
// slot starting at start. The controllers' counts and the Limiter's count
// of every call use it.
type ring struct {
	start time.Time
	head  int
	n     [slots]int
}

// advance moves the ring on to t, emptying the slots it passes.
func (r *ring) advance(t time.Time) {
	d := t.Sub(r.start)
	if d < slot {
		return
	}
	k := int(d / slot)
	if k >= slots {
		r.n = [slots]int{}
	} else {
		for i := 0; i < k; i++ {
			r.head = (r.head + 1) % slots
			r.n[r.head] = 0
		}
	}
	r.start = r.start.Add(time.Duration(k) * slot)
}

// add counts one in the head slot.
func (r *ring) add() { r.n[r.head]++ }

// sum is the count over the window.
func (r *ring) sum() int {
	n := 0
	for _, v := range r.n {
		n += v
	}
	return n
}

// perSecond turns a count over the window into calls per second.
func perSecond(n int) float64 { return float64(n) * float64(time.Second) / float64(slots*slot) }

// Succeeded records a call that was not throttled and, past the first
// throttle, raises the rate.
func (c *Controller) Succeeded() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roll()
	c.succeeded.add()
	if !c.adaptive || !c.throttled {
		return
	}
	t := c.now()
	ticks := float64(t.Sub(c.lastInc)) / float64(slot)
	if ticks < 1 {
		return
	}
	c.lastInc = t
	// The longer since the last throttle, the faster the rate grows: near
	// the server's limit throttles come often and the steps stay small;
	// far below it (after an outage, or a first estimate taken while the
	// run was still starting) the rate gets back within a few seconds.
	step := increasePerTick
	switch quiet := t.Sub(c.lastDec); {
	case quiet > 2*time.Second:
		step = 1.2
	case quiet > time.Second:
		step = 1.1
	}
	next := c.cur * math.Min(math.Pow(step, ticks), 2)
	// Never more than twice the rate in use: a budget nobody uses does
	// not grow.
	used := perSecond(c.admitted.sum())
	if limit := 2 * used; next > limit {
		next = math.Max(limit, c.cur)
	}
	if c.ceiling > 0 && next > c.ceiling {
		next = c.ceiling
	}
	c.cur = next
	c.apply()
}

// Throttled records a throttling answer and lowers the rate (once per
// reaction time: the throttles of calls already in flight say nothing new).
func (c *Controller) Throttled() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roll()
	if !c.adaptive {
		return
	}
	t := c.now()
	if c.throttled && t.Sub(c.lastDec) < reaction {
		return
	}
	c.throttled = true
	c.lastDec, c.lastInc = t, t
	ok := c.succeeded.sum()
	var next float64
	switch {
	case ok >= minMeasured:
		// A young controller has less than a window of history.
		window := min(max(t.Sub(c.born), slot), slots*slot)
		next = decreaseFactor * float64(ok) * float64(time.Second) / float64(window)
		if !math.IsInf(c.cur, 1) && next > c.cur*decreaseFactor {
			next = c.cur * decreaseFactor
		}
	case math.IsInf(c.cur, 1):
		next = math.Max(float64(ok), 1)
	default:
		next = c.cur / 2
	}
	c.cur = math.Max(next, minRate)
	c.apply()
}

// Rate is the current rate in calls per second (+Inf: not pacing).
func (c *Controller) Rate() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.cur
	if c.ceiling > 0 && c.ceiling < r {
		r = c.ceiling
	}
	return r
}

// Peak is the most calls admitted within one second.
func (c *Controller) Peak() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roll()
	return c.peak
}
