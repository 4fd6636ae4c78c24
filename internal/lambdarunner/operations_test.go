package lambdarunner

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// TestOperationsItemsAndResults: operations-items writes one item per
// account × region of the organization (with collect's account filters) to
// the store; operations-results reads a ResultWriter manifest and its result
// files (a succeeded item, an item whose function failed and was caught, a
// child execution that failed as a whole) and writes the results CSV.
func TestOperationsItemsAndResults(t *testing.T) {
	w := fakeaws.NewWorld(fakeaws.Options{Seed: 9, Orgs: 1, AccountsPerOrg: 6, Size: fakeaws.Size{Users: 1, Roles: 1, Groups: 1, Policies: 1}, Now: configReportNow()})
	srv := fakeaws.New(w, fakeaws.Knobs{})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	srv.CreateBucket("orgiam-data")
	var excluded string
	for _, a := range w.Accounts() {
		if a.Status == "ACTIVE" && !a.Management {
			excluded = a.ID
			break
		}
	}
	vars := map[string]string{
		"ORGIAM_STORE":            "s3://orgiam-data/inventory",
		"ORGIAM_REGION":           "us-east-1",
		"ORGIAM_ORG_ROLES":        w.CollectRoleArn(w.Orgs()[0].ManagementAccountID),
		"ORGIAM_EXCLUDE_ACCOUNTS": excluded,
	}
	b := &EnvBuilder{
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Auth:   awsauth.Options{Endpoint: url, Credentials: credentials.NewStaticCredentialsProvider("AKIAOPERATIONS000001", "secret", "")},
		Now:    configReportNow,
	}
	ctx := context.Background()
	h := Handlers(b)

	// Bad input names the field and writes nothing.
	for in, want := range map[string]string{
		`{"regions":["eu-west-1","mars-1"]}`:          `regions[1]: "mars-1"`,
		`{"regions":["all-enabled","eu-west-1"]}`:     `regions[0]: "all-enabled"`,
		`{"run":"not a run","regions":["eu-west-1"]}`: "run:",
	} {
		if _, err := h["operations-items"](ctx, []byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("operations-items %s: %v, want an error with %q", in, err, want)
		}
	}

	items := call[pipeline.OperationsItemsOutput](t, h, "operations-items", map[string]any{"regions": []string{"eu-west-1", "us-east-1"}})
	if !strings.HasPrefix(items.Run, "2026-") || !strings.Contains(items.Run, "/ops-") {
		t.Errorf("run %q", items.Run)
	}
	env, err := b.Env(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data, err := env.Store.Get(ctx, items.Key)
	if err != nil {
		t.Fatal(err)
	}
	var list []pipeline.OperationsItem
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	active := 0
	for _, a := range w.Accounts() {
		if a.Status == "ACTIVE" {
			active++
		}
	}
	if items.Accounts != active-1 || items.Count != 2*(active-1) || len(list) != items.Count {
		t.Fatalf("items %+v, %d listed, %d active accounts", items, len(list), active)
	}
	for _, it := range list {
		if it.AccountID == excluded {
			t.Errorf("excluded account %s has an item", excluded)
		}
		if it.RoleArn != w.CollectRoleArn(it.AccountID) || it.AccountName == "" || (it.Region != "eu-west-1" && it.Region != "us-east-1") {
			t.Errorf("item %+v", it)
		}
	}
	if items.ItemsBucket != "orgiam-data" || items.ItemsKey != "inventory/"+items.Key || items.ResultsPrefix != "inventory/"+store.ExecKey(items.Run, "map") {
		t.Errorf("locations %+v", items)
	}

	// What ResultWriter writes: a manifest and result files by status.
	mapDir := store.ExecKey(items.Run, "map/0f1e2d3c")
	put := func(key string, v any) {
		t.Helper()
		raw, _ := json.Marshal(v)
		if err := env.Store.Put(ctx, key, raw); err != nil {
			t.Fatal(err)
		}
	}
	text := func(v any) string { raw, _ := json.Marshal(v); return string(raw) }
	if len(list) < 3 {
		t.Fatalf("%d items, want 3 or more", len(list))
	}
	ok, caught, died := list[0], list[1], list[len(list)-1]
	put(mapDir+"/SUCCEEDED_0.json", []map[string]any{
		{"Status": "SUCCEEDED", "StartDate": "2026-11-23T09:30:00.000Z", "StopDate": "2026-11-23T09:30:01.250Z",
			"Input":  text(map[string]any{"item": ok, "Run": items.Run}),
			"Output": text(map[string]any{"item": ok, "status": "ok", "result": map[string]any{"deleted": 3}})},
		{"Status": "SUCCEEDED", "StartDate": "2026-11-23T09:30:00Z", "StopDate": "2026-11-23T09:30:00.5Z",
			"Input":  text(map[string]any{"item": caught, "Run": items.Run}),
			"Output": text(map[string]any{"item": caught, "status": "failed", "error": map[string]any{"Error": "Lambda.Unknown", "Cause": "AccessDenied on ec2:DeleteVolume"}})},
	})
	put(mapDir+"/FAILED_0.json", []map[string]any{
		{"Status": "FAILED", "Error": "States.Timeout", "Cause": "the child execution timed out", "Input": text(map[string]any{"item": died, "Run": items.Run, "Params": map[string]any{}}),
			"StartDate": "2026-11-23T09:30:00Z", "StopDate": "2026-11-23T09:35:00Z"},
	})
	put(mapDir+"/manifest.json", map[string]any{"DestinationBucket": "orgiam-data", "MapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:ops/x:y",
		"ResultFiles": map[string]any{
			"SUCCEEDED": []map[string]any{{"Key": "inventory/" + mapDir + "/SUCCEEDED_0.json", "Size": 1}},
			"FAILED":    []map[string]any{{"Key": "inventory/" + mapDir + "/FAILED_0.json", "Size": 1}},
			"PENDING":   []map[string]any{},
		}})

	in := map[string]any{"run": items.Run, "ResultWriterDetails": map[string]any{"Bucket": "orgiam-data", "Key": "inventory/" + mapDir + "/manifest.json"}}
	res := call[pipeline.OperationsResultsOutput](t, h, "operations-results", in)
	if res.Items != 3 || res.OK != 1 || res.Failed != 2 || res.Key != store.ExecKey(items.Run, "results.csv") {
		t.Fatalf("results %+v", res)
	}
	raw, err := env.Store.Get(ctx, res.Key)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "account_id,account_name,region,status,error,duration_ms,output" {
		t.Errorf("header %s", got)
	}
	byItem := map[string][]string{}
	for _, r := range rows[1:] {
		byItem[r[0]+" "+r[2]] = r
	}
	want := map[pipeline.OperationsItem][]string{
		ok:     {ok.AccountID, ok.AccountName, ok.Region, "ok", "", "1250", `{"deleted":3}`},
		caught: {caught.AccountID, caught.AccountName, caught.Region, "failed", "Lambda.Unknown: AccessDenied on ec2:DeleteVolume", "500", ""},
		died:   {died.AccountID, died.AccountName, died.Region, "failed", "failed: States.Timeout the child execution timed out", "300000", ""},
	}
	for it, w := range want {
		if got := byItem[it.AccountID+" "+it.Region]; strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("row of %s %s:\n got %q\nwant %q", it.AccountID, it.Region, got, w)
		}
	}
	if len(rows) != 4 {
		t.Errorf("%d rows, want a header and 3", len(rows))
	}

	// A manifest in another bucket is refused, naming both.
	in["ResultWriterDetails"] = map[string]any{"Bucket": "elsewhere", "Key": "x/manifest.json"}
	raw, _ = json.Marshal(in)
	if _, err := h["operations-results"](ctx, raw); err == nil || !strings.Contains(err.Error(), `"elsewhere"`) {
		t.Errorf("manifest in another bucket: %v", err)
	}
}

