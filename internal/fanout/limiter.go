// Package fanout runs work over many accounts: a bounded worker pool, an
// adaptive rate controller per origin account and service shared by every
// worker, a breaker per origin account that stops sending to an endpoint
// that stopped answering (breaker.go), and counters of API calls and
// throttles absorbed.
package fanout

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Options configure a Limiter.
type Options struct {
	// Ceiling is a hard ceiling in calls per second for each budget (0: none).
	Ceiling float64
	// Disabled turns the adaptive control off: calls are paced only by
	// Ceiling, and throttling answers go back to the SDK's retryer as they
	// did before the controller existed (the benchmarks' baseline).
	Disabled bool
	// KeyOf maps a call's origin and service (the SDK's service id, "IAM")
	// to its budget. Default: KeyOfService.
	KeyOf func(origin, service string) Key
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Limiter paces AWS calls and counts them. One Limiter serves a process;
// it holds one Controller per budget.
type Limiter struct {
	opts   Options
	origin atomic.Value // string

	mu   sync.Mutex
	ctrl map[Key]*Controller
	brk  map[[2]string]*breaker // per origin account and endpoint host

	calls     atomic.Int64
	throttles atomic.Int64
	window    callWindow
}

// callWindow counts every call of the Limiter over the last second, in
// slots, and keeps the most counted in any second: the peak of the same
// calls Calls counts (a budget's own peak is only its part of them).
type callWindow struct {
	mu   sync.Mutex
	r    ring
	peak int
}

func (w *callWindow) add(t time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.r.start.IsZero() {
		w.r.start = t
	}
	w.r.advance(t)
	w.r.add()
	w.peak = max(w.peak, w.r.sum())
}

// New returns a Limiter.
func New(o Options) *Limiter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.KeyOf == nil {
		o.KeyOf = KeyOfService
	}
	if o.Ceiling < 0 || math.IsNaN(o.Ceiling) || math.IsInf(o.Ceiling, 0) {
		o.Ceiling = 0
	}
	l := &Limiter{opts: o, ctrl: map[Key]*Controller{}, brk: map[[2]string]*breaker{}}
	l.origin.Store("")
	return l
}

// NewLimiter is an adaptive Limiter with an optional hard ceiling
// (perSecond <= 0: none).
func NewLimiter(perSecond float64) *Limiter { return New(Options{Ceiling: perSecond}) }

// SetOrigin names the origin account of the calls that follow (the account
// of the base credentials, known once sts:GetCallerIdentity answered).
func (l *Limiter) SetOrigin(account string) { l.origin.Store(account) }

// Controller returns the controller of a budget, creating it.
func (l *Limiter) Controller(k Key) *Controller {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.ctrl[k]
	if c == nil {
		c = newController(l.opts.Ceiling, !l.opts.Disabled, l.opts.Now)
		l.ctrl[k] = c
	}
	return c
}

// breaker returns the breaker of an origin account's calls to one endpoint
// host, creating it. Per host, so that one unreachable endpoint (a region's,
// a service's) does not stop the calls to the others.
func (l *Limiter) breaker(origin, host string) *breaker {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := [2]string{origin, host}
	b := l.brk[k]
	if b == nil {
		b = &breaker{now: l.opts.Now, origin: origin, host: host}
		l.brk[k] = b
	}
	return b
}

// Wait blocks until a call of the current origin to service may be made.
func (l *Limiter) Wait(ctx context.Context, service string) error {
	return l.Controller(l.opts.KeyOf(l.origin.Load().(string), service)).Wait(ctx)
}

// Calls is the number of API attempts made through the limiter's middleware
// (throttled attempts included).
func (l *Limiter) Calls() int64 { return l.calls.Load() }

// Throttles is the number of attempts AWS answered with a throttling error
// (each then sent again).
func (l *Limiter) Throttles() int64 { return l.throttles.Load() }

// PeakRate is the most calls made within one second (of every budget,
// the calls Calls counts), in calls per second.
func (l *Limiter) PeakRate() float64 {
	l.window.mu.Lock()
	defer l.window.mu.Unlock()
	return perSecond(l.window.peak)
}

// throttleCodes are the error codes AWS services use for throttling.
var throttleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"RequestThrottledException": true, "TooManyRequestsException": true,
	"RequestLimitExceeded": true, "SlowDown": true, "RequestThrottled": true,
	"ProvisionedThroughputExceededException": true, "BandwidthLimitExceeded": true,
}

// IsThrottle reports whether err is an AWS throttling error.
func IsThrottle(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && throttleCodes[ae.ErrorCode()]
}

// KeyOfService is the default budget of a call: one per origin account and
// service. Each AWS service throttles on its own (IAM, STS and
// Organizations each have their own quotas, and so do KMS, SQS, SNS, S3,
// Lambda, …), so a throttled KMS must not slow IAM down, nor a throttled
// Organizations the IAM reads of the accounts it listed.
func KeyOfService(origin, service string) Key {
	return Key{Origin: origin, Service: service}
}

// Middleware returns an SDK API option that, for every attempt of a call
// (it sits after the SDK's retryer), asks the breaker of the origin and the
// endpoint host whether the endpoint still answers (an open breaker fails the attempt at once, and
// the SDK does not retry that error), waits for the controller of the
// call's budget (Options.KeyOf: its origin and service), sends the attempt,
// and reports the answer to the breaker and the controller.
// A throttling answer is absorbed here: the controller lowers its rate and
// the same request is sent again once the rate allows, for as long as ctx
// lasts (the account's timeout). Throttles therefore never spend the SDK's
// retry attempts or retry quota, which stay for real faults (5xx, broken
// connections) and keep those bounded. Every attempt of every call is counted.
func (l *Limiter) Middleware() func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		mw := middleware.FinalizeMiddlewareFunc("orgiamRateLimit", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			service := awsmiddleware.GetServiceID(ctx)
			origin := l.origin.Load().(string)
			c := l.Controller(l.opts.KeyOf(origin, service))
			req, rewindable := in.Request.(*smithyhttp.Request)
			host := ""
			if rewindable && req.URL != nil {
				host = req.URL.Host
			}
			b := l.breaker(origin, host)
			for attempt := 0; ; attempt++ {
				if err := b.allow(origin, host); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				if err := c.Wait(ctx); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				ai := in
				if rewindable {
					r := req.Clone()
					if attempt > 0 {
						if err := r.RewindStream(); err != nil {
							return middleware.FinalizeOutput{}, middleware.Metadata{}, err
						}
					}
					ai.Request = r
				}
				l.calls.Add(1)
				l.window.add(l.opts.Now())
				actx, end, sent := b.start(ctx)
				out, md, err := next.HandleFinalize(actx, ai)
				var silent *SilentEndpointError
				if err != nil && ctx.Err() == nil && errors.As(context.Cause(actx), &silent) {
					end()
					return out, md, silent // the breaker opened while this attempt was out
				}
				end()
				b.record(ctx, err, sent)
				if err == nil || !IsThrottle(err) {
					c.Succeeded()
					return out, md, err
				}
				l.throttles.Add(1)
				c.Throttled()
				if l.opts.Disabled || !rewindable || ctx.Err() != nil {
					return out, md, err
				}
			}
		})
		if _, ok := st.Finalize.Get("Retry"); ok {
			return st.Finalize.Insert(mw, "Retry", middleware.After)
		}
		return st.Finalize.Add(mw, middleware.After)
	}
}
