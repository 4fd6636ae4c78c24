package fakeaws

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

func shFinding(id, region, product, account string) shtypes.AwsSecurityFinding {
	return shtypes.AwsSecurityFinding{
		SchemaVersion: aws.String("2018-10-08"), Id: aws.String(id),
		ProductArn:  aws.String(fmt.Sprintf("arn:aws:securityhub:%s:%s:product/%s/default", region, product, product)),
		GeneratorId: aws.String("g"), AwsAccountId: aws.String(account),
		Types: []string{"Software and Configuration Checks"}, CreatedAt: aws.String("2026-11-23T09:30:00Z"), UpdatedAt: aws.String("2026-11-23T09:30:00Z"),
		Severity: &shtypes.Severity{Label: shtypes.SeverityLabelHigh}, Title: aws.String("t"), Description: aws.String("d"),
		Resources: []shtypes.Resource{{Type: aws.String("AwsAccount"), Id: aws.String("AWS::::Account:" + account)}},
	}
}

// The emulation keeps Security Hub's rules: at most 100 findings a call,
// the caller's own default product in the call's region, member accounts
// only for the administrator, InvalidAccessException where not enabled.
func TestSecurityHubRules(t *testing.T) {
	s, cfg := start(t, Options{Seed: 2, Orgs: 1, AccountsPerOrg: 3}, Knobs{})
	s.SetSecurityHub(SecurityHubOptions{Disabled: []string{"eu-west-1"}})
	admin := s.w.Orgs()[0].ManagementAccountID
	member := s.w.Accounts()[1].ID
	ctx := context.Background()
	c := sh.NewFromConfig(cfg)

	var many []shtypes.AwsSecurityFinding
	for i := 0; i < 101; i++ {
		many = append(many, shFinding(fmt.Sprint(i), "us-east-1", admin, admin))
	}
	if _, err := c.BatchImportFindings(ctx, &sh.BatchImportFindingsInput{Findings: many}); errCode(err) != "InvalidInputException" {
		t.Errorf("101 findings: %v, want InvalidInputException", err)
	}
	out, err := c.BatchImportFindings(ctx, &sh.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{
		shFinding("ok-own", "us-east-1", admin, admin),
		shFinding("ok-member", "us-east-1", admin, member),
		shFinding("bad-region", "eu-west-2", admin, admin),
		shFinding("bad-product", "us-east-1", member, member),
		shFinding("bad-account", "us-east-1", admin, "999999999999"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.SuccessCount) != 2 || len(out.FailedFindings) != 3 {
		t.Fatalf("success %d, failed %d; want 2 and 3", aws.ToInt32(out.SuccessCount), len(out.FailedFindings))
	}
	for _, f := range out.FailedFindings {
		if !strings.HasPrefix(aws.ToString(f.Id), "bad-") || aws.ToString(f.ErrorCode) != "InvalidInput" {
			t.Errorf("failed %s: %s %s", aws.ToString(f.Id), aws.ToString(f.ErrorCode), aws.ToString(f.ErrorMessage))
		}
	}
	if got := s.SecurityHubFindings("us-east-1"); len(got) != 2 {
		t.Errorf("us-east-1 holds %d findings, want 2", len(got))
	}
	_, err = c.BatchImportFindings(ctx, &sh.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{shFinding("x", "eu-west-1", admin, admin)}},
		func(o *sh.Options) { o.Region = "eu-west-1" })
	if errCode(err) != "InvalidAccessException" {
		t.Errorf("eu-west-1 (not enabled): %v, want InvalidAccessException", err)
	}
}
