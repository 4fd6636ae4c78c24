package awsauth

import (
	"context"
	"fmt"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// DefaultSmallAttemptTimeout bounds one attempt of a call whose answer is
// small (every IAM, STS and Organizations read except the two below). Such
// an answer takes tens of milliseconds from AWS; five seconds is two orders
// of magnitude of slack, and it is what lets a silent endpoint fail an
// account in seconds instead of RetryMaxAttempts × AttemptTimeout.
const DefaultSmallAttemptTimeout = 5 * time.Second

// largeAnswers are the operations whose answer can be megabytes (a page of
// GetAccountAuthorizationDetails of a large account, the credential report
// CSV): they keep the whole AttemptTimeout.
var largeAnswers = map[string]bool{
	"GetAccountAuthorizationDetails": true,
	"GetCredentialReport":            true,
}

// smallAnswerServices are the services whose reads the short bound applies
// to. Others (S3 objects of the store, CloudTrail pages) are streamed or
// large and keep only AttemptTimeout.
var smallAnswerServices = map[string]bool{"IAM": true, "STS": true, "Organizations": true}

// attemptTimeoutError is what a timed-out attempt returns. It does not wrap
// the context's error on purpose: smithy-go turns a request whose context
// ended into a CanceledError, which the SDK never retries; this error says
// Timeout() and so is retried like any other timed-out connection, and the
// run's own context stays untouched.
type attemptTimeoutError struct {
	op string
	d  time.Duration
}

func (e *attemptTimeoutError) Error() string {
	return fmt.Sprintf("%s: attempt timed out: no answer within %v", e.op, e.d)
}
func (e *attemptTimeoutError) Timeout() bool   { return true }
func (e *attemptTimeoutError) Temporary() bool { return true }

// smallAttemptTimeout returns the middleware that bounds each attempt of a small
// read by d. It sits at the front of the deserialize step, so it covers
// sending the request and reading the whole answer, and runs inside the
// retry loop and the rate controller's wait (finalize step): time spent
// waiting for the rate or backing off is not charged to the attempt.
func smallAttemptTimeout(d time.Duration) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("orgiamAttemptTimeout", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			op := awsmiddleware.GetOperationName(ctx)
			if !smallAnswerServices[awsmiddleware.GetServiceID(ctx)] || largeAnswers[op] {
				return next.HandleDeserialize(ctx, in)
			}
			actx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			out, md, err := next.HandleDeserialize(actx, in)
			if err != nil && ctx.Err() == nil && actx.Err() == context.DeadlineExceeded {
				err = &attemptTimeoutError{op: awsmiddleware.GetServiceID(ctx) + ":" + op, d: d}
			}
			return out, md, err
		}), middleware.Before)
	}
}
