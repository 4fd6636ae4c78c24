package lambdarunner

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// TestScanAccountRunsTheRegionItems: the scan-account handler runs the
// account's region items too, so that a serverless run's accounts are ok,
// not partial for want of their region objects.
func TestScanAccountRunsTheRegionItems(t *testing.T) {
	w := fakeaws.NewWorld(fakeaws.Options{Seed: 5, Orgs: 1, AccountsPerOrg: 3, Size: fakeaws.Size{Users: 2, Roles: 1, Groups: 1, Policies: 1}, Now: configReportNow()})
	regs := []string{"eu-west-1", "us-east-1", "us-west-2"}
	srv := fakeaws.New(w, fakeaws.Knobs{Regions: regs})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	srv.CreateBucket("orgiam-data")
	vars := map[string]string{
		"ORGIAM_STORE":                  "s3://orgiam-data/inventory",
		"ORGIAM_REGION":                 "us-east-1",
		"ORGIAM_ORG_ROLES":              w.CollectRoleArn(w.Orgs()[0].ManagementAccountID),
		"ORGIAM_CREDENTIAL_REPORT_WAIT": "1ms",
		"ORGIAM_REGIONS":                "eu-west-1,us-east-1,ap-south-1", // ap-south-1 is not enabled
	}
	b := &EnvBuilder{
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Auth:   awsauth.Options{Endpoint: url, Credentials: credentials.NewStaticCredentialsProvider("AKIAREGIONITEMS00001", "secret", "")},
		Now:    configReportNow,
	}
	h := Handlers(b)
	plan := call[pipeline.PlanOutput](t, h, "plan", map[string]any{})
	disc := call[pipeline.DiscoverOutput](t, h, "discover", map[string]any{"run": plan.Run})
	env, err := b.Env(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := snapshot.Reader{Store: env.Store, Run: plan.Run}
	accounts, err := r.Accounts(context.Background())
	if err != nil || len(accounts) != disc.Count || len(accounts) < 2 {
		t.Fatalf("accounts %d (%v), discover %+v", len(accounts), err, disc)
	}
	for _, a := range accounts {
		scan := call[pipeline.ScanOutput](t, h, "scan-account", map[string]any{"run": plan.Run, "account": a})
		if scan.Status != "ok" || len(scan.Regions) != 2 {
			t.Fatalf("scan %s: %+v", a.ID, scan)
		}
		if scan.CredentialReport != nil && !scan.CredentialReport.Done {
			call[pipeline.CredentialReportOutput](t, h, "credential-report", *scan.CredentialReport)
		}
		for _, reg := range []string{"eu-west-1", "us-east-1"} {
			rs, err := r.RegionScan(context.Background(), a.ID, reg)
			if err != nil {
				t.Fatalf("%s %s: %v", a.ID, reg, err)
			}
			if rs.Status != snapshot.StatusOK || len(rs.Resources) == 0 {
				t.Errorf("%s %s: status %q, %d resources", a.ID, reg, rs.Status, len(rs.Resources))
			}
		}
		skipped, err := r.RegionScan(context.Background(), a.ID, "ap-south-1")
		if err != nil || skipped.Status != "skipped" || skipped.Reason == "" {
			t.Errorf("%s ap-south-1: %+v %v", a.ID, skipped, err)
		}
	}
	if n := srv.Stats().Calls["kms:ListKeys"]; n != int64(2*2*len(accounts)) {
		t.Errorf("kms:ListKeys called %d times, want 2 pages × 2 regions per account", n)
	}
	fin := call[pipeline.FinalizeOutput](t, h, "finalize", map[string]any{"run": plan.Run})
	if fin.OK != len(accounts) || fin.Partial != 0 || fin.Failed != 0 {
		t.Fatalf("finalize: %+v", fin)
	}
}
