package fanout

import (
	"context"
	"errors"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "attempt timed out" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestBreakerOpensOnSilenceAndProbes(t *testing.T) {
	now := time.Unix(0, 0)
	b := &breaker{now: func() time.Time { return now }}
	ctx := context.Background()
	for i := 0; i < silentThreshold-1; i++ {
		b.record(ctx, timeoutErr{}, now)
		if err := b.allow("111122223333", "iam.amazonaws.com"); err != nil {
			t.Fatalf("open after %d unanswered attempts, want %d: %v", i+1, silentThreshold, err)
		}
	}
	// An answer, even an error, breaks the run of silent attempts.
	b.record(ctx, &smithy.GenericAPIError{Code: "InternalFailure"}, now)
	for i := 0; i < silentThreshold-1; i++ {
		b.record(ctx, &net.OpError{Op: "dial", Err: errors.New("connection refused")}, now)
	}
	if err := b.allow("111122223333", "iam.amazonaws.com"); err != nil {
		t.Fatalf("an answered fault did not reset the count: %v", err)
	}
	b.record(ctx, timeoutErr{}, now)
	err := b.allow("111122223333", "iam.amazonaws.com")
	var se *SilentEndpointError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "111122223333") || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("after %d unanswered attempts: %v, want a SilentEndpointError naming the origin and the last error", silentThreshold, err)
	}
	if se.RetryableError() {
		t.Fatal("the SDK would retry an open breaker's error")
	}
	// One probe per cooldown.
	now = now.Add(breakerCooldown)
	if err := b.allow("111122223333", "iam.amazonaws.com"); err != nil {
		t.Fatalf("no probe after the cooldown: %v", err)
	}
	if err := b.allow("111122223333", "iam.amazonaws.com"); err == nil {
		t.Fatal("a second attempt went through while the probe was out")
	}
	// The probe is answered: the breaker closes.
	b.record(ctx, nil, now)
	if err := b.allow("111122223333", "iam.amazonaws.com"); err != nil {
		t.Fatalf("still open after an answered probe: %v", err)
	}
}

// A caller that gave up (its context ended) says nothing about the
// endpoint.
func TestBreakerIgnoresCancelledCallers(t *testing.T) {
	b := &breaker{now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := 0; i < 2*silentThreshold; i++ {
		b.record(ctx, timeoutErr{}, time.Now())
	}
	if err := b.allow("1", "h"); err != nil {
		t.Fatalf("open after cancelled calls: %v", err)
	}
}

// Each service of an origin has its own controller: throttles of one leave
// the others' rates alone; another origin's controllers are its own too.
func TestThrottledServiceDoesNotSlowAnother(t *testing.T) {
	now := time.Unix(0, 0)
	l := New(Options{Now: func() time.Time { return now }})
	kms := l.Controller(KeyOfService("111122223333", "KMS"))
	for i := 0; i < 20; i++ {
		kms.admit()
		kms.Succeeded()
		now = now.Add(10 * time.Millisecond)
	}
	kms.Throttled()
	if r := kms.Rate(); r > 100 {
		t.Fatalf("KMS rate %v after a throttle, want it cut", r)
	}
	for _, svc := range []string{"IAM", "STS", "Organizations", "S3", "SQS"} {
		if c := l.Controller(KeyOfService("111122223333", svc)); c == kms || !math.IsInf(c.Rate(), 1) {
			t.Fatalf("%s shares KMS's controller or its rate (%v)", svc, c.Rate())
		}
	}
	if c := l.Controller(KeyOfService("444455556666", "KMS")); c == kms {
		t.Fatal("two origins share one KMS controller")
	}
}

// One endpoint gone silent does not stop the calls to the others (a region's
// endpoint that does not resolve, say).
func TestBreakerIsPerOriginAndHost(t *testing.T) {
	l := New(Options{})
	ctx := context.Background()
	silent := l.breaker("111122223333", "kms.sa-east-1.amazonaws.com")
	for i := 0; i < silentThreshold; i++ {
		silent.record(ctx, timeoutErr{}, time.Now())
	}
	if err := silent.allow("111122223333", "kms.sa-east-1.amazonaws.com"); err == nil {
		t.Fatal("the silent host's breaker did not open")
	}
	if l.breaker("111122223333", "kms.sa-east-1.amazonaws.com") != silent {
		t.Fatal("a second breaker for the same origin and host")
	}
	for _, k := range [][2]string{{"111122223333", "iam.amazonaws.com"}, {"444455556666", "kms.sa-east-1.amazonaws.com"}} {
		if err := l.breaker(k[0], k[1]).allow(k[0], k[1]); err != nil {
			t.Fatalf("%v stopped by another endpoint's silence: %v", k, err)
		}
	}
}

// Opening the breaker ends the attempts still out to that endpoint, with
// the breaker's error as the cause.
func TestBreakerEndsAttemptsInFlight(t *testing.T) {
	b := &breaker{now: time.Now, origin: "111122223333", host: "iam.amazonaws.com"}
	ctx := context.Background()
	actx, end, _ := b.start(ctx)
	defer end()
	for i := 0; i < silentThreshold; i++ {
		b.record(ctx, timeoutErr{}, time.Now())
	}
	select {
	case <-actx.Done():
	default:
		t.Fatal("an attempt in flight was left running after the breaker opened")
	}
	var se *SilentEndpointError
	if !errors.As(context.Cause(actx), &se) || se.Host != "iam.amazonaws.com" {
		t.Fatalf("cause %v, want the breaker's error naming the host", context.Cause(actx))
	}
	if ctx.Err() != nil {
		t.Fatal("the caller's context was cancelled")
	}
}

// An endpoint that answers some attempts while others time out is slow, not
// silent: the attempts sent before its last answer are not counted, those
// sent after it are.
func TestBreakerTellsSlowFromSilent(t *testing.T) {
	now := time.Unix(100, 0)
	b := &breaker{now: func() time.Time { return now }}
	ctx := context.Background()
	sentEarlier := now
	now = now.Add(time.Second)
	b.record(ctx, nil, sentEarlier) // an answer at 101 s
	now = now.Add(4 * time.Second)
	for i := 0; i < 3*silentThreshold; i++ {
		b.record(ctx, timeoutErr{}, sentEarlier) // sent at 100 s, before the answer
	}
	if err := b.allow("111122223333", "iam.amazonaws.com"); err != nil {
		t.Fatalf("opened on attempts sent before an answer came: %v", err)
	}
	sentLater := now
	now = now.Add(5 * time.Second)
	for i := 0; i < silentThreshold; i++ {
		b.record(ctx, timeoutErr{}, sentLater) // nothing answered since they were sent
	}
	if err := b.allow("111122223333", "iam.amazonaws.com"); err == nil {
		t.Fatalf("still closed after %d attempts sent after the last answer went unanswered", silentThreshold)
	}
}
