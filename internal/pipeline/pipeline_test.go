package pipeline

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/collect"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

func testEnv(t *testing.T) *Env {
	t.Helper()
	cfg := config.Defaults()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	return &Env{Cfg: cfg, Store: store.NewFile(t.TempDir()), Version: "test", Now: func() time.Time { return now }}
}

func TestPlanRefusesACompleteRunUnlessAsked(t *testing.T) {
	ctx := context.Background()
	env := testEnv(t)
	p, err := Plan(ctx, env, PlanInput{})
	if err != nil || p.Run != "2026-11-23" {
		t.Fatalf("plan: %+v %v", p, err)
	}
	if err := env.Store.Put(ctx, store.ManifestKey(p.Run), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if _, err := Plan(ctx, env, PlanInput{}); !errors.Is(err, ErrRunExists) {
		t.Fatalf("second plan: %v", err)
	}
	auto, err := Plan(ctx, env, PlanInput{AutoRunID: true})
	if err != nil || auto.Run != "2026-11-23/100000" {
		t.Fatalf("auto run id: %+v %v", auto, err)
	}
	if other, err := Plan(ctx, env, PlanInput{RunID: "second"}); err != nil || other.Run != "2026-11-23/second" {
		t.Fatalf("run id: %+v %v", other, err)
	}
	// The step alone never touches a complete run: replacing one is the
	// local runner's (it builds the new run beside the old one).
	env.Cfg.Overwrite = true
	if _, err := Plan(ctx, env, PlanInput{}); err == nil || !strings.Contains(err.Error(), "beside the old one") {
		t.Fatalf("plan --overwrite of a complete run: %v", err)
	}
	if ok, _ := env.Store.Exists(ctx, store.ManifestKey("2026-11-23")); !ok {
		t.Fatal("the complete run lost its manifest")
	}
}

func TestPlanOfAnIncompleteRun(t *testing.T) {
	ctx := context.Background()
	env := testEnv(t)
	if _, err := Plan(ctx, env, PlanInput{Resume: true}); !errors.Is(err, ErrNothingToResume) {
		t.Fatalf("resume of nothing: %v", err)
	}
	p, err := Plan(ctx, env, PlanInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Store.Put(ctx, store.AccountKey(p.Run, "111111111111"), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	_, err = Plan(ctx, env, PlanInput{})
	if !errors.Is(err, ErrRunIncomplete) || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("plain re-run of an incomplete run: %v", err)
	}
	r, err := Plan(ctx, env, PlanInput{Resume: true})
	if err != nil || !r.Resumed || r.Run != p.Run {
		t.Fatalf("resume: %+v %v", r, err)
	}
	if ok, _ := env.Store.Exists(ctx, store.AccountKey(p.Run, "111111111111")); !ok {
		t.Fatal("resume removed the data of the run")
	}
	// --overwrite of an incomplete run starts it again, with nothing kept.
	env.Cfg.Overwrite = true
	if _, err := Plan(ctx, env, PlanInput{}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := env.Store.Exists(ctx, store.AccountKey(p.Run, "111111111111")); ok {
		t.Fatal("--overwrite of an incomplete run kept its old data")
	}
}

func TestFinalizeBuildsTheManifestFromTheStore(t *testing.T) {
	ctx := context.Background()
	env := testEnv(t)
	p, err := Plan(ctx, env, PlanInput{Date: "2026-11-20"})
	if err != nil {
		t.Fatal(err)
	}
	run := p.Run
	put := func(key string, v any) {
		if err := env.putJSON(ctx, key, v); err != nil {
			t.Fatal(err)
		}
	}
	put(store.AccountListKey(run), []snapshot.Account{{ID: "111111111111", Name: "a", OrgID: "o-1"}, {ID: "222222222222", Name: "b", OrgID: "o-1"}, {ID: "333333333333", Name: "c", OrgID: "o-1"}})
	put(store.SkippedListKey(run), []snapshot.Account{{ID: "444444444444", Name: "d", OrgID: "o-1", SkipReason: "account is SUSPENDED"}})
	put(store.OrgKey(run, "o-1", "organization.json"), snapshot.Organization{ID: "o-1"})
	put(store.AccountKey(run, "111111111111"), snapshot.AccountInfo{Scan: snapshot.ScanSummary{Counts: map[string]int{"users": 3}, DurationMS: 5}})
	put(store.AccountKey(run, "222222222222"), snapshot.AccountInfo{Scan: snapshot.ScanSummary{Counts: map[string]int{"users": 1}}})
	put(store.ErrorKey(run, "222222222222"), snapshot.ErrorRecord{AccountID: "222222222222", Message: "account 222222222222: iam:GetCredentialReport: credential report not complete"})
	// 333333333333 has no files at all: it never finished.
	if err := env.Store.Put(ctx, store.CredentialReportKey(run, "111111111111"), []byte("user,arn\n")); err != nil {
		t.Fatal(err)
	}

	out, err := Finalize(ctx, env, FinalizeInput{Run: run})
	if err != nil {
		t.Fatal(err)
	}
	if out.OK != 1 || out.Failed != 2 || out.Skipped != 1 {
		t.Fatalf("finalize: %+v", out)
	}
	m, err := snapshot.Reader{Store: env.Store, Run: run}.Manifest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"111111111111": "ok", "222222222222": "failed", "333333333333": "failed", "444444444444": "skipped"}
	for _, a := range m.Accounts {
		if want[a.ID] != a.Status {
			t.Errorf("%s: %s, want %s", a.ID, a.Status, want[a.ID])
		}
		if a.Status != "ok" && a.Error == "" {
			t.Errorf("%s: no reason given", a.ID)
		}
	}
	if m.Totals.CredentialReports != 1 {
		t.Errorf("manifest counts %d credential reports, want 1 (the one stored)", m.Totals.CredentialReports)
	}
	if len(m.Accounts) != 4 || m.Totals.Entities["users"] != 4 || m.ToolVersion != "test" || len(m.Organizations) != 1 || m.Started.IsZero() || m.Finished.IsZero() {
		t.Fatalf("manifest: %+v", m)
	}
	// A cancelled context writes no manifest.
	env2 := testEnv(t)
	if _, err := Plan(ctx, env2, PlanInput{}); err != nil {
		t.Fatal(err)
	}
	put2 := func(key string, v any) {
		if err := env2.putJSON(ctx, key, v); err != nil {
			t.Fatal(err)
		}
	}
	put2(store.AccountListKey("2026-11-23"), []snapshot.Account{})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Finalize(cctx, env2, FinalizeInput{Run: "2026-11-23"}); err == nil {
		t.Fatal("finalize with a cancelled context succeeded")
	}
	if ok, _ := env2.Store.Exists(ctx, store.ManifestKey("2026-11-23")); ok {
		t.Fatal("manifest written by a cancelled run")
	}
}

// TestAccountWriterStoresIAMDataSets checks that the IAM collector's data
// sets are the store layout's, written where readers look for them.
func TestAccountWriterStoresIAMDataSets(t *testing.T) {
	ctx := context.Background()
	env := testEnv(t)
	if got := collect.IAMDataSets(); !reflect.DeepEqual(got, store.IAMDataSets) {
		t.Fatalf("collector data sets %v, store layout %v", got, store.IAMDataSets)
	}
	w := &accountWriter{env: env, ctx: ctx, run: "2026-11-20", account: "111111111111"}
	for _, name := range store.IAMDataSets {
		if err := w.DataSet(ctx, "iam", name, []snapshot.User{}); err != nil {
			t.Fatal(err)
		}
		data, err := env.Store.Get(ctx, store.IAMKey("2026-11-20", "111111111111", name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := strings.TrimSpace(string(data)); got != "[]" {
			t.Errorf("%s = %s, want []", name, got)
		}
	}
	var we *storeWriteError
	if err := w.DataSet(ctx, "s3", "buckets", []string{}); !errors.As(err, &we) {
		t.Errorf("a data set with no layout: %v, want a store error", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	w.ctx = cctx
	if err := w.CredentialReport(ctx, []byte("user\n")); !errors.Is(err, context.Canceled) {
		t.Errorf("write after the run was cancelled: %v", err)
	}
	if ok, _ := env.Store.Exists(ctx, store.CredentialReportKey("2026-11-20", "111111111111")); ok {
		t.Error("written after the run was cancelled")
	}
}

func TestResumeFinishesAnInterruptedSwitch(t *testing.T) {
	ctx := context.Background()
	env := testEnv(t)
	st := env.Store
	run, stage := "2026-11-23", store.StagingPrefix("2026-11-23")
	put := func(key, v string) {
		if err := st.Put(ctx, key, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	// The switch stopped after removing the old manifest and copying part of the new run.
	put(store.RunInfoKey(run), `{"date":"2026-11-23"}`)
	put(store.AccountKey(run, "111111111111"), `"old"`)
	put(store.AccountKey(run, "333333333333"), `"old, not in the new run"`)
	put(stage+"/run.json", `{"date":"2026-11-23"}`)
	put(stage+"/accounts/111111111111/account.json", `"new"`)
	put(stage+"/accounts/222222222222/account.json", `"new"`)
	put(stage+"/manifest.json", `{"prefix":"2026-11-23"}`)

	res, err := RunLocal(ctx, env, PlanInput{Resume: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Prefix != run {
		t.Fatalf("manifest: %+v", res.Manifest)
	}
	for key, want := range map[string]string{store.AccountKey(run, "111111111111"): `"new"`, store.AccountKey(run, "222222222222"): `"new"`, store.ManifestKey(run): `{"prefix":"2026-11-23"}`} {
		if got, err := st.Get(ctx, key); err != nil || string(got) != want {
			t.Errorf("%s = %q %v, want %q", key, got, err, want)
		}
	}
	if ok, _ := st.Exists(ctx, store.AccountKey(run, "333333333333")); ok {
		t.Error("an old account not in the new run was kept")
	}
	if keys, _ := st.List(ctx, ".staging/"); len(keys) != 0 {
		t.Errorf("staging left: %v", keys)
	}
}

// TestAccountWriterAddsAccountFacts checks that each collector's facts add
// up: the IAM collector's, then the server certificates' and the security
// contact's, none erasing another's.
func TestAccountWriterAddsAccountFacts(t *testing.T) {
	w := &accountWriter{}
	pp := &snapshot.PasswordPolicy{MinimumPasswordLength: 14}
	w.Account(collect.AccountFacts{Aliases: []string{"prod"}, Summary: map[string]int32{"Users": 2}, PasswordPolicy: pp})
	w.Account(collect.AccountFacts{ServerCertificates: []snapshot.ServerCertificate{}})
	w.Account(collect.AccountFacts{SecurityContact: &snapshot.SecurityContact{Status: snapshot.ContactNotSet}})
	f := w.facts
	if len(f.Aliases) != 1 || f.Summary["Users"] != 2 || f.PasswordPolicy != pp {
		t.Errorf("IAM facts lost: %+v", f)
	}
	if f.ServerCertificates == nil || len(f.ServerCertificates) != 0 {
		t.Errorf("no certificates recorded as %#v, want []", f.ServerCertificates)
	}
	if f.SecurityContact == nil || f.SecurityContact.Status != snapshot.ContactNotSet {
		t.Errorf("security contact %+v", f.SecurityContact)
	}
}

// The --collectors help lists every collector by name: the setting lives
// below the collectors, so it cannot read their names itself.
func TestCollectorsHelpNamesEveryCollector(t *testing.T) {
	var usage string
	for _, f := range config.Fields {
		if f.Name == "collectors" {
			usage = f.Usage
		}
	}
	for _, c := range collect.List(collect.Options{CredentialReport: true}) {
		if !strings.Contains(usage, " "+c.Name()+",") && !strings.Contains(usage, " "+c.Name()+";") {
			t.Errorf("--collectors help does not name %q: %s", c.Name(), usage)
		}
	}
}

// A run started with --collectors resumes only with the same collectors,
// and records them in run.json and the manifest.
func TestResumeKeepsTheRunsCollectors(t *testing.T) {
	ctx := context.Background()
	env := testEnv(t)
	env.Cfg.Collectors = []string{"iam", "credential-report"}
	p, err := Plan(ctx, env, PlanInput{})
	if err != nil {
		t.Fatal(err)
	}
	var info snapshot.RunInfo
	if err := snapshot.ReadJSON(ctx, env.Store, store.RunInfoKey(p.Run), &info); err != nil || !reflect.DeepEqual(info.Collectors, []string{"iam", "credential-report"}) {
		t.Fatalf("run.json collectors %q (%v)", info.Collectors, err)
	}
	env.Cfg.Collectors = nil
	var ue *UsageError
	if _, err := Plan(ctx, env, PlanInput{Resume: true}); !errors.As(err, &ue) || !strings.Contains(err.Error(), "--collectors") || !strings.Contains(err.Error(), "started with collectors iam,credential-report, not all") {
		t.Fatalf("resume with every collector: %v", err)
	}
	env.Cfg.Collectors = []string{"credential-report", "iam"}
	if r, err := Plan(ctx, env, PlanInput{Resume: true}); err != nil || !r.Resumed {
		t.Fatalf("resume with the same collectors, named in another order: %+v %v", r, err)
	}
}
