package fanout

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// A breaker stops the calls of one origin account from going to an endpoint
// (one host) that stopped answering. Without it every call of every account spends its
// whole retry budget (attempts × attempt timeout) on a silent endpoint, one
// wave of accounts after another; with it, once silentThreshold attempts in
// a row got no answer at all (timed out, refused, reset: no HTTP response),
// every further attempt fails at once, so the accounts still to scan fail in
// milliseconds, each with its own recorded error, and the run ends within
// about two attempt timeouts (the attempts sent before the last answer are
// not counted, those sent after it time out one timeout later). Any answer (even a 5xx or a throttle) closes
// the breaker, and an attempt that went unanswered while another attempt
// was answered is not counted: the endpoint is slow, not silent (a server
// with a queue of hundreds of calls times some of them out in bursts, and
// opening then failed a whole run that was being answered). While it is open one probe goes through every
// breakerCooldown, so an endpoint that comes back is used again.
//
// Why hand-written: the maintained breakers for Go (sony/gobreaker and the
// like) count failed calls, not unanswered attempts, and would open on the
// answered faults (5xx, AccessDenied) that orgiam records per account; the
// rule needed here is ten lines.
type breaker struct {
	origin, host string
	mu           sync.Mutex
	now          func() time.Time
	silent       int       // attempts in a row without an answer
	lastAnswer   time.Time // when an attempt was last answered
	open         bool
	probeAt      time.Time // when open: the next attempt allowed through
	last         error     // the last unanswered attempt's error
	// inflight cancels the attempts being sent: opening the breaker ends
	// them too, so that a large read that would hang for its whole attempt
	// timeout (20 s) ends with the small reads that timed out (5 s).
	inflight map[uint64]context.CancelCauseFunc
	nextID   uint64
}

const (
	// silentThreshold is how many attempts in a row must go unanswered. An
	// endpoint that answers at all breaks the run of failures long before
	// it; a run with 50 accounts in flight reaches it with the first
	// attempts that time out together.
	silentThreshold = 8
	// breakerCooldown is how often an open breaker lets one probe through.
	breakerCooldown = 2 * time.Second
)

// SilentEndpointError is what an attempt returns while the breaker of its
// origin is open. The SDK does not retry it.
type SilentEndpointError struct {
	Origin   string
	Host     string
	Attempts int
	Last     error
}

func (e *SilentEndpointError) Error() string {
	return fmt.Sprintf("endpoint %s not answering the calls of origin account %s: %d attempts in a row got no answer (last: %v); not sent", e.Host, e.Origin, e.Attempts, e.Last)
}

// RetryableError tells the SDK's retryer not to retry.
func (e *SilentEndpointError) RetryableError() bool { return false }

// allow returns nil when an attempt may be sent.
func (b *breaker) allow(origin, host string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return nil
	}
	if t := b.now(); !t.Before(b.probeAt) {
		b.probeAt = t.Add(breakerCooldown)
		return nil // the probe
	}
	return &SilentEndpointError{Origin: origin, Host: host, Attempts: b.silent, Last: b.last}
}

// start returns the context of an attempt about to be sent, which the
// breaker cancels (cause: a *SilentEndpointError) if it opens meanwhile, the
// function to call once the attempt ended, and when it was sent (for
// record).
func (b *breaker) start(ctx context.Context) (context.Context, func(), time.Time) {
	actx, cancel := context.WithCancelCause(ctx)
	b.mu.Lock()
	sent := b.now()
	if b.inflight == nil {
		b.inflight = map[uint64]context.CancelCauseFunc{}
	}
	id := b.nextID
	b.nextID++
	b.inflight[id] = cancel
	b.mu.Unlock()
	return actx, func() {
		b.mu.Lock()
		delete(b.inflight, id)
		b.mu.Unlock()
		cancel(nil)
	}, sent
}

// record hears the outcome of an attempt sent at sent.
func (b *breaker) record(ctx context.Context, err error, sent time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !unanswered(ctx, err) {
		if err == nil || ctx.Err() == nil {
			b.silent, b.open = 0, false
			b.lastAnswer = b.now()
		}
		return
	}
	if b.lastAnswer.After(sent) {
		return // answered another attempt meanwhile: slow, not silent
	}
	b.silent++
	b.last = err
	if b.silent >= silentThreshold && !b.open {
		b.open = true
		b.probeAt = b.now().Add(breakerCooldown)
		for id, cancel := range b.inflight {
			cancel(&SilentEndpointError{Origin: b.origin, Host: b.host, Attempts: b.silent, Last: b.last})
			delete(b.inflight, id)
		}
	}
}

// unanswered reports whether err says the attempt got no HTTP answer: a
// connection that failed or an attempt that timed out, while the caller's
// own context was still live.
func unanswered(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	// The SDK wraps a failed send in a ResponseError too, around an empty
	// response (status 0).
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil && re.Response.Response != nil && re.Response.StatusCode != 0 {
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return false
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
