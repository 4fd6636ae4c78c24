package policygen

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	aa "github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

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
	// The trail, in the emulator's S3: the generated policy comes from it.
	putTrail(t, url, "log-archive", "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/10/trail.json.gz", []map[string]any{
		aaRecord(app, "2026-11-10T10:00:00Z", "ec2.amazonaws.com", "DescribeInstances", nil),
		aaRecord(app, "2026-11-10T10:01:00Z", "s3.amazonaws.com", "GetBucketPolicy", nil),
		aaRecord(app, "2026-11-10T10:02:00Z", "s3.amazonaws.com", "DeleteBucket", nil),
		// A data event, a denied call, a call outside the range, another
		// principal's call: none is in Access Analyzer's output.
		aaRecord(app, "2026-11-10T10:03:00Z", "s3.amazonaws.com", "GetObject", map[string]any{"managementEvent": false, "eventCategory": "Data"}),
		aaRecord(app, "2026-11-10T10:04:00Z", "sqs.amazonaws.com", "SendMessage", map[string]any{"errorCode": "AccessDenied"}),
		aaRecord(app, "2026-09-01T10:00:00Z", "iam.amazonaws.com", "ListRoles", nil),
		aaRecord("arn:aws:iam::111122223333:role/other", "2026-11-10T10:05:00Z", "dynamodb.amazonaws.com", "GetItem", nil),
	})
	srv.SetAccessAnalyzer(fakeaws.AccessAnalyzerOptions{
		PollsToComplete: 3,
		Trails:          map[string]string{"arn:aws:cloudtrail:eu-west-1:111122223333:trail/org": "log-archive/AWSLogs/"},
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
	if got := out[0].Grants; !reflect.DeepEqual(sortedKeys(got), []string{"ec2:DescribeInstances", "s3:DeleteBucket", "s3:GetBucketPolicy"}) {
		t.Errorf("derived from the trail: %v", sortedKeys(got))
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
	if got := res[0].Policies[0].Actions(); !reflect.DeepEqual(got, []string{"ec2:DescribeInstances", "s3:GetBucketPolicy"}) {
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
	// A trail the emulator does not deliver anywhere: the job fails.
	out, err = GenerateWithAnalyzer(ctx, client, principals[:1], AnalyzerOptions{TrailARN: "arn:aws:cloudtrail:eu-west-1:111122223333:trail/none", AccessRole: "arn:aws:iam::111122223333:role/aa", Since: since, Until: until, Sleep: sleep})
	if err != nil || len(out) != 1 || out[0].Status != "FAILED" || !strings.Contains(out[0].Error, "RESOURCE_NOT_FOUND_ERROR") {
		t.Errorf("unknown trail: %+v %v", out, err)
	}
}

// aaRecord is a CloudTrail record of a call by a role's session.
func aaRecord(role, at, source, name string, extra map[string]any) map[string]any {
	r := map[string]any{
		"eventVersion": "1.09", "eventTime": at, "eventSource": source, "eventName": name, "awsRegion": "eu-west-1",
		"managementEvent": true, "eventCategory": "Management",
		"userIdentity": map[string]any{"type": "AssumedRole", "arn": strings.Replace(strings.Replace(role, ":iam:", ":sts:", 1), ":role/", ":assumed-role/", 1) + "/session",
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": role}}},
	}
	for k, v := range extra {
		r[k] = v
	}
	return r
}

// putTrail writes one gzipped trail file into the emulator's S3.
func putTrail(t *testing.T, url, bucket, key string, records []map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	json.NewEncoder(zw).Encode(map[string]any{"Records": records})
	zw.Close()
	c := s3.New(s3.Options{Region: "eu-west-1", BaseEndpoint: aws.String(url), UsePathStyle: true, Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(buf.Bytes())}); err != nil {
		t.Fatal(err)
	}
}
