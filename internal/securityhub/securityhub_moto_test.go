package securityhub

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/orgiam/orgiam/internal/report"
	"github.com/orgiam/orgiam/internal/testutil/moto"
)

// moto_server implements BatchImportFindings and GetFindings: the findings
// as the SDK marshals them are taken by an implementation not written here,
// in batches of at most 100, and read back whole.
func TestImportMoto(t *testing.T) {
	srv := moto.Start(t)
	ctx := context.Background()
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(srv.Endpoint),
	}
	const admin = "123456789012" // moto's account
	if _, err := sh.NewFromConfig(cfg).EnableSecurityHub(ctx, &sh.EnableSecurityHubInput{}); err != nil {
		t.Fatalf("EnableSecurityHub: %v", err)
	}
	im := &Importer{Clients: NewClients(cfg, []string{"us-east-1"}), Regions: []string{"us-east-1"}, ProductAccount: admin, Now: now}
	fs := findings(admin, 230, "key 120 days old")
	fs[7].Muted, fs[7].MuteReason = true, "break-glass user"
	if err := im.Add(ctx, admin, fs); err != nil {
		t.Fatal(err)
	}
	r := im.Results()[0]
	if r.Err != nil || len(r.Failed) != 0 || r.Imported != 230 || r.Calls != 3 {
		t.Fatalf("result %+v, want 230 imported in 3 calls", r)
	}
	got := map[string]*string{}
	var token *string
	for {
		out, err := sh.NewFromConfig(cfg).GetFindings(ctx, &sh.GetFindingsInput{NextToken: token, MaxResults: aws.Int32(100)})
		if err != nil {
			t.Fatalf("GetFindings: %v", err)
		}
		for _, f := range out.Findings {
			var w *string
			if f.Workflow != nil {
				s := string(f.Workflow.Status)
				w = &s
			}
			got[aws.ToString(f.Id)] = w
			if aws.ToString(f.AwsAccountId) != admin || f.Severity == nil || f.Severity.Label != "HIGH" {
				t.Fatalf("finding %s: account %s severity %+v", aws.ToString(f.Id), aws.ToString(f.AwsAccountId), f.Severity)
			}
		}
		if out.NextToken == nil || aws.ToString(out.NextToken) == "" || len(out.Findings) == 0 {
			break
		}
		token = out.NextToken
	}
	if len(got) != 230 {
		t.Fatalf("moto holds %d findings, want 230", len(got))
	}
	id := "orgiam/" + report.FindingID("1.9", admin, fs[7].Principal)
	if w := got[id]; w == nil || *w != "SUPPRESSED" {
		t.Errorf("muted finding %s: workflow %v, want SUPPRESSED", id, w)
	}
}
