// Package awsauth builds the credential chains orgiam uses: the SDK's default
// chain (profiles, environment, SSO, instance roles) as the base, an optional
// intermediate role, then one role per organization for listing accounts and
// one collect role per target account. Assumed credentials are cached and
// refreshed before they expire.
package awsauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"

	"github.com/orgiam/orgiam/internal/iamarn"
)

// Options configure the base credentials.
type Options struct {
	Region  string // default: from the AWS config, else us-east-1
	Profile string
	// Endpoint overrides every service endpoint (emulators); AWS_ENDPOINT_URL
	// is honoured by the SDK without it.
	Endpoint string
	// Credentials overrides the default chain (the demo's static keys).
	Credentials aws.CredentialsProvider
	// APIOptions are added to every client (rate limiter, counters).
	APIOptions []func(*middleware.Stack) error
	// MaxConns sizes the HTTP connection pool (about the worker count).
	MaxConns int
	// RetryMaxAttempts for the SDK's retryer (default 3). Throttling does not
	// spend them: the rate controller's middleware absorbs it (fanout). They
	// are for faults — a 5xx, a broken connection, a timed-out attempt — and
	// bound how long a dead endpoint holds an account.
	RetryMaxAttempts int
	// AttemptTimeout bounds one HTTP attempt, from sending to the end of the
	// body (default 20s): a server that stops answering costs an account at
	// most about RetryMaxAttempts × AttemptTimeout, not its whole timeout.
	AttemptTimeout time.Duration
	// SmallAttemptTimeout bounds one attempt of an IAM, STS or Organizations
	// call whose answer is small (default DefaultSmallAttemptTimeout; never
	// more than AttemptTimeout). See attempt.go.
	SmallAttemptTimeout time.Duration
	// SessionName is the RoleSessionName of every AssumeRole (default "orgiam").
	SessionName string
	// Logger receives the SDK's own log lines (such as its warnings) as
	// records of orgiam's log, in its format; nil leaves the SDK's default,
	// plain lines on standard error.
	Logger *slog.Logger
}

// sdkLogger passes the SDK's log lines to a slog.Logger.
type sdkLogger struct{ log *slog.Logger }

func (s sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	level := slog.LevelInfo
	switch c {
	case logging.Warn:
		level = slog.LevelWarn
	case logging.Debug:
		level = slog.LevelDebug
	}
	// smithy-go warns when it cannot drain a response body it has already
	// decoded ("failed to discard remaining HTTP response body, this may
	// affect connection reuse"): seen under pacing against a local emulator,
	// after the answer was read in full. It costs one connection's reuse,
	// nothing of the data, so it is debug output, not a warning for users.
	if level == slog.LevelWarn && strings.Contains(format, "HTTP response body") {
		level = slog.LevelDebug
	}
	s.log.Log(context.Background(), level, fmt.Sprintf(format, v...), "source", "aws-sdk")
}

// Identity is who the base credentials are.
type Identity struct {
	Account   string
	Arn       string
	Partition string
}

// Auth holds the base configuration and derives role configurations from it.
type Auth struct {
	Base        aws.Config
	Identity    Identity
	SessionName string
}

// ErrNoCredentials means the SDK's default chain found nothing.
// ErrNoProfile is a --profile (or AWS_PROFILE) that the AWS config files do not define.
var ErrNoProfile = errors.New("--profile: no such AWS profile")

var ErrNoCredentials = errors.New("no AWS credentials found: set AWS_PROFILE (or --profile), run `aws sso login`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")

var sessionNameRe = regexp.MustCompile(`[^\w+=,.@-]`)

