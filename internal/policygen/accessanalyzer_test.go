package policygen

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	aa "github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"

	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/iamdata"
)

func TestAccessAnalyzerFake(t *testing.T) {
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	srv := fakeaws.New(fakeaws.NewWorld(fakeaws.Options{Seed: 1, Orgs: 1, AccountsPerOrg: 1, Now: now}), fakeaws.Knobs{})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	app := "arn:aws:iam::111122223333:role/app"
	broken := "arn:aws:iam::111122223333:role/broken"
	srv.SetAccessAnalyzer(fakeaws.AccessAnalyzerOptions{
		PollsToComplete: 3,
		Policies:        map[string][]string{app: {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::data/*"},{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}]}`}},
		Fail:            map[string]string{broken: "SERVICE_ERROR"},
	})
	client := aa.New(aa.Options{Region: "eu-west-1", BaseEndpoint: aws.String(url), Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	ctx := context.Background()
	since, until := now.AddDate(0, 0, -30), now

	// Someone else's generation is running: ours must wait for it.
	blocker, err := client.StartPolicyGeneration(ctx, &aa.StartPolicyGenerationInput{
		PolicyGenerationDetails: &aatypes.PolicyGenerationDetails{PrincipalArn: aws.String("arn:aws:iam::111122223333:role/other")},
		CloudTrailDetails:       &aatypes.CloudTrailDetails{AccessRole: aws.String("arn:aws:iam::111122223333:role/aa"), StartTime: aws.Time(since), EndTime: aws.Time(until), Trails: []aatypes.Trail{{CloudTrailArn: aws.String("arn:aws:cloudtrail:eu-west-1:111122223333:trail/org")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sleeps := 0
	sleep := func(ctx context.Context, d time.Duration) error {
		sleeps++
		// Time passes for the other job too.
		_, err := client.GetGeneratedPolicy(ctx, &aa.GetGeneratedPolicyInput{JobId: blocker.JobId})
		return err
	}
	principals := []Principal{{ARN: app, Account: "111122223333", Kind: "role", Name: "app"}, {ARN: broken, Account: "111122223333", Kind: "role", Name: "broken"}}
	out, err := GenerateWithAnalyzer(ctx, client, principals, AnalyzerOptions{TrailARN: "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org", AccessRole: "arn:aws:iam::111122223333:role/aa", Since: since, Until: until, Sleep: sleep})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Status != "SUCCEEDED" || out[1].Status != "FAILED" || !strings.Contains(out[1].Error, "SERVICE_ERROR") {
		t.Fatalf("%+v", out)
	}
	jobs := srv.AccessAnalyzerJobs()
	if len(jobs) != 3 {
		t.Fatalf("%d jobs", len(jobs))
	}
	// One at a time: no two jobs of the account overlapped (each started
	// after the one before it completed).
	if j := jobs[*blocker.JobId]; j.Status != "SUCCEEDED" {
		t.Errorf("the other job is %s: ours started while it ran", j.Status)
	}
	if sleeps < 4 {
		t.Errorf("%d waits: the queue or the polling did not wait", sleeps)
	}
	deny, _ := ParseRules(iamdata.MustLoad(), "deny.json", []byte(`{"Statement":[{"Effect":"Deny","Action":"s3:Delete*","Resource":"*"}]}`), "Deny")
	res, err := AnalyzerResults(out, Options{Rules: Rules{Deny: deny}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res[0].Policies[0].Actions(); !reflect.DeepEqual(got, []string{"ec2:DescribeInstances", "s3:GetObject"}) {
		t.Errorf("merged actions %v", got)
	}
	if !strings.Contains(res[1].Report.Note, "FAILED") {
		t.Errorf("failed job note: %q", res[1].Report.Note)
	}
	if err := ValidateAnalyzerRange(now.AddDate(0, 0, -91), now); err == nil || !strings.Contains(err.Error(), "91 days") {
		t.Errorf("91 days: %v", err)
	}
	if _, err := GenerateWithAnalyzer(ctx, client, principals, AnalyzerOptions{Since: now.AddDate(0, 0, -100), Until: now, Sleep: sleep}); err == nil {
		t.Error("a 100-day range was sent")
	}
	if len(srv.AccessAnalyzerJobs()) != 3 {
		t.Error("a job was started for an invalid range")
	}
}