// TestOperationsItemsAllEnabledRegions: with all-enabled (ORGIAM_REGIONS'
// default, no regions in the input), each account's items are the regions
// ec2:DescribeRegions says are enabled in it; an account whose role cannot
// be assumed has no item, is listed in region-errors.json, and is a failed
// row of the results CSV, while the other accounts keep their items.
func TestOperationsItemsAllEnabledRegions(t *testing.T) {
	w := fakeaws.NewWorld(fakeaws.Options{Seed: 11, Orgs: 1, AccountsPerOrg: 5, Size: fakeaws.Size{Users: 1, Roles: 1, Groups: 1, Policies: 1}, Now: configReportNow()})
	var denied string
	active := 0
	for _, a := range w.Accounts() {
		if a.Status != "ACTIVE" {
			continue
		}
		active++
		if denied == "" && !a.Management {
			denied = a.ID
		}
	}
	enabled := []string{"ap-southeast-2", "eu-west-1", "us-east-1"}
	srv := fakeaws.New(w, fakeaws.Knobs{Regions: enabled, DenyAssume: []string{denied}})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	srv.CreateBucket("orgiam-data")
	vars := map[string]string{
		"ORGIAM_STORE":     "s3://orgiam-data/inventory",
		"ORGIAM_REGION":    "us-east-1",
		"ORGIAM_ORG_ROLES": w.CollectRoleArn(w.Orgs()[0].ManagementAccountID),
	}
	b := &EnvBuilder{
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Auth:   awsauth.Options{Endpoint: url, Credentials: credentials.NewStaticCredentialsProvider("AKIAOPERATIONS000002", "secret", "")},
		Now:    configReportNow,
	}
	ctx := context.Background()
	h := Handlers(b)
	env, err := b.Env(ctx)
	if err != nil {
		t.Fatal(err)
	}

	for _, in := range []map[string]any{{}, {"regions": []string{"all-enabled"}}} {
		items := call[pipeline.OperationsItemsOutput](t, h, "operations-items", in)
		if items.Accounts != active || items.Count != len(enabled)*(active-1) || items.RegionErrors != 1 {
			t.Fatalf("input %v: items %+v, %d active accounts, want %d regions of each but %s", in, items, active, len(enabled), denied)
		}
		var list []pipeline.OperationsItem
		if err := snapshot.ReadJSON(ctx, env.Store, items.Key, &list); err != nil {
			t.Fatal(err)
		}
		byAccount := map[string][]string{}
		for _, it := range list {
			byAccount[it.AccountID] = append(byAccount[it.AccountID], it.Region)
		}
		if _, ok := byAccount[denied]; ok {
			t.Errorf("account %s, whose regions are unknown, has items %v", denied, byAccount[denied])
		}
		for id, regs := range byAccount {
			if strings.Join(regs, ",") != strings.Join(enabled, ",") {
				t.Errorf("account %s: items in %v, want %v", id, regs, enabled)
			}
		}
		var regionErrs []pipeline.OperationsRegionError
		if err := snapshot.ReadJSON(ctx, env.Store, store.ExecKey(items.Run, pipeline.OperationsRegionErrorsFile), &regionErrs); err != nil {
			t.Fatal(err)
		}
		if len(regionErrs) != 1 || regionErrs[0].AccountID != denied || !strings.Contains(regionErrs[0].Error, "sts:AssumeRole") {
			t.Errorf("region errors %+v, want %s's AssumeRole", regionErrs, denied)
		}

		// The results CSV reports the account without items as failed.
		mapDir := store.ExecKey(items.Run, "map/1a2b")
		raw, _ := json.Marshal(map[string]any{"DestinationBucket": "orgiam-data", "ResultFiles": map[string]any{}})
		if err := env.Store.Put(ctx, mapDir+"/manifest.json", raw); err != nil {
			t.Fatal(err)
		}
		res := call[pipeline.OperationsResultsOutput](t, h, "operations-results", map[string]any{"run": items.Run,
			"ResultWriterDetails": map[string]any{"Bucket": "orgiam-data", "Key": "inventory/" + mapDir + "/manifest.json"}})
		if res.Items != 1 || res.Failed != 1 {
			t.Fatalf("results %+v, want the one account without regions, failed", res)
		}
		data, err := env.Store.Get(ctx, res.Key)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[1][0] != denied || rows[1][2] != "" || rows[1][3] != "failed" || !strings.HasPrefix(rows[1][4], "regions: ") {
			t.Errorf("results rows %q", rows)
		}
	}
}
