package fakeaws

import (
	"context"
	"errors"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
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

// The throttle model is one token bucket per origin account and service:
// spending one service's burst throttles that service only, each with its
// own error code, and the server tells the client nothing about its limits.
func TestThrottleModelPerOriginAndService(t *testing.T) {
	s, cfg := start(t, Options{Seed: 4, AccountsPerOrg: 3}, Knobs{RatePerAccount: 0.001, Burst: 2, Regions: []string{"us-east-1"},
		Throttle: map[string]Bucket{"kms": {Rate: 0.001, Burst: 3}}})
	ctx := context.Background()
	calls := []struct {
		service, code string
		burst         int
		call          func() error
	}{
		{"iam", "Throttling", 2, func() error {
			_, err := iam.NewFromConfig(cfg).ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
			return err
		}},
		{"sts", "Throttling", 2, func() error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
		{"organizations", "TooManyRequestsException", 2, func() error {
			_, err := organizations.NewFromConfig(cfg).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
			return err
		}},
		{"ec2", "RequestLimitExceeded", 2, func() error {
			_, err := ec2.NewFromConfig(cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
			return err
		}},
		{"s3", "SlowDown", 2, func() error {
			_, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		}},
		{"kms", "ThrottlingException", 3, func() error {
			_, err := kms.NewFromConfig(cfg).ListKeys(ctx, &kms.ListKeysInput{})
			return err
		}},
		{"sqs", "RequestThrottled", 2, func() error {
			_, err := sqs.NewFromConfig(cfg).ListQueues(ctx, &sqs.ListQueuesInput{})
			return err
		}},
		{"sns", "Throttling", 2, func() error {
			_, err := sns.NewFromConfig(cfg).ListTopics(ctx, &sns.ListTopicsInput{})
			return err
		}},
		{"lambda", "TooManyRequestsException", 2, func() error {
			_, err := lambda.NewFromConfig(cfg).ListFunctions(ctx, &lambda.ListFunctionsInput{})
			return err
		}},
		{"secretsmanager", "ThrottlingException", 2, func() error {
			_, err := secretsmanager.NewFromConfig(cfg).ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
			return err
		}},
		{"ecr", "ThrottlingException", 2, func() error {
			_, err := ecr.NewFromConfig(cfg).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
			return err
		}},
		{"access-analyzer", "ThrottlingException", 2, func() error {
			_, err := accessanalyzer.NewFromConfig(cfg).ListAnalyzers(ctx, &accessanalyzer.ListAnalyzersInput{})
			return err
		}},
	}
	// Every service's burst is its own: each answers its burst of calls even
	// after the services before it were throttled.
	for _, c := range calls {
		for i := 0; i < c.burst; i++ {
			if err := c.call(); err != nil {
				t.Fatalf("%s call %d within its own burst of %d: %v", c.service, i+1, c.burst, err)
			}
		}
		err := c.call()
		if errCode(err) != c.code {
			t.Fatalf("%s past its burst: %v, want %s", c.service, err, c.code)
		}
		var re *awshttp.ResponseError
		if !errors.As(err, &re) {
			t.Fatalf("%s: no HTTP response in %v", c.service, err)
		}
		for _, h := range []string{"Retry-After", "X-Amzn-Ratelimit-Limit", "X-Ratelimit-Limit", "X-Ratelimit-Remaining"} {
			if v := re.Response.Header.Get(h); v != "" {
				t.Fatalf("%s: the server told the client its limit: %s: %s", c.service, h, v)
			}
		}
	}
	st := s.Stats()
	if st.Throttles != int64(len(calls)) {
		t.Fatalf("throttles counted %d, want %d", st.Throttles, len(calls))
	}
	for _, c := range calls {
		if st.Granted[c.service] != int64(c.burst) || st.Throttled[c.service] != 1 {
			t.Fatalf("%s: granted %d, throttled %d; want %d and 1", c.service, st.Granted[c.service], st.Throttled[c.service], c.burst)
		}
	}
	// Another origin account has buckets of its own.
	k := s.Knobs()
	if !s.allow("999988887777", "iam", k) {
		t.Fatal("another origin's IAM bucket was spent by the first origin's calls")
	}
	if s.allow(k.CallerAccount, "iam", k) {
		t.Fatal("the first origin's IAM bucket refilled within the test")
	}
}

func TestThrottleAllAndHang(t *testing.T) {
	s, cfg := start(t, Options{Seed: 4, AccountsPerOrg: 3}, Knobs{ThrottleAll: true})
	ctx := context.Background()
	if _, err := iam.NewFromConfig(cfg).ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}); errCode(err) != "Throttling" {
		t.Fatalf("ThrottleAll: %v", err)
	}
	// S3 Control's throttle is in its own error shape (ErrorResponse), which
	// the SDK reads as a throttle to retry, not an unknown error.
	ctl := s3control.NewFromConfig(cfg, func(o *s3control.Options) {
		u, _ := url.Parse(aws.ToString(cfg.BaseEndpoint))
		o.EndpointResolverV2 = loopbackHost{inner: s3control.NewDefaultEndpointResolverV2(), host: u.Host}
	})
	if _, err := ctl.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(s.Knobs().CallerAccount)}); errCode(err) != "SlowDown" {
		t.Fatalf("ThrottleAll, S3 Control: %v, want SlowDown", err)
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

// loopbackHost keeps S3 Control calls on the emulator's host (the endpoint
// rules put the account id in front of it).
type loopbackHost struct {
	inner s3control.EndpointResolverV2
	host  string
}

func (b loopbackHost) ResolveEndpoint(ctx context.Context, p s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	e, err := b.inner.ResolveEndpoint(ctx, p)
	if err == nil {
		e.URI.Host = b.host
	}
	return e, err
}
