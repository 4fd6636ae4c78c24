package securityhub

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/report"
)

var now = time.Date(2026, 11, 15, 9, 0, 0, 0, time.UTC)

type world struct {
	srv   *fakeaws.Server
	w     *fakeaws.World
	cfg   aws.Config
	admin string
}

func start(t *testing.T, sh fakeaws.SecurityHubOptions) *world {
	t.Helper()
	w := fakeaws.NewWorld(fakeaws.Options{Seed: 3, Orgs: 1, AccountsPerOrg: 3, Now: now})
	srv := fakeaws.New(w, fakeaws.Knobs{})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	srv.SetSecurityHub(sh)
	cfg, err := awsauth.LoadBase(context.Background(), awsauth.Options{
		Region: "us-east-1", Endpoint: url, RetryMaxAttempts: 6,
		Credentials: credentials.NewStaticCredentialsProvider("AKIASECURITYHUB00001", "secret", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	// The SDK's adaptive retryer as awsauth builds it, with a short
	// backoff so that the test does not wait seconds.
	cfg.Retryer = func() aws.Retryer {
		return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
				so.MaxAttempts = 6
				so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			})
		})
	}
	return &world{srv: srv, w: w, cfg: cfg, admin: w.Orgs()[0].ManagementAccountID}
}

// findings makes n FAIL findings of an account, each with its own principal.
func findings(account string, n int, evidence string) []report.Finding {
	out := make([]report.Finding, n)
	for i := range out {
		p := fmt.Sprintf("arn:aws:iam::%s:user/u%03d", account, i)
		out[i] = report.Finding{
			AccountID: account, Principal: p, ResourceARN: p, CheckID: "1.9", CheckIDLegacy: "1.10",
			Title: "Ensure MFA is enabled", Severity: report.SeverityHigh, Status: report.StatusFail,
			Evidence: evidence, ID: report.FindingID("1.9", account, p), Region: report.RegionGlobal,
			Compliance: []string{"cis_5.0_aws:1.9"}, FirstSeen: now.AddDate(0, 0, -3),
		}
	}
	return out
}

func (w *world) importer(regions ...string) *Importer {
	return &Importer{Clients: NewClients(w.cfg, regions), Regions: regions, ProductAccount: w.admin, Now: now}
}

func TestImportBatchesPerAccountAndRegion(t *testing.T) {
	w := start(t, fakeaws.SecurityHubOptions{})
	accts := w.w.Accounts()
	im := w.importer("us-east-1", "eu-west-1")
	ctx := context.Background()
	// 250 findings of each of two accounts: 3 calls each, in each region.
	for _, a := range accts[:2] {
		if err := im.Add(ctx, a.ID, findings(a.ID, 250, "x")); err != nil {
			t.Fatal(err)
		}
	}
	calls := w.srv.SecurityHubCalls()
	for _, r := range im.Results() {
		if r.Err != nil || len(r.Failed) > 0 {
			t.Fatalf("%s: %v, failed %v", r.Region, r.Err, r.Failed)
		}
		if r.Calls != 6 || calls[r.Region] != 6 || r.Imported != 500 || r.Accounts != 2 {
			t.Errorf("%s: %d calls (server saw %d), %d imported, %d accounts; want 6, 500, 2", r.Region, r.Calls, calls[r.Region], r.Imported, r.Accounts)
		}
		got := w.srv.SecurityHubFindings(r.Region)
		if len(got) != 500 {
			t.Errorf("%s holds %d findings, want 500", r.Region, len(got))
		}
		for _, f := range got {
			// Imported by the administrator, into its own default product.
			want := fmt.Sprintf("arn:aws:securityhub:%s:%s:product/%s/default", r.Region, w.admin, w.admin)
			if f.Finding["ProductArn"] != want || f.Caller != w.admin {
				t.Fatalf("ProductArn %v by %s, want %s by the administrator", f.Finding["ProductArn"], f.Caller, want)
			}
			if res := f.Finding["Resources"].([]any)[0].(map[string]any); res["Region"] != r.Region || res["Type"] != "AwsIamUser" {
				t.Fatalf("resource %v", res)
			}
			break
		}
	}
}

