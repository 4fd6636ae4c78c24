package fanout_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go/middleware"

	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/fanout"
)

func fakeConfig(t *testing.T, k fakeaws.Knobs, lim *fanout.Limiter, client *http.Client) (*fakeaws.Server, aws.Config) {
	t.Helper()
	s := fakeaws.New(fakeaws.NewWorld(fakeaws.Options{Seed: 3, AccountsPerOrg: 2, Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}), k)
	u, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(u),
		Credentials: credentials.NewStaticCredentialsProvider("AKIABASEEXAMPLE00001", "secret", ""),
		Retryer:     func() aws.Retryer { return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 3 }) },
		APIOptions:  []func(*middleware.Stack) error{lim.Middleware()}}
	if client != nil {
		cfg.HTTPClient = client
	}
	lim.SetOrigin(s.Knobs().CallerAccount)
	return s, cfg
}

// KMS throttled by the server while IAM is not: the IAM calls made at the
// same time are never throttled and their controller never starts pacing.
func TestMiddlewareKeepsServicesApart(t *testing.T) {
	lim := fanout.New(fanout.Options{})
	s, cfg := fakeConfig(t, fakeaws.Knobs{Throttle: map[string]fakeaws.Bucket{"kms": {Rate: 40, Burst: 2}}}, lim, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			c := kms.NewFromConfig(cfg)
			for i := 0; i < 15; i++ {
				_, err := c.ListKeys(ctx, &kms.ListKeysInput{})
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			c := iam.NewFromConfig(cfg)
			for i := 0; i < 50; i++ {
				_, err := c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Throttled["kms"] == 0 {
		t.Fatal("the server never throttled KMS: the test proves nothing")
	}
	if st.Throttled["iam"] != 0 {
		t.Fatalf("IAM throttled %d times with no IAM limit", st.Throttled["iam"])
	}
	origin := s.Knobs().CallerAccount
	if r := lim.Controller(fanout.KeyOfService(origin, "KMS")).Rate(); math.IsInf(r, 1) {
		t.Fatal("the KMS controller does not pace after throttles")
	}
	if r := lim.Controller(fanout.KeyOfService(origin, "IAM")).Rate(); !math.IsInf(r, 1) {
		t.Fatalf("the IAM controller paces at %v/s because KMS was throttled", r)
	}
}

// A server that stops answering: after a few timed-out attempts the
// origin's breaker fails the next calls at once, naming the silence.
func TestMiddlewareBreaksOnASilentServer(t *testing.T) {
	lim := fanout.New(fanout.Options{})
	s, cfg := fakeConfig(t, fakeaws.Knobs{}, lim, &http.Client{Timeout: 50 * time.Millisecond})
	ctx := context.Background()
	c := iam.NewFromConfig(cfg)
	if _, err := c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}); err != nil {
		t.Fatal(err)
	}
	s.SetKnobs(fakeaws.Knobs{Hang: true})
	var silent *fanout.SilentEndpointError
	calls := 0
	for ; calls < 10 && !errors.As(err1(c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})), &silent); calls++ {
	}
	if silent == nil {
		t.Fatal("10 calls of 3 attempts each timed out and the breaker never opened")
	}
	before := s.Stats().Total
	_, err := c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
	if !errors.As(err, &silent) {
		t.Fatalf("call after the breaker opened: %v", err)
	}
	if n := s.Stats().Total - before; n != 0 {
		t.Fatalf("%d attempts reached the server with the breaker open", n)
	}
	// The server answers again: the first probe closes the breaker.
	s.SetKnobs(fakeaws.Knobs{})
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("breaker still open 10 s after the server answered again: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func err1[T any](_ T, err error) error { return err }

// The peak rate counts the calls of every service, as Calls does: 30 IAM
// and 20 KMS calls within one second peak at 50 a second, not at the 30 of
// the busiest service, and later quieter seconds leave the peak alone.
func TestPeakRateCountsEveryService(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	lim := fanout.New(fanout.Options{Now: clock})
	_, cfg := fakeConfig(t, fakeaws.Knobs{}, lim, nil)
	ctx := context.Background()
	calls := func(n, m int) {
		for i := 0; i < n; i++ {
			if _, err := iam.NewFromConfig(cfg).ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < m; i++ {
			if _, err := kms.NewFromConfig(cfg).ListKeys(ctx, &kms.ListKeysInput{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	calls(30, 20)
	if p := lim.PeakRate(); p != 50 {
		t.Fatalf("peak %v calls/s after 50 calls within a second, want 50", p)
	}
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	calls(5, 5)
	if p, n := lim.PeakRate(), lim.Calls(); p != 50 || n != 60 {
		t.Fatalf("peak %v calls/s and %d calls after a quieter second, want 50 and 60", p, n)
	}
}
