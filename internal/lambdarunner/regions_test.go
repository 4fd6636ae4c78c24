package lambdarunner

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// TestRegionItemsThenScanRegion: scan-account does the account's global
// part and plans its regions; region-items lists the account × region
// items in the store (never in the payload); scan-region runs one each. An
// item not run leaves its account partial in the manifest and is listed
// again; once run, the account is ok.
func TestRegionItemsThenScanRegion(t *testing.T) {
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
	ctx := context.Background()
	h := Handlers(b)
	plan := call[pipeline.PlanOutput](t, h, "plan", map[string]any{})
	disc := call[pipeline.DiscoverOutput](t, h, "discover", map[string]any{"run": plan.Run})
	env, err := b.Env(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := snapshot.Reader{Store: env.Store, Run: plan.Run}
	accounts, err := r.Accounts(ctx)
	if err != nil || len(accounts) != disc.Count || len(accounts) < 2 {
		t.Fatalf("accounts %d (%v), discover %+v", len(accounts), err, disc)
	}
	for _, a := range accounts {
		scan := call[pipeline.ScanOutput](t, h, "scan-account", map[string]any{"run": plan.Run, "account": a})
		if scan.Status != "ok" || !reflect.DeepEqual(scan.Regions, []string{"eu-west-1", "us-east-1"}) {
			t.Fatalf("scan %s: %+v", a.ID, scan)
		}
		if scan.CredentialReport != nil && !scan.CredentialReport.Done {
			call[pipeline.CredentialReportOutput](t, h, "credential-report", *scan.CredentialReport)
		}
		// The account item runs no regional collector.
		if _, err := r.RegionScan(ctx, a.ID, "eu-west-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s eu-west-1 written by scan-account: %v", a.ID, err)
		}
		skipped, err := r.RegionScan(ctx, a.ID, "ap-south-1")
		if err != nil || skipped.Status != "skipped" || skipped.Reason == "" {
			t.Errorf("%s ap-south-1: %+v %v", a.ID, skipped, err)
		}
	}
	if n := srv.Stats().Calls["kms:ListKeys"]; n != 0 {
		t.Errorf("kms:ListKeys called %d times by the account items", n)
	}

	listed := call[pipeline.RegionItemsOutput](t, h, "region-items", map[string]any{"run": plan.Run})
	items := readItems(t, env, listed)
	if listed.Count != 2*len(accounts) || len(items) != listed.Count || listed.Accounts != len(accounts) {
		t.Fatalf("region-items: %+v, %d items", listed, len(items))
	}
	if listed.ItemsBucket != "orgiam-data" || listed.ItemsKey != "inventory/"+store.RegionItemsKey(plan.Run) {
		t.Errorf("items location %s/%s", listed.ItemsBucket, listed.ItemsKey)
	}
	want := map[string]bool{}
	for _, a := range accounts {
		want[a.ID+" eu-west-1"], want[a.ID+" us-east-1"] = true, true
	}
	for _, it := range items {
		if it.Run != plan.Run || !want[it.AccountID+" "+it.Region] {
			t.Errorf("unexpected item %+v", it)
		}
		delete(want, it.AccountID+" "+it.Region)
	}
	if len(want) != 0 {
		t.Errorf("items missing: %v", want)
	}

	// Every item but one runs: that account is partial, and the item is
	// listed again (a resumed run scans it).
	for _, it := range items[1:] {
		out := call[pipeline.ScanRegionOutput](t, h, "scan-region", it)
		if out.Status != snapshot.StatusOK || out.Resources == 0 {
			t.Errorf("scan-region %+v: %+v", it, out)
		}
	}
	if n := srv.Stats().Calls["kms:ListKeys"]; n != int64(2*(len(items)-1)) {
		t.Errorf("kms:ListKeys called %d times, want 2 pages × %d items", n, len(items)-1)
	}
	fin := call[pipeline.FinalizeOutput](t, h, "finalize", map[string]any{"run": plan.Run})
	if fin.OK != len(accounts)-1 || fin.Partial != 1 || fin.Failed != 0 {
		t.Fatalf("finalize with an item missing: %+v", fin)
	}
	m, err := r.Manifest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range m.Accounts {
		if a.ID == items[0].AccountID && (a.Status != snapshot.StatusPartial || !strings.Contains(a.Error, "regions not scanned: "+items[0].Region)) {
			t.Errorf("account with a missing item: %+v", a)
		}
	}
	again := call[pipeline.RegionItemsOutput](t, h, "region-items", map[string]any{"run": plan.Run})
	if left := readItems(t, env, again); len(left) != 1 || left[0] != items[0] {
		t.Fatalf("items left: %+v, want %+v", left, items[0])
	}
	call[pipeline.ScanRegionOutput](t, h, "scan-region", items[0])
	fin = call[pipeline.FinalizeOutput](t, h, "finalize", map[string]any{"run": plan.Run})
	if fin.OK != len(accounts) || fin.Partial != 0 || fin.Failed != 0 {
		t.Fatalf("finalize: %+v", fin)
	}
	if last := call[pipeline.RegionItemsOutput](t, h, "region-items", map[string]any{"run": plan.Run}); last.Count != 0 || len(readItems(t, env, last)) != 0 {
		t.Errorf("items of a complete run: %+v", last)
	}

	// Bad input names the field.
	if _, err := h["scan-region"](ctx, []byte(`{"run":"`+plan.Run+`","accountId":"12","region":"eu-west-1"}`)); err == nil || !strings.Contains(err.Error(), `"12"`) {
		t.Errorf("scan-region with a bad account id: %v", err)
	}
}

func readItems(t *testing.T, env *pipeline.Env, out pipeline.RegionItemsOutput) []pipeline.ScanRegionInput {
	t.Helper()
	data, err := env.Store.Get(context.Background(), out.Key)
	if err != nil {
		t.Fatalf("%s: %v", out.Key, err)
	}
	var items []pipeline.ScanRegionInput
	if err := json.Unmarshal(data, &items); err != nil {
		t.Fatalf("%s: %v", out.Key, err)
	}
	return items
}
