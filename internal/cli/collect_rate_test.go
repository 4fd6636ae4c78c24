package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// rateRun collects a generated organization with the defaults of collect
// (no rate ceiling), the SDK options given by tuneAuth, and during, if set,
// called in the background once the account list is written (the scan has
// begun).
func rateRun(t *testing.T, opts fakeaws.Options, knobs fakeaws.Knobs, tune func(*config.Config), tuneAuth func(*awsauth.Options), during func(*fakeaws.Server)) (*fakeaws.World, *fakeaws.Server, snapshot.Manifest, string, time.Duration) {
	t.Helper()
	isolate(t)
	opts.Now = testNow()
	world := fakeaws.NewWorld(opts)
	sim, err := simulate(world, knobs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cfg := sim.Config
	cfg.Store = filepath.Join(t.TempDir(), "data")
	cfg.Date = "2026-11-23"
	cfg.CredentialReportWait = 20 * time.Millisecond
	cfg.Concurrency = 8
	cfg.Quiet = true
	if tune != nil {
		tune(cfg)
	}
	auth := sim.Auth
	if tuneAuth != nil {
		tuneAuth(&auth)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if during != nil {
		go func() {
			st := store.NewFile(cfg.Store)
			for ctx.Err() == nil {
				if ok, _ := st.Exists(context.Background(), store.AccountListKey("2026-11-23")); ok {
					during(sim.Server)
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	var out, errb bytes.Buffer
	t0 := time.Now()
	err = runCollect(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, auth)
	wall := time.Since(t0)
	if err != nil {
		if _, ok := err.(*exitError); !ok {
			t.Fatalf("collect: %v\n%s", err, errb.String())
		}
	}
	m, merr := snapshot.Reader{Store: store.NewFile(cfg.Store), Run: "2026-11-23"}.Manifest(context.Background())
	if merr != nil {
		t.Fatalf("manifest: %v\n%s", merr, errb.String())
	}
	return world, sim.Server, m, out.String(), wall
}

// ListAccessKeys is called only for the users the credential report shows
// with keys, and every key is still collected.
func TestAccessKeysListedOnlyForUsersWithKeys(t *testing.T) {
	opts := fakeaws.Options{Seed: 11, Orgs: 1, AccountsPerOrg: 5, Size: fakeaws.Size{Users: 12, Roles: 3, Groups: 2, Policies: 2}}
	world, srv, m, _, _ := rateRun(t, opts, fakeaws.Knobs{}, nil, nil, nil)
	if m.Totals.Failed != 0 {
		t.Fatalf("failed accounts: %+v", m.Accounts)
	}
	r := snapshot.Reader{Store: store.NewFile(m.Store[len("file://"):]), Run: m.Prefix}
	withKeys, users, keys := 0, 0, 0
	for _, a := range m.Accounts {
		if a.Status != snapshot.StatusOK {
			continue
		}
		want := map[string]int{}
		for _, u := range world.Account(a.ID).Users {
			users++
			if len(u.AccessKeys) > 0 {
				withKeys++
				want[u.UserName] = len(u.AccessKeys)
			}
		}
		var got []snapshot.User
		if err := r.IAM(context.Background(), a.ID, store.DataUsers, &got); err != nil {
			t.Fatal(err)
		}
		for _, u := range got {
			keys += len(u.AccessKeys)
			if len(u.AccessKeys) != want[u.UserName] {
				t.Errorf("account %s user %s: %d keys stored, world has %d", a.ID, u.UserName, len(u.AccessKeys), want[u.UserName])
			}
		}
	}
	if withKeys == 0 || withKeys == users {
		t.Fatalf("world has %d of %d users with keys: the test proves nothing", withKeys, users)
	}
	if n := srv.Stats().Calls["iam:ListAccessKeys"]; n != int64(withKeys) {
		t.Errorf("ListAccessKeys called %d times, want %d (users with keys), not %d (users)", n, withKeys, users)
	}
	if keys == 0 {
		t.Error("no access keys collected")
	}
}

// Without a credential report, access keys are listed for every user and the
// account's warnings say so.
func TestAccessKeysFallBackWithoutReport(t *testing.T) {
	opts := fakeaws.Options{Seed: 11, Orgs: 1, AccountsPerOrg: 3, Size: fakeaws.Size{Users: 6, Roles: 1, Groups: 1, Policies: 1}}
	var never string
	world := fakeaws.NewWorld(fakeaws.Options{Seed: 11, Orgs: 1, AccountsPerOrg: 3, Size: opts.Size, Now: testNow()})
	for _, a := range world.Accounts() {
		if a.Status == "ACTIVE" && !a.Management {
			never = a.ID
			break
		}
	}
	_, _, m, _, _ := rateRun(t, opts, fakeaws.Knobs{CredReportNever: []string{never}}, func(c *config.Config) { c.CredentialReportMaxPolls = 2 }, nil, nil)
	a := statuses(m)[never]
	found := false
	for _, w := range a.Warnings {
		if strings.Contains(w, "access keys listed for every user") {
			found = true
		}
	}
	if !found {
		t.Fatalf("account without a report: warnings %q", a.Warnings)
	}
	var got []snapshot.User
	r := snapshot.Reader{Store: store.NewFile(m.Store[len("file://"):]), Run: m.Prefix}
	if err := r.IAM(context.Background(), never, store.DataUsers, &got); err != nil {
		t.Fatal(err)
	}
	keys, want := 0, 0
	for _, u := range got {
		keys += len(u.AccessKeys)
	}
	for _, u := range world.Account(never).Users {
		want += len(u.AccessKeys)
	}
	if keys != want || want == 0 {
		t.Fatalf("%d keys stored, world has %d", keys, want)
	}
}

// A server that throttles everything for a while: accounts wait and
// complete, none fails (the benchmark runs the full minute).
func TestThrottleEverythingThenRecover(t *testing.T) {
	opts := fakeaws.Options{Seed: 12, Orgs: 1, AccountsPerOrg: 6, Size: fakeaws.Size{Users: 2, Roles: 1, Groups: 1, Policies: 1}}
	_, srv, m, out, _ := rateRun(t, opts, fakeaws.Knobs{}, nil, nil, func(s *fakeaws.Server) {
		s.SetKnobs(fakeaws.Knobs{ThrottleAll: true})
		time.Sleep(3 * time.Second)
		s.SetKnobs(fakeaws.Knobs{})
	})
	if m.Totals.Failed != 0 || m.Totals.OK == 0 {
		t.Fatalf("ok %d, failed %d: %+v", m.Totals.OK, m.Totals.Failed, m.Accounts)
	}
	if srv.Stats().Throttles == 0 || m.Totals.Throttles == 0 {
		t.Fatalf("no throttling happened (server %d, manifest %d): the test proves nothing", srv.Stats().Throttles, m.Totals.Throttles)
	}
	if !strings.Contains(out, "throttles absorbed") {
		t.Errorf("summary:\n%s", out)
	}
}

// A server that stops answering mid-scan makes each account fail within a
// bounded time: attempts time out and retries are few.
func TestSilentServerFailsAccountsInBoundedTime(t *testing.T) {
	opts := fakeaws.Options{Seed: 13, Orgs: 1, AccountsPerOrg: 8, Size: fakeaws.Size{Users: 2, Roles: 1, Groups: 1, Policies: 1}}
	_, _, m, _, wall := rateRun(t, opts, fakeaws.Knobs{Latency: 20 * time.Millisecond}, func(c *config.Config) { c.Concurrency = 4 },
		func(a *awsauth.Options) { a.AttemptTimeout = 300 * time.Millisecond; a.RetryMaxAttempts = 2 },
		func(s *fakeaws.Server) { s.SetKnobs(fakeaws.Knobs{Hang: true}) })
	if m.Totals.Failed == 0 {
		t.Fatalf("no account failed against a silent server: %+v", m.Totals)
	}
	for _, a := range m.Accounts {
		if a.Status == snapshot.StatusFailed && !strings.Contains(a.Error, "Timeout") && !strings.Contains(a.Error, "timed out") && !strings.Contains(a.Error, "deadline") {
			t.Errorf("account %s failed with %q, want a timeout", a.ID, a.Error)
		}
	}
	// 8 accounts, 4 at a time, each failing after about 2 attempts of
	// 300 ms and a backoff: far below the 15-minute account timeout.
	if wall > 30*time.Second {
		t.Fatalf("run took %v against a silent server", wall)
	}
}

// An account that outlasts --account-timeout fails with a timeout and the run
// completes: its files are written after the timeout, not refused.
func TestAccountTimeoutIsAnAccountFailure(t *testing.T) {
	opts := fakeaws.Options{Seed: 14, Orgs: 1, AccountsPerOrg: 3, Size: fakeaws.Size{Users: 2, Roles: 1, Groups: 1, Policies: 1}}
	// Each account waits for a credential report that takes a minute: the
	// account, not discovery, outlasts the timeout, whatever the speed of
	// its other calls.
	_, _, m, _, _ := rateRun(t, opts, fakeaws.Knobs{CredReportDelay: time.Minute}, func(c *config.Config) { c.AccountTimeout = time.Second }, nil, nil)
	if m.Totals.Failed == 0 {
		t.Fatalf("no account timed out: %+v", m.Totals)
	}
	for _, a := range m.Accounts {
		if a.Status == snapshot.StatusFailed && !strings.Contains(a.Error, "account-timeout") {
			t.Errorf("account %s: %q, want the account timeout named", a.ID, a.Error)
		}
	}
}
