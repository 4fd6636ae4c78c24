package fakeaws

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestInjectedFaults(t *testing.T) {
	s, cfg := start(t, Options{Seed: 8, AccountsPerOrg: 3}, Knobs{FailFraction: 0.5, FailSeed: 1})
	ctx := context.Background()
	cases := []struct {
		name string
		call func() error
	}{
		{"iam", func() error {
			_, err := iam.NewFromConfig(cfg).ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
			return err
		}},
		{"organizations", func() error {
			_, err := organizations.NewFromConfig(cfg).ListRoots(ctx, &organizations.ListRootsInput{})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			codes := map[string]int{}
			for i := 0; i < 40; i++ {
				codes[errCode(c.call())]++
			}
			if codes["InternalFailure"]+codes["ServiceUnavailable"] == 0 || codes[""] == 0 {
				t.Fatalf("answers by code = %v, want both failures and successes", codes)
			}
		})
	}
	if s.Stats().Faults == 0 {
		t.Fatal("Stats().Faults = 0")
	}
	retrying := cfg.Copy()
	retrying.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 30
			o.MaxBackoff = 5 * time.Millisecond
			o.RateLimiter = noRateLimit{}
		})
	}
	for i := 0; i < 10; i++ {
		if _, err := iam.NewFromConfig(retrying).ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}); err != nil {
			t.Fatalf("retryer did not absorb the injected 5xx: %v", err)
		}
	}
}

type noRateLimit struct{}

func (noRateLimit) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}
func (noRateLimit) AddTokens(uint) error { return nil }

// TestLargeWorldIsCheap checks that a 10,000-account world holds only the
// organization structure: account contents are generated on demand.
func TestLargeWorldIsCheap(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a 10,000-account world")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	w := NewWorld(Options{Seed: 9, Orgs: 4, AccountsPerOrg: 2500, Size: Size{Users: 3, Roles: 2, Groups: 2, Policies: 2}, Now: testNow})
	for _, a := range w.Accounts() {
		if d := w.Account(a.ID); len(d.Users) != 3 {
			t.Fatalf("account %s has %d users, want 3", a.ID, len(d.Users))
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if len(w.Accounts()) != 10000 {
		t.Fatalf("accounts = %d", len(w.Accounts()))
	}
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 40<<20 {
		t.Fatalf("heap grew by %d MB for 10,000 accounts, want < 40", grown>>20)
	}
	runtime.KeepAlive(w)
}

// The throttle model is one token bucket per origin account shared by IAM,
// STS and Organizations, and it tells the client nothing about itself.
func TestThrottleModelPerOriginAcrossServices(t *testing.T) {
	s, cfg := start(t, Options{Seed: 4, AccountsPerOrg: 3}, Knobs{RatePerAccount: 1, Burst: 3})
	ctx := context.Background()
	// The burst is spent across services: IAM, then STS, then Organizations.
	if _, err := iam.NewFromConfig(cfg).ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	orgs := organizations.NewFromConfig(cfg)
	if _, err := orgs.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	_, err := orgs.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if errCode(err) != "TooManyRequestsException" {
		t.Fatalf("4th call of the origin within its burst of 3: %v, want TooManyRequestsException", err)
	}
	_, err = iam.NewFromConfig(cfg).ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
	if errCode(err) != "Throttling" {
		t.Fatalf("IAM after the bucket is empty: %v, want Throttling", err)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("no HTTP response in %v", err)
	}
	for _, h := range []string{"Retry-After", "X-Amzn-Ratelimit-Limit", "X-Ratelimit-Limit", "X-Ratelimit-Remaining"} {
		if v := re.Response.Header.Get(h); v != "" {
			t.Fatalf("the server told the client its limit: %s: %s", h, v)
		}
	}
	if st := s.Stats(); st.Throttles != 2 {
		t.Fatalf("throttles counted %d, want 2", st.Throttles)
	}
}

func TestThrottleAllAndHang(t *testing.T) {
	s, cfg := start(t, Options{Seed: 4, AccountsPerOrg: 3}, Knobs{ThrottleAll: true})
	ctx := context.Background()
	if _, err := iam.NewFromConfig(cfg).ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}); errCode(err) != "Throttling" {
		t.Fatalf("ThrottleAll: %v", err)
	}
	s.SetKnobs(Knobs{Hang: true})
	hctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := iam.NewFromConfig(cfg).ListAccountAliases(hctx, &iam.ListAccountAliasesInput{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hang: %v, want the client's deadline", err)
	}
	s.SetKnobs(Knobs{})
	if _, err := iam.NewFromConfig(cfg).ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}); err != nil {
		t.Fatal(err)
	}
}
