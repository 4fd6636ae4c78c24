package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/policygen/trailgen"
)

func TestPolicyGenerate(t *testing.T) {
	trail := t.TempDir()
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	exp, err := trailgen.Write(trail, trailgen.Config{Seed: 3, Accounts: 2, UsersPerAccount: 2, RolesPerAccount: 2, Files: 12, EventsPerFile: 100, Start: start, Days: 2})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(trail, "AWSLogs", "broken.json.gz"), []byte{0x1f, 0x8b, 1}, 0o644)
	dir := t.TempDir()
	deny := filepath.Join(dir, "deny.json")
	os.WriteFile(deny, []byte(`["s3:Delete*"]`), 0o600)
	badAllow := filepath.Join(dir, "allow.json")
	os.WriteFile(badAllow, []byte("{\n\"Statement\": [{\"Effect\": \"Allow\",\n \"Action\": \"s3:Nope\"}]}"), 0o600)
	now := func() time.Time { return time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC) }
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Run(context.Background(), args, IO{Out: &out, Err: &errb, Now: now})
		return code, out.String(), errb.String()
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := run("policy", "generate", "--cloudtrail", trail, "--days", "3", "--out", out, "--deny", deny, "--resources", "exact")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "broken.json.gz: gzip") || !strings.Contains(stderr, "1 bad files") {
		t.Errorf("bad file not reported: %s", stderr)
	}
	for arn, actions := range exp.Actions {
		parts := strings.Split(arn, ":")
		acct, name := parts[4], parts[5][strings.LastIndexByte(parts[5], '/')+1:]
		b, err := os.ReadFile(filepath.Join(out, acct, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Statement []struct {
				Effect string
				Action []string
			}
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, s := range doc.Statement {
			if s.Effect == "Allow" {
				for _, a := range s.Action {
					got[a] = true
				}
			}
		}
		for a := range actions {
			if !got[a] {
				t.Errorf("%s: %s missing", arn, a)
			}
		}
		if len(got) != len(actions) {
			t.Errorf("%s: %d actions, want %d", arn, len(got), len(actions))
		}
		if _, err := os.Stat(filepath.Join(out, acct, name+".report.json")); err != nil {
			t.Error(err)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--cloudtrail", filepath.Join(dir, "nope"), "--out", out}, "not a folder"},
		{[]string{"--cloudtrail", trail, "--out", out, "--allow", badAllow}, "allow.json line 3: action \"s3:Nope\""},
		{[]string{"--cloudtrail", trail, "--out", out, "--all-roles"}, "--all-roles and --account"},
		{[]string{"--cloudtrail", trail, "--out", out, "--resources", "some"}, "--resources"},
		{[]string{"--cloudtrail", trail, "--out", out, "--since", "2026-13-01"}, "--since"},
		{[]string{"--cloudtrail", trail, "--out", out, "--principal", "bob"}, "--principal"},
	} {
		code, _, stderr := run(append([]string{"policy", "generate"}, c.args...)...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d %q, want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

func TestPolicyGenerateAccessAnalyzer(t *testing.T) {
	now := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	srv := fakeaws.New(fakeaws.NewWorld(fakeaws.Options{Seed: 1, Orgs: 1, AccountsPerOrg: 1, Now: now}), fakeaws.Knobs{})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	role := "arn:aws:iam::111122223333:role/app"
	putSessionTrail(t, url, []string{role})
	srv.SetAccessAnalyzer(fakeaws.AccessAnalyzerOptions{PollsToComplete: 1, Trails: map[string]string{"arn:aws:cloudtrail:eu-west-1:111122223333:trail/org": "log-archive/AWSLogs/"}})
	t.Setenv("AWS_ENDPOINT_URL", url)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	out := t.TempDir()
	run := func(args ...string) (int, string) {
		var o, e bytes.Buffer
		code := Run(context.Background(), append([]string{"policy", "generate", "--access-analyzer", "--trail-arn", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org", "--access-role", "arn:aws:iam::111122223333:role/aa", "--out", out}, args...), IO{Out: &o, Err: &e, Now: func() time.Time { return now }})
		return code, e.String()
	}
	if code, stderr := run("--days", "91", "--principal", role); code != ExitUsage || !strings.Contains(stderr, "at most 90 days") {
		t.Fatalf("91 days: exit %d %s", code, stderr)
	}
	if len(srv.AccessAnalyzerJobs()) != 0 {
		t.Fatal("a job was started for a range over 90 days")
	}
	if code, stderr := run("--days", "30", "--principal", role); code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	var o, e bytes.Buffer
	if code := Run(context.Background(), []string{"policy", "generate", "--cloudtrail", "s3://no-such-trail-bucket/AWSLogs/", "--out", out}, IO{Out: &o, Err: &e, Now: func() time.Time { return now }}); code != ExitUsage || !strings.Contains(e.String(), "cannot list the bucket") {
		t.Fatalf("unreadable bucket: exit %d %s", code, e.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "111122223333", "app.json"))
	if err != nil || !strings.Contains(string(b), "sqs:SendMessage") {
		t.Fatalf("%s %v", b, err)
	}
}

// --analyzer-role: each principal's generation runs in its own account
// (a role assumed there), so the per-account one-at-a-time limit does not
// serialise the accounts; a bare --access-role name is that account's role.
func TestPolicyGenerateAccessAnalyzerPerAccount(t *testing.T) {
	now := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	world := fakeaws.NewWorld(fakeaws.Options{Seed: 2, Orgs: 1, AccountsPerOrg: 3, Now: now})
	srv := fakeaws.New(world, fakeaws.Knobs{})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	var principals []string
	var collectRole string
	var roles []string
	for _, a := range world.Accounts() {
		d := world.Account(a.ID)
		if d == nil || a.Status != "ACTIVE" || len(d.Roles) == 0 {
			continue
		}
		arn := d.Roles[0].Arn
		principals = append(principals, "--principal", arn)
		roles = append(roles, arn)
		r := world.CollectRoleArn(a.ID)
		collectRole = r[strings.LastIndexByte(r, '/')+1:]
	}
	if len(principals) < 4 {
		t.Fatal("fewer than two accounts with roles")
	}
	putSessionTrail(t, url, roles)
	srv.SetAccessAnalyzer(fakeaws.AccessAnalyzerOptions{PollsToComplete: 1, Trails: map[string]string{"arn:aws:cloudtrail:eu-west-1:111122223333:trail/org": "log-archive/AWSLogs/"}})
	t.Setenv("AWS_ENDPOINT_URL", url)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	out := t.TempDir()
	args := append([]string{"policy", "generate", "--access-analyzer", "--trail-arn", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org", "--access-role", "trail-reader", "--analyzer-role", collectRole, "--days", "30", "--out", out}, principals...)
	var o, e bytes.Buffer
	if code := Run(context.Background(), args, IO{Out: &o, Err: &e, Now: func() time.Time { return now }}); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	jobs := srv.AccessAnalyzerJobs()
	if len(jobs) != len(principals)/2 {
		t.Fatalf("%d jobs, want %d", len(jobs), len(principals)/2)
	}
	for _, j := range jobs {
		if !strings.Contains(j.Principal, ":"+j.Account+":") {
			t.Errorf("job for %s ran in account %s", j.Principal, j.Account)
		}
		if b, err := os.ReadFile(filepath.Join(out, j.Account, j.Principal[strings.LastIndexByte(j.Principal, '/')+1:]+".json")); err != nil || !strings.Contains(string(b), "sqs:SendMessage") {
			t.Errorf("%s: %s %v", j.Principal, b, err)
		}
	}
	// Without --analyzer-role a bare name is refused before any call.
	o.Reset()
	e.Reset()
	if code := Run(context.Background(), []string{"policy", "generate", "--access-analyzer", "--trail-arn", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org", "--access-role", "trail-reader", "--days", "30", "--out", out, principals[0], principals[1]}, IO{Out: &o, Err: &e, Now: func() time.Time { return now }}); code != ExitUsage {
		t.Errorf("bare --access-role without --analyzer-role: exit %d %s", code, e.String())
	}
}

// putSessionTrail writes, into fakeaws's S3 bucket log-archive, a trail
// file per role's account in which a session of each role called
// sqs:SendMessage on 2026-11-15: fakeaws's Access Analyzer derives the
// generated policies from it.
func putSessionTrail(t *testing.T, url string, roles []string) {
	t.Helper()
	c := s3.New(s3.Options{Region: "eu-west-1", BaseEndpoint: aws.String(url), UsePathStyle: true, Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("log-archive")}); err != nil {
		t.Fatal(err)
	}
	for _, role := range roles {
		acct := strings.Split(role, ":")[4]
		rec := map[string]any{
			"eventVersion": "1.09", "eventTime": "2026-11-15T10:00:00Z", "eventSource": "sqs.amazonaws.com", "eventName": "SendMessage",
			"awsRegion": "eu-west-1", "managementEvent": true, "eventCategory": "Management",
			"userIdentity": map[string]any{"type": "AssumedRole", "sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": role}}},
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		json.NewEncoder(zw).Encode(map[string]any{"Records": []any{rec}})
		zw.Close()
		key := "AWSLogs/" + acct + "/CloudTrail/eu-west-1/2026/11/15/" + acct + "_" + strings.ReplaceAll(role[strings.LastIndexByte(role, '/')+1:], "/", "-") + ".json.gz"
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("log-archive"), Key: aws.String(key), Body: bytes.NewReader(buf.Bytes())}); err != nil {
			t.Fatal(err)
		}
	}
}