// SessionName makes a valid RoleSessionName ("orgiam-<suffix>", at most 64).
func SessionName(suffix string) string {
	s := "orgiam"
	if suffix != "" {
		s += "-" + suffix
	}
	s = sessionNameRe.ReplaceAllString(s, "-")
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// LoadBase loads the SDK's default configuration with orgiam's retryer, HTTP
// pool and API options, without calling AWS.
func LoadBase(ctx context.Context, o Options) (aws.Config, error) {
	maxConns := o.MaxConns
	if maxConns < 16 {
		maxConns = 16
	}
	attempts := o.RetryMaxAttempts
	if attempts <= 0 {
		attempts = 3
	}
	attemptTimeout := o.AttemptTimeout
	if attemptTimeout <= 0 {
		attemptTimeout = 20 * time.Second
	}
	small := o.SmallAttemptTimeout
	if small <= 0 {
		small = DefaultSmallAttemptTimeout
	}
	small = min(small, attemptTimeout)
	httpClient := awshttp.NewBuildableClient().WithTimeout(attemptTimeout).WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = maxConns * 2
		t.MaxIdleConnsPerHost = maxConns * 2
		t.MaxConnsPerHost = 0
	})
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
				ao.StandardOptions = append(ao.StandardOptions, func(so *retry.StandardOptions) {
					so.MaxAttempts = attempts
					so.MaxBackoff = 5 * time.Second
				})
			})
		}),
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(o.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		var pe config.SharedConfigProfileNotExistError
		if errors.As(err, &pe) {
			return aws.Config{}, fmt.Errorf("%w: %q is in none of the AWS config files (%s)", ErrNoProfile, pe.Profile, strings.Join(pe.Filename, ", "))
		}
		return aws.Config{}, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if o.Endpoint != "" {
		cfg.BaseEndpoint = aws.String(o.Endpoint)
	}
	if o.Logger != nil {
		cfg.Logger = sdkLogger{o.Logger}
	}
	cfg.APIOptions = append(cfg.APIOptions, smallAttemptTimeout(small))
	cfg.APIOptions = append(cfg.APIOptions, o.APIOptions...)
	return cfg, nil
}

// New loads the base configuration and checks the credentials with
// sts:GetCallerIdentity, which also gives the partition.
func New(ctx context.Context, o Options) (*Auth, error) {
	cfg, err := LoadBase(ctx, o)
	if err != nil {
		return nil, err
	}
	id, err := WhoAmI(ctx, cfg)
	if err != nil {
		return nil, err
	}
	name := o.SessionName
	if name == "" {
		name = SessionName("")
	}
	return &Auth{Base: cfg, Identity: id, SessionName: name}, nil
}

// WhoAmI calls sts:GetCallerIdentity with cfg.
func WhoAmI(ctx context.Context, cfg aws.Config) (Identity, error) {
	if cfg.Credentials == nil {
		return Identity{}, ErrNoCredentials
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return Identity{}, fmt.Errorf("%w (%v)", ErrNoCredentials, err)
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, fmt.Errorf("sts:GetCallerIdentity: %w", err)
	}
	arn := aws.ToString(out.Arn)
	return Identity{Account: aws.ToString(out.Account), Arn: arn, Partition: PartitionOfARN(arn, cfg.Region)}, nil
}

// PartitionOfARN returns the partition of an ARN, or of the region when the
// ARN has none.
func PartitionOfARN(arn, region string) string {
	if p := iamarn.Partition(arn); p != "" {
		return p
	}
	return PartitionOfRegion(region)
}

// PartitionOfRegion maps a region to its partition.
func PartitionOfRegion(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// RoleARN builds arn:<partition>:iam::<account>:role<path><name>. path must
// start and end with "/" ("" counts as "/").
func RoleARN(partition, account, path, name string) string {
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	return fmt.Sprintf("arn:%s:iam::%s:role%s%s", partition, account, path, name)
}

// Assume returns a copy of parent whose credentials come from assuming
// roleARN with parent's credentials (cached, refreshed five minutes before
// expiry). The AssumeRole call itself happens on first use.
func (a *Auth) Assume(parent aws.Config, roleARN, externalID string) aws.Config {
	cfg := parent.Copy()
	prov := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(parent), roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = a.SessionName
		if externalID != "" {
			o.ExternalID = aws.String(externalID)
		}
		o.Duration = time.Hour
	})
	cfg.Credentials = aws.NewCredentialsCache(prov, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = 5 * time.Minute
	})
	return cfg
}

// Chain assumes each role in turn starting from the base configuration;
// empty entries are skipped. The external id is used on the last hop only.
func (a *Auth) Chain(externalID string, roles ...string) aws.Config {
	cfg := a.Base
	var hops []string
	for _, r := range roles {
		if r != "" {
			hops = append(hops, r)
		}
	}
	for i, r := range hops {
		ext := ""
		if i == len(hops)-1 {
			ext = externalID
		}
		cfg = a.Assume(cfg, r, ext)
	}
	return cfg
}