func TestImportThrottlingRetried(t *testing.T) {
	w := start(t, fakeaws.SecurityHubOptions{ThrottleFirst: 3})
	a := w.w.Accounts()[1].ID
	im := w.importer("us-east-1")
	if err := im.Add(context.Background(), a, findings(a, 150, "x")); err != nil {
		t.Fatal(err)
	}
	r := im.Results()[0]
	if r.Err != nil || len(r.Failed) != 0 || r.Imported != 150 || r.Calls != 2 {
		t.Fatalf("result %+v, want 150 imported in 2 calls", r)
	}
	// 3 throttled attempts, then the 2 batches.
	if got := w.srv.SecurityHubCalls()["us-east-1"]; got != 5 {
		t.Errorf("server answered %d calls, want 5 (3 throttled, retried)", got)
	}
}

func TestImportRegionNotEnabledOthersGoOn(t *testing.T) {
	w := start(t, fakeaws.SecurityHubOptions{Disabled: []string{"eu-west-1"}})
	im := w.importer("eu-west-1", "us-east-1")
	for _, a := range w.w.Accounts()[:2] {
		if err := im.Add(context.Background(), a.ID, findings(a.ID, 120, "x")); err != nil {
			t.Fatal(err)
		}
	}
	rs := im.Results()
	if rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), "InvalidAccessException") || !strings.Contains(rs[0].Err.Error(), "eu-west-1") {
		t.Errorf("eu-west-1: %v, want InvalidAccessException naming the region", rs[0].Err)
	}
	// Stopped after its first refusal: one call, not one per batch.
	if got := w.srv.SecurityHubCalls()["eu-west-1"]; got != 1 {
		t.Errorf("eu-west-1 got %d calls after refusing, want 1", got)
	}
	if rs[1].Err != nil || rs[1].Imported != 240 || rs[1].Calls != 4 {
		t.Errorf("us-east-1: %+v, want 240 imported in 4 calls", rs[1])
	}
	if got := FailedRegions(rs); len(got) != 1 || got[0] != "eu-west-1" {
		t.Errorf("FailedRegions %v", got)
	}
}

func TestImportFailedFindingsReported(t *testing.T) {
	a := "000000000000"
	fs := findings(a, 3, "x")
	w := start(t, fakeaws.SecurityHubOptions{RejectIDs: []string{"orgiam/" + fs[1].ID}})
	a = w.w.Accounts()[1].ID
	fs = findings(a, 3, "x")
	w.srv.SetSecurityHub(fakeaws.SecurityHubOptions{RejectIDs: []string{"orgiam/" + fs[1].ID}})
	// A finding of an account outside the organization is refused too.
	outside := findings("999999999999", 1, "x")
	im := w.importer("us-east-1")
	im.Add(context.Background(), a, fs)
	im.Add(context.Background(), "999999999999", outside)
	r := im.Results()[0]
	if r.Imported != 2 || len(r.Failed) != 2 {
		t.Fatalf("result %+v, want 2 imported and 2 failed", r)
	}
	if r.Failed[0].ID != "orgiam/"+fs[1].ID || r.Failed[0].Account != a || r.Failed[0].Code != "InvalidInput" {
		t.Errorf("failed[0] %+v", r.Failed[0])
	}
	if r.Failed[1].Account != "999999999999" || !strings.Contains(r.Failed[1].Message, "not a member account") {
		t.Errorf("failed[1] %+v", r.Failed[1])
	}
}

func TestStableIDsAcrossRuns(t *testing.T) {
	// The same finding with other evidence (tomorrow's key age, say)
	// keeps its id, so Security Hub updates it instead of adding one.
	w := start(t, fakeaws.SecurityHubOptions{})
	a := w.w.Accounts()[1].ID
	for _, ev := range []string{"key 100 days old", "key 101 days old"} {
		im := w.importer("us-east-1")
		if err := im.Add(context.Background(), a, findings(a, 5, ev)); err != nil {
			t.Fatal(err)
		}
	}
	got := w.srv.SecurityHubFindings("us-east-1")
	if len(got) != 5 {
		t.Fatalf("%d findings after two imports of the same 5, want 5", len(got))
	}
	for _, f := range got {
		if f.Finding["Description"] != "key 101 days old" {
			t.Errorf("description %v, want the second run's", f.Finding["Description"])
		}
	}
}
