package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// fakeRun collects a generated organization served by fakeaws with knobs.
func fakeRun(t *testing.T, opts fakeaws.Options, knobs func(*fakeaws.World) fakeaws.Knobs, tune func(*config.Config)) (*fakeaws.World, *fakeaws.Server, snapshot.Manifest, int, string) {
	t.Helper()
	isolate(t)
	opts.Now = testNow()
	world := fakeaws.NewWorld(opts)
	sim, err := simulate(world, knobs(world))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	srv, cfg := sim.Server, sim.Config
	cfg.Store = filepath.Join(t.TempDir(), "data")
	cfg.Date = "2026-11-23"
	cfg.CredentialReportWait = 20 * time.Millisecond
	cfg.Concurrency = 8
	cfg.RateLimit = 2000
	cfg.Quiet = true
	if tune != nil {
		tune(cfg)
	}
	var out, errb bytes.Buffer
	auth := sim.Auth
	auth.RetryMaxAttempts = 6
	err = runCollect(context.Background(), IO{Out: &out, Err: &errb, Now: testNow}, cfg, auth)
	code := 0
	if err != nil {
		code = ExitError
		if ee, ok := err.(*exitError); ok {
			code = ee.code
		} else {
			t.Fatalf("collect: %v\n%s", err, errb.String())
		}
	}
	m, merr := snapshot.Reader{Store: store.NewFile(cfg.Store), Run: "2026-11-23"}.Manifest(context.Background())
	if merr != nil {
		t.Fatalf("manifest: %v (collect: %v)\n%s", merr, err, errb.String())
	}
	return world, srv, m, code, out.String()
}

func statuses(m snapshot.Manifest) map[string]snapshot.AccountResult {
	s := map[string]snapshot.AccountResult{}
	for _, a := range m.Accounts {
		s[a.ID] = a
	}
	return s
}

func TestFailureIsolation(t *testing.T) {
	opts := fakeaws.Options{Seed: 3, Orgs: 2, AccountsPerOrg: 6, Size: fakeaws.Size{Users: 3, Roles: 2, Groups: 1, Policies: 1}}
	pick := func(w *fakeaws.World, n int) []string {
		var ids []string
		for _, a := range w.Accounts() {
			if !a.Management && a.Status == "ACTIVE" && len(ids) < n {
				ids = append(ids, a.ID)
			}
		}
		return ids
	}
	t.Run("AccessDenied on AssumeRole and a report that never completes", func(t *testing.T) {
		var denied, never string
		got := make(chan string, 4)
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got <- string(b)
		}))
		defer hook.Close()
		t.Setenv("ORGIAM_TEST_HOOK", hook.URL+"/secret-path")
		world, _, m, code, out := fakeRun(t, opts, func(w *fakeaws.World) fakeaws.Knobs {
			ids := pick(w, 2)
			denied, never = ids[0], ids[1]
			return fakeaws.Knobs{DenyAssume: []string{denied}, CredReportNever: []string{never}}
		}, func(c *config.Config) {
			c.CredentialReportMaxPolls = 3
			c.Notify = []string{"webhook:env:ORGIAM_TEST_HOOK"}
		})
		if code != ExitAccountFailed {
			t.Fatalf("exit %d, want 3", code)
		}
		st := statuses(m)
		if a := st[denied]; a.Status != "failed" || !strings.Contains(a.Error, "sts:AssumeRole") || !strings.Contains(a.Error, "AccessDenied") || !strings.Contains(a.Error, denied) {
			t.Errorf("denied account: %+v", a)
		}
		if a := st[never]; a.Status != "failed" || !strings.Contains(a.Error, "credential report not complete after 3 polls") {
			t.Errorf("never-ready account: %+v", a)
		}
		// Its IAM data is kept.
		var users []snapshot.User
		r := snapshot.Reader{Store: store.NewFile(m.Store[len("file://"):]), Run: m.Prefix}
		if err := r.IAM(context.Background(), never, store.DataUsers, &users); err != nil || len(users) != len(world.Account(never).Users) {
			t.Errorf("users of the account whose report failed: %v, %d of %d", err, len(users), len(world.Account(never).Users))
		}
		e, err := r.Error(context.Background(), denied)
		if err != nil || e == nil || e.Phase != "assume-role" || e.Code != "AccessDenied" {
			t.Errorf("error.json of denied account: %+v %v", e, err)
		}
		ok := 0
		for _, a := range m.Accounts {
			if a.Status == "ok" {
				ok++
			}
		}
		if ok == 0 || m.Totals.OK != ok || m.Totals.Failed != 2 {
			t.Errorf("totals %+v (ok %d)", m.Totals, ok)
		}
		if !strings.Contains(out, "failed accounts:") || !strings.Contains(out, denied) {
			t.Errorf("summary does not list the failed accounts:\n%s", out)
		}
		select {
		case msg := <-got:
			if !strings.Contains(msg, "2 failed") || !strings.Contains(msg, denied) || !strings.Contains(msg, never) {
				t.Errorf("notification: %s", msg)
			}
		default:
			t.Error("no notification sent")
		}
	})
	t.Run("throttling storm and 5xx are absorbed", func(t *testing.T) {
		_, srv, m, code, _ := fakeRun(t, opts, func(w *fakeaws.World) fakeaws.Knobs {
			return fakeaws.Knobs{RatePerAccount: 60, Burst: 5, FailFraction: 0.03, FailSeed: 9}
		}, func(c *config.Config) { c.RateLimit = 1000 })
		if code != 0 || m.Totals.Failed != 0 {
			t.Fatalf("exit %d, failed %d: %+v", code, m.Totals.Failed, m.Accounts)
		}
		s := srv.Stats()
		if s.Throttles == 0 || s.Faults == 0 {
			t.Fatalf("the storm did not happen: %+v", s)
		}
		if m.Totals.Throttles == 0 {
			t.Errorf("manifest does not count throttles absorbed: %+v", m.Totals)
		}
	})
	t.Run("suspended and pending-closure accounts are skipped", func(t *testing.T) {
		world, _, m, _, _ := fakeRun(t, opts, func(*fakeaws.World) fakeaws.Knobs { return fakeaws.Knobs{} }, nil)
		st := statuses(m)
		n := 0
		for _, a := range world.Accounts() {
			if a.Status != "ACTIVE" {
				n++
				if st[a.ID].Status != "skipped" || !strings.Contains(st[a.ID].Error, a.Status) {
					t.Errorf("%s (%s): %+v", a.ID, a.Status, st[a.ID])
				}
			}
		}
		if n == 0 {
			t.Fatal("generated world has no inactive account")
		}
	})
}

