package pipeline

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/orgiam/orgiam/internal/collect"
)

// TestBoundCallsAcrossClients makes 24 calls at once through two services'
// clients of one configuration and checks the server never had more than
// the bound in flight, and had that many (the bound is not one at a time).
func TestBoundCallsAcrossClients(t *testing.T) {
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		w.Header().Set("Content-Type", "text/xml")
		_ = r.ParseForm()
		switch r.Form.Get("Action") {
		case "GetCallerIdentity":
			w.Write([]byte(`<GetCallerIdentityResponse><GetCallerIdentityResult><Account>111111111111</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`))
		default:
			w.Write([]byte(`<ListAccountAliasesResponse><ListAccountAliasesResult><AccountAliases/><IsTruncated>false</IsTruncated></ListAccountAliasesResult></ListAccountAliasesResponse>`))
		}
	}))
	defer srv.Close()
	const bound = 3
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		APIOptions:       []func(*middleware.Stack) error{boundCalls(make(chan struct{}, bound))},
		RetryMaxAttempts: 1}
	iamc, stsc := iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
	var wg sync.WaitGroup
	errs := make(chan error, 24)
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				_, err = iamc.ListAccountAliases(context.Background(), &iam.ListAccountAliasesInput{})
			} else {
				_, err = stsc.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if p := peak.Load(); p != bound {
		t.Fatalf("peak calls in flight %d, want %d", p, bound)
	}

	// A call that waits for a slot gives up with its context.
	slots := make(chan struct{}, 1)
	slots <- struct{}{} // taken
	cfg.APIOptions = []func(*middleware.Stack) error{boundCalls(slots)}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := iam.NewFromConfig(cfg).ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}); err == nil {
		t.Fatal("a call with no free slot and a cancelled context succeeded")
	}
}

// calledCollector is an account-scope collector that records its call and
// fails with its context's error.
type calledCollector struct {
	name   string
	called *atomic.Int32
}

func (c calledCollector) Name() string       { return c.name }
func (calledCollector) Scope() collect.Scope { return collect.ScopeAccount }
func (calledCollector) Actions() []string    { return nil }
func (c calledCollector) Collect(ctx context.Context, _ *collect.Item, _ collect.Writer) error {
	c.called.Add(1)
	return ctx.Err()
}

// An account whose deadline has passed when its collectors start still
// calls every one: the account then fails with the deadline, and never
// reads as collected without its data.
func TestCollectAccountPastItsDeadlineFails(t *testing.T) {
	var called atomic.Int32
	cs := []collect.Collector{calledCollector{"a", &called}, calledCollector{"b", &called}, calledCollector{"c", &called}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	var failure *phaseError
	w := &accountWriter{ctx: context.Background(), account: "111111111111"}
	if err := collectAccount(ctx, cs, &collect.Item{Account: "111111111111", Parallel: 8}, w, &failure); err != nil {
		t.Fatal(err)
	}
	if n := called.Load(); n != 3 {
		t.Errorf("%d of 3 collectors called", n)
	}
	if failure == nil || !errors.Is(failure.err, context.DeadlineExceeded) {
		t.Fatalf("failure %+v, want the account's deadline", failure)
	}
}
