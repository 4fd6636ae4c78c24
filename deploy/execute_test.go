package deploy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/lambdarunner"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// TestStateMachineExecutesLocally runs the inline variant of the state
// machine with aws-local-stepfunctions (Node 22 from deploy/node_modules).
// Its Lambda tasks reach a local Lambda Invoke API that dispatches to the
// real Go handlers, which talk to fakeaws (Organizations, STS, IAM, S3).
func TestStateMachineExecutesLocally(t *testing.T) {
	node, err := filepath.Abs(filepath.Join("node_modules", ".bin", "node"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(node); err != nil {
		t.Fatalf("%s is missing: run `npm ci --prefix deploy` (or make deps) first", node)
	}
	// One fixed clock for the simulated world and the steps: the run's date
	// and every age in the reports are the same on any day.
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	world := fakeaws.NewWorld(fakeaws.Options{Seed: 4, Orgs: 1, AccountsPerOrg: 6, Size: fakeaws.Size{Users: 2, Roles: 2, Groups: 1, Policies: 1}, Now: now})
	var denied string
	active := 0
	for _, a := range world.Accounts() {
		if a.Status != "ACTIVE" {
			continue
		}
		active++
		if denied == "" && !a.Management {
			denied = a.ID
		}
	}
	srv := fakeaws.New(world, fakeaws.Knobs{DenyAssume: []string{denied}, CredReportDelay: 2 * time.Second, Regions: []string{"eu-west-1", "us-east-1"}})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.CreateBucket("orgiam-data")

	var later atomic.Int64
	vars := map[string]string{
		"ORGIAM_STORE":                  "s3://orgiam-data/inventory",
		"ORGIAM_ORG_ROLES":              world.CollectRoleArn(world.Orgs()[0].ManagementAccountID),
		"ORGIAM_LIST_INITIAL_ROLE":      "",
		"ORGIAM_INITIAL_ROLE":           "",
		"ORGIAM_CREDENTIAL_REPORT_WAIT": "1s",
	}
	b := &lambdarunner.EnvBuilder{
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Auth: awsauth.Options{Region: "us-east-1", Endpoint: url,
			Credentials: credentials.NewStaticCredentialsProvider("AKIASFNTEST000000000", "x", "")},
		// The second execution runs an hour later: the first run then
		// finished before it started, so it is the run diff compares with.
		Now: func() time.Time { return now.Add(time.Duration(later.Load()) * time.Hour) },
	}
	inv := &lambdarunner.InvokeServer{Handlers: lambdarunner.Handlers(b)}
	// failDiff makes the diff function fail, as a store error would.
	var failDiff atomic.Bool
	diffFn := inv.Handlers["diff"]
	inv.Handlers["diff"] = func(ctx context.Context, in json.RawMessage) (any, error) {
		if failDiff.Load() {
			return nil, errors.New("diff: store unavailable")
		}
		return diffFn(ctx, in)
	}
	lambdaURL, err := inv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer inv.Close()

	snsFile := filepath.Join(t.TempDir(), "sns.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	type output struct {
		Run      string `json:"run"`
		Finalize struct {
			OK, Failed, Skipped int
			ManifestKey         string `json:"manifestKey"`
		} `json:"finalize"`
		Diff *struct {
			Result pipeline.DiffOutput `json:"result"`
		} `json:"diff"`
		DiffError any `json:"diffError"`
	}
	execute := func() output {
		t.Helper()
		cmd := exec.CommandContext(ctx, node, filepath.Join("stepfunctions", "run-local.mjs"), InlineDefinitionPath, "{}")
		cmd.Env = append(os.Environ(),
			"AWS_ENDPOINT_URL_LAMBDA="+lambdaURL, "AWS_ENDPOINT_URL_S3="+url,
			"ORGIAM_SNS_RECORD="+snsFile, "ORGIAM_WAIT_MS=200", "ORGIAM_RETRY_MS=10")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("execution failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
		var out output
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatalf("execution output: %v\n%s", err, stdout.String())
		}
		return out
	}
	out := execute()
	if out.Finalize.OK != active-1 || out.Finalize.Failed != 1 {
		t.Fatalf("finalize: %+v (active accounts %d)\n%+v", out.Finalize, active, out)
	}

	// The snapshot in S3 is complete: manifest, index, reports, and every
	// healthy account with its credential report.
	env, err := b.Env(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := snapshot.Reader{Store: env.Store, Run: out.Run}
	m, err := r.Manifest(ctx)
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	for _, a := range m.Accounts {
		switch {
		case a.ID == denied:
			if a.Status != "failed" || !strings.Contains(a.Error, "AccessDenied") {
				t.Errorf("denied account: %+v", a)
			}
		case a.Status == "ok":
			if ok, _ := env.Store.Exists(ctx, store.CredentialReportKey(out.Run, a.ID)); !ok {
				t.Errorf("account %s has no credential report", a.ID)
			}
		}
	}
	for _, key := range []string{store.IndexKey(out.Run), store.ReportKey(out.Run, "users.csv"), store.ReportKey(out.Run, "findings.json")} {
		if ok, _ := env.Store.Exists(ctx, key); !ok {
			t.Errorf("missing %s", key)
		}
	}
	// The Wait loop ran: more credential report polls than accounts.
	calls := inv.Calls()
	if calls["credential-report"] <= active-1 {
		t.Errorf("credential-report called %d times for %d accounts: the Wait loop did not loop", calls["credential-report"], active-1)
	}
	if calls["scan-account"] != active {
		t.Errorf("scan-account called %d times, want %d", calls["scan-account"], active)
	}
	// The region items ran in the regional Map, one scan-region call each,
	// after one region-items call; each left its region file in S3.
	if calls["region-items"] != 1 {
		t.Errorf("region-items called %d times, want 1", calls["region-items"])
	}
	regionFiles := 0
	for _, a := range m.Accounts {
		if a.ID == denied || a.Status == snapshot.StatusSkipped {
			continue
		}
		info, err := r.AccountInfo(ctx, a.ID)
		if err != nil {
			t.Fatalf("account %s: %v", a.ID, err)
		}
		if len(info.Scan.Regions) == 0 {
			t.Errorf("account %s planned no region", a.ID)
		}
		for _, region := range info.Scan.Regions {
			rs, err := r.RegionScan(ctx, a.ID, region)
			if err != nil {
				t.Errorf("account %s region %s: %v", a.ID, region, err)
				continue
			}
			if rs.Status != snapshot.StatusSkipped {
				regionFiles++
			}
		}
	}
	if calls["scan-region"] == 0 || calls["scan-region"] != regionFiles {
		t.Errorf("scan-region called %d times, %d region files written by region items", calls["scan-region"], regionFiles)
	}

	// The failing account was caught and notified; the others completed.
	f, err := os.Open(snsFile)
	if err != nil {
		t.Fatalf("no SNS message recorded: %v", err)
	}
	defer f.Close()
	var notified bool
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.Contains(sc.Text(), denied) {
			notified = true
		}
	}
	if !notified {
		t.Errorf("no SNS message names the failed account %s", denied)
	}

	// The first run has no previous complete run: the Diff state ran and
	// wrote nothing.
	if calls["diff"] != 1 || out.Diff == nil || out.DiffError != nil || out.Diff.Result.Previous != "" {
		t.Errorf("first run: diff called %d times, state output %+v, error %v", calls["diff"], out.Diff, out.DiffError)
	}
	if ok, _ := env.Store.Exists(ctx, store.ReportKey(out.Run, pipeline.DiffReportName)); ok {
		t.Errorf("first run wrote %s with no previous run", pipeline.DiffReportName)
	}
	// A second execution an hour later compares itself with the first.
	later.Store(1)
	second := execute()
	if second.Run == out.Run || second.Finalize.ManifestKey == "" {
		t.Fatalf("second run %s (first %s), finalize %+v", second.Run, out.Run, second.Finalize)
	}
	if second.Diff == nil || second.DiffError != nil || second.Diff.Result.Previous != out.Run {
		t.Fatalf("second run: diff state output %+v, error %v (want previous %s)", second.Diff, second.DiffError, out.Run)
	}
	wantKey := store.ReportKey(second.Run, pipeline.DiffReportName)
	if second.Diff.Result.Key != wantKey {
		t.Errorf("diff key %q, want %q", second.Diff.Result.Key, wantKey)
	}
	data, err := env.Store.Get(ctx, wantKey)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	var rep map[string]any
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("%s: %v", wantKey, err)
	}

	// A failing diff is caught: the run is still finalized.
	later.Store(2)
	failDiff.Store(true)
	third := execute()
	if third.DiffError == nil || third.Finalize.ManifestKey == "" {
		t.Fatalf("third run with a failing diff: error %v, finalize %+v", third.DiffError, third.Finalize)
	}
	if _, err := (snapshot.Reader{Store: env.Store, Run: third.Run}).Manifest(ctx); err != nil {
		t.Errorf("third run not complete: %v", err)
	}
}
