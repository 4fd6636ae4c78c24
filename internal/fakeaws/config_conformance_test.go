package fakeaws

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/smithy-go"

	"github.com/orgiam/orgiam/internal/testutil/moto"
)

// aggregatorView is what orgiam reads of DescribeConfigurationAggregators.
type aggregatorView struct {
	Name     string
	ArnShape bool
	OrgWide  bool
	Accounts bool
	Err      string
}

func describeAggregator(t *testing.T, cfg aws.Config, name string) aggregatorView {
	t.Helper()
	arnRe := regexp.MustCompile(`^arn:aws:config:eu-west-1:\d{12}:config-aggregator/config-aggregator-[a-z0-9]+$`)
	out, err := configservice.NewFromConfig(cfg).DescribeConfigurationAggregators(context.Background(), &configservice.DescribeConfigurationAggregatorsInput{ConfigurationAggregatorNames: []string{name}})
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return aggregatorView{Name: name, Err: ae.ErrorCode()}
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(out.ConfigurationAggregators) != 1 {
		t.Fatalf("%s: %d aggregators", name, len(out.ConfigurationAggregators))
	}
	a := out.ConfigurationAggregators[0]
	return aggregatorView{
		Name: aws.ToString(a.ConfigurationAggregatorName), ArnShape: arnRe.MatchString(aws.ToString(a.ConfigurationAggregatorArn)),
		OrgWide: a.OrganizationAggregationSource != nil, Accounts: len(a.AccountAggregationSources) > 0,
	}
}

// TestConfigAggregatorsConformWithMoto compares fakeaws'
// DescribeConfigurationAggregators with moto's, for an organization
// aggregator, an account aggregator and a name that does not exist.
// (moto does not implement SelectAggregateResourceConfig: the query is
// emulated by fakeaws alone.)
func TestConfigAggregatorsConformWithMoto(t *testing.T) {
	m := moto.Start(t)
	ctx := context.Background()
	mcfg := aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(m.Endpoint), Credentials: credentials.NewStaticCredentialsProvider("AKIAEXAMPLEBASE00000", "secret", "")}
	cs := configservice.NewFromConfig(mcfg)
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
	_, fcfg := start(t, Options{Seed: 1, AccountsPerOrg: 2, ConfigAggregator: "org-users", ConfigAccountAggregator: "some-accounts"}, Knobs{})
	fcfg.Region = "eu-west-1"
	for _, name := range []string{"org-users", "some-accounts", "no-such-aggregator"} {
		want, got := describeAggregator(t, mcfg, name), describeAggregator(t, fcfg, name)
		if got != want {
			t.Errorf("%s: fakeaws %+v, moto %+v", name, got, want)
		}
	}
}
