package lambdarunner

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/testutil/moto"
)

// TestConfigReportAgainstMoto runs the config-report handler against moto
// as far as moto answers for AWS Config: moto 5.2.1 implements
// PutConfigurationAggregator and DescribeConfigurationAggregators (so the
// checks of the aggregator run against it) but not
// SelectAggregateResourceConfig, so the query fails there — the test pins
// that the failure names the call and the aggregator and leaves no
// manifest. The query itself runs against fakeaws'
// emulation (TestConfigReportHandlerAgainstFakeaws).
func TestConfigReportAgainstMoto(t *testing.T) {
	srv := moto.Start(t)
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("AKIAEXAMPLEBASE00000", "secret", "")
	base := aws.Config{Region: "eu-west-1", Credentials: creds, BaseEndpoint: aws.String(srv.Endpoint)}
	if _, err := s3.NewFromConfig(base, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket: aws.String("orgiam-data"), CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1},
	}); err != nil {
		t.Fatal(err)
	}
	cs := configservice.NewFromConfig(base)
	if _, err := cs.PutConfigurationAggregator(ctx, &configservice.PutConfigurationAggregatorInput{
		ConfigurationAggregatorName:   aws.String("org-users"),
		OrganizationAggregationSource: &cstypes.OrganizationAggregationSource{RoleArn: aws.String("arn:aws:iam::123456789012:role/aggregator"), AllAwsRegions: true},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.PutConfigurationAggregator(ctx, &configservice.PutConfigurationAggregatorInput{
		ConfigurationAggregatorName: aws.String("some-accounts"),
		AccountAggregationSources:   []cstypes.AccountAggregationSource{{AccountIds: []string{"123456789012"}, AllAwsRegions: true}},
	}); err != nil {
		t.Fatal(err)
	}
	run := func(aggregator string) error {
		vars := map[string]string{
			"ORGIAM_STORE":             "s3://orgiam-data/inventory",
			"ORGIAM_REGION":            "eu-west-1",
			"ORGIAM_CONFIG_AGGREGATOR": aggregator,
		}
		b := &EnvBuilder{
			Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
			Auth:   awsauth.Options{Endpoint: srv.Endpoint, Credentials: creds, RetryMaxAttempts: 1},
			Now:    func() time.Time { return time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) },
		}
		_, err := Handlers(b)["config-report"](ctx, json.RawMessage(scheduledEvent))
		return err
	}
	for _, tc := range []struct{ aggregator, want string }{
		{"no-such-aggregator", `"no-such-aggregator" does not exist in region eu-west-1`},
		{"some-accounts", "not organization-wide"},
		// The checks pass; moto has no SelectAggregateResourceConfig.
		{"org-users", "aggregator org-users: config:SelectAggregateResourceConfig"},
	} {
		err := run(tc.aggregator)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to say %q", tc.aggregator, err, tc.want)
		}
	}
	_, err := s3.NewFromConfig(base, func(o *s3.Options) { o.UsePathStyle = true }).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("orgiam-data"), Key: aws.String("inventory/config-reports/2026-12-07/manifest.json")})
	if err == nil {
		t.Error("a failed report left a manifest")
	}
}
