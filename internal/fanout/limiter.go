// Package fanout runs work over many accounts: a bounded worker pool, one
// rate limiter shared by every worker for IAM and STS calls, and counters of
// API calls and throttles absorbed.
package fanout

import (
	"context"
	"errors"
	"sync/atomic"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// Limiter paces AWS calls for the whole process and counts them.
type Limiter struct {
	rl        *rate.Limiter
	calls     atomic.Int64
	throttles atomic.Int64
}

// NewLimiter allows perSecond calls per second with a burst of one second's
// worth (at least 1). perSecond <= 0 means no limit.
func NewLimiter(perSecond float64) *Limiter {
	if perSecond <= 0 {
		return &Limiter{rl: rate.NewLimiter(rate.Inf, 1)}
	}
	burst := int(perSecond)
	if burst < 1 {
		burst = 1
	}
	return &Limiter{rl: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

// Wait blocks until a call may be made.
func (l *Limiter) Wait(ctx context.Context) error { return l.rl.Wait(ctx) }

// Calls is the number of API attempts made through the limiter's middleware.
func (l *Limiter) Calls() int64 { return l.calls.Load() }

// Throttles is the number of attempts AWS answered with a throttling error
// (each then retried by the SDK's retryer).
func (l *Limiter) Throttles() int64 { return l.throttles.Load() }

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

// LimitedServices are the services whose calls wait for the limiter: IAM and
// STS share IAM's per-account request budget. Other calls are only counted.
var LimitedServices = map[string]bool{"IAM": true, "STS": true}

// Middleware returns an SDK API option that waits for the limiter before
// every attempt of an IAM or STS call (retries included: it sits after the
// retryer) and counts attempts and throttles of every call.
func (l *Limiter) Middleware() func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		mw := middleware.FinalizeMiddlewareFunc("orgiamRateLimit", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if LimitedServices[awsmiddleware.GetServiceID(ctx)] {
				if err := l.rl.Wait(ctx); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
			}
			l.calls.Add(1)
			out, md, err := next.HandleFinalize(ctx, in)
			if err != nil && IsThrottle(err) {
				l.throttles.Add(1)
			}
			return out, md, err
		})
		if _, ok := st.Finalize.Get("Retry"); ok {
			return st.Finalize.Insert(mw, "Retry", middleware.After)
		}
		return st.Finalize.Add(mw, middleware.After)
	}
}