func TestInterruptedRunLeavesNoManifest(t *testing.T) {
	isolate(t)
	world := fakeaws.NewWorld(fakeaws.Options{Seed: 5, Orgs: 1, AccountsPerOrg: 12, Now: testNow()})
	sim, err := simulate(world, fakeaws.Knobs{Latency: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	cfg := sim.Config
	cfg.Store = filepath.Join(t.TempDir(), "data")
	cfg.Date = "2026-11-23"
	cfg.Concurrency = 2
	cfg.Quiet = true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Interrupt (as Ctrl-C does) once the scan is under way.
	go func() {
		st := store.NewFile(cfg.Store)
		for ctx.Err() == nil {
			if ok, _ := st.Exists(context.Background(), store.AccountListKey("2026-11-23")); ok {
				time.Sleep(150 * time.Millisecond)
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	var out, errb bytes.Buffer
	err = runCollect(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth)
	if err == nil {
		t.Fatal("interrupted run returned no error")
	}
	st := store.NewFile(cfg.Store)
	if ok, _ := st.Exists(context.Background(), store.ManifestKey("2026-11-23")); ok {
		t.Fatal("interrupted run wrote a manifest")
	}
	if ok, _ := st.Exists(context.Background(), store.AccountListKey("2026-11-23")); !ok {
		t.Fatal("the run did not get as far as the scan: the test proves nothing")
	}
	if runs, _ := snapshot.Runs(context.Background(), st); len(runs) != 0 {
		t.Fatalf("incomplete run listed as complete: %v", runs)
	}
}

func TestCredentialReportLimitExceededIsAbsorbed(t *testing.T) {
	opts := fakeaws.Options{Seed: 8, Orgs: 1, AccountsPerOrg: 4, Size: fakeaws.Size{Users: 2, Roles: 1, Groups: 1, Policies: 1}}
	var limited string
	_, srv, m, code, _ := fakeRun(t, opts, func(w *fakeaws.World) fakeaws.Knobs {
		for _, a := range w.Accounts() {
			if a.Status == "ACTIVE" && !a.Management {
				limited = a.ID
				break
			}
		}
		return fakeaws.Knobs{CredReportLimitExceeded: []string{limited}, CredReportLimitTimes: 2, CredReportDelay: 100 * time.Millisecond}
	}, nil)
	if code != 0 || statuses(m)[limited].Status != "ok" {
		t.Fatalf("exit %d, account %+v", code, statuses(m)[limited])
	}
	if n := srv.Stats().Calls["iam:GenerateCredentialReport"]; n < 3 {
		t.Fatalf("GenerateCredentialReport called %d times: LimitExceeded was not met and retried", n)
	}
	if ok, _ := store.NewFile(m.Store[len("file://"):]).Exists(context.Background(), store.CredentialReportKey(m.Prefix, limited)); !ok {
		t.Fatal("no credential report stored for the limited account")
	}
}

func TestReportFromConfigAggregator(t *testing.T) {
	isolate(t)
	world := fakeaws.NewWorld(fakeaws.Options{Seed: 6, Orgs: 1, AccountsPerOrg: 3, Size: fakeaws.Size{Users: 2, Roles: 1, Groups: 1, Policies: 1}, Now: testNow()})
	srv := fakeaws.New(world, fakeaws.Knobs{})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL", url)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIATESTBASE00000000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "x")
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"report", "users", "--source", "config-aggregator", "--aggregator", world.Options().ConfigAggregator, "--format", "csv"}, IO{Out: &out, Err: &errb, Now: testNow})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want := 0
	for _, a := range world.Accounts() {
		if a.Status == "ACTIVE" {
			want += len(world.Account(a.ID).Users)
		}
	}
	if lines := strings.Count(strings.TrimSpace(out.String()), "\n"); lines != want {
		t.Fatalf("%d user rows, want %d\n%s", lines, want, out.String())
	}
	if !strings.Contains(errb.String(), "note:") {
		t.Fatalf("the columns Config does not record are not noted: %s", errb.String())
	}
	code = Run(context.Background(), []string{"report", "users", "--source", "config-aggregator", "--aggregator", "nope"}, IO{Out: &out, Err: &errb, Now: testNow})
	if code == 0 || !strings.Contains(errb.String(), "nope") {
		t.Fatalf("unknown aggregator: exit %d, %s", code, errb.String())
	}
}
