package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// runWorld serves a small generated organization and returns a collect
// configuration for it writing to a fresh folder.
func runWorld(t *testing.T, accounts int, knobs fakeaws.Knobs) (*fakeaws.World, *simulation, *config.Config) {
	t.Helper()
	isolate(t)
	world := fakeaws.NewWorld(fakeaws.Options{Seed: 9, Orgs: 1, AccountsPerOrg: accounts, Now: testNow(),
		Size: fakeaws.Size{Users: 2, Roles: 2, Groups: 1, Policies: 1}})
	sim, err := simulate(world, knobs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cfg := sim.Config
	cfg.Store = filepath.Join(t.TempDir(), "data")
	cfg.Date = "2026-11-23"
	cfg.CredentialReportWait = 20 * time.Millisecond
	cfg.Concurrency = 4
	cfg.RateLimit = 2000
	cfg.Quiet = true
	return world, sim, cfg
}

func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return codeOf(err)
}

// codeOf is the exit code Run gives err (without running a command).
func codeOf(err error) int {
	code := ExitError
	var ue *pipeline.UsageError
	switch {
	case errors.As(err, &ue), errors.Is(err, pipeline.ErrRunExists), errors.Is(err, pipeline.ErrRunIncomplete), errors.Is(err, pipeline.ErrNothingToResume):
		code = ExitUsage
	}
	return code
}

func activeMember(w *fakeaws.World, n int) []string {
	var ids []string
	for _, a := range w.Accounts() {
		if !a.Management && a.Status == "ACTIVE" && len(ids) < n {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// cancelAfter is a Progress that cancels the run after n accounts.
type cancelAfter struct {
	n, done int
	cancel  func()
}

func (c *cancelAfter) Start(int) {}
func (c *cancelAfter) AccountDone(string, bool) {
	if c.done++; c.done == c.n {
		c.cancel()
	}
}
func (c *cancelAfter) Finish()  {}
func (c *cancelAfter) More(int) {}

// runPartly runs collect in-process and interrupts it after n accounts.
func runPartly(t *testing.T, cfg *config.Config, sim *simulation, n int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errb bytes.Buffer
	env, err := newEnv(ctx, IO{Out: &errb, Err: &errb, Now: testNow}, cfg, sim.Auth)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.RunLocal(ctx, env, pipeline.PlanInput{}, &cancelAfter{n: n, cancel: cancel}); err == nil {
		t.Fatal("the interrupted run reported no error")
	}
}

func faultAccountTimeout(t *testing.T) int {
	var stuck string
	world, sim, cfg := runWorld(t, 6, fakeaws.Knobs{})
	stuck = activeMember(world, 1)[0]
	sim.SetKnobs(fakeaws.Knobs{CredReportNever: []string{stuck}})
	cfg.AccountTimeout = time.Second
	cfg.CredentialReportMaxPolls = 100000
	var out, errb bytes.Buffer
	err := runCollect(context.Background(), IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth)
	if code := exitCode(err); code != ExitAccountFailed {
		t.Fatalf("exit %d (%v), want 3\n%s", code, err, errb.String())
	}
	st := store.NewFile(cfg.Store)
	r := snapshot.Reader{Store: st, Run: "2026-11-23"}
	m, err := r.Manifest(context.Background())
	if err != nil {
		t.Fatalf("no manifest: %v", err)
	}
	for _, a := range m.Accounts {
		switch {
		case a.ID == stuck && (a.Status != "failed" || !strings.Contains(a.Error, "account-timeout")):
			t.Errorf("stuck account: %+v", a)
		case a.ID != stuck && a.Status == "failed":
			t.Errorf("healthy account %s lost: %+v", a.ID, a)
		}
	}
	e, err := r.Error(context.Background(), stuck)
	if err != nil || e == nil || e.Code != "Timeout" || e.Phase != "credential-report" {
		t.Fatalf("error.json of the stuck account: %+v %v", e, err)
	}
	if ok, _ := st.Exists(context.Background(), store.IndexKey("2026-11-23")); !ok {
		t.Error("no index")
	}
	return lost(t, st, "2026-11-23", map[string]bool{stuck: true})
}

func faultLockHeld(t *testing.T) int {
	_, sim, cfg := runWorld(t, 3, fakeaws.Knobs{})
	st := store.NewFile(cfg.Store)
	if err := os.MkdirAll(cfg.Store, 0o700); err != nil {
		t.Fatal(err)
	}
	now := testNow()
	held, err := store.AcquireLock(context.Background(), st, "2026-11-23", store.LockOptions{Owner: "ops", Host: "other-host", PID: 4242, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err = runCollect(context.Background(), IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth)
	var le *store.LockedError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "ops@other-host (pid 4242)") {
		t.Fatalf("second writer: %v", err)
	}
	if ok, _ := st.Exists(context.Background(), store.RunInfoKey("2026-11-23")); ok {
		t.Fatal("the refused writer wrote run.json")
	}
	if err := held.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := runCollect(context.Background(), IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth); err != nil {
		t.Fatalf("after the lock was released: %v\n%s", err, errb.String())
	}
	if keys, _ := st.List(context.Background(), ".locks/"); len(keys) != 0 {
		t.Fatalf("lock left behind after a run: %v", keys)
	}
	return lost(t, st, "2026-11-23", nil)
}

func faultOverwriteKilled(t *testing.T) int {
	world, sim, cfg := runWorld(t, 8, fakeaws.Knobs{CredReportDelay: 30 * time.Millisecond})
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := runCollect(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth); err != nil {
		t.Fatalf("first run: %v\n%s", err, errb.String())
	}
	st := store.NewFile(cfg.Store)
	oldManifest, _ := st.Get(ctx, store.ManifestKey("2026-11-23"))
	oldIndex, _ := st.Get(ctx, store.IndexKey("2026-11-23"))

	// An overwrite interrupted midway leaves the old run whole.
	cfg.Overwrite = true
	cfg.Concurrency = 1
	runPartly(t, cfg, sim, 2)
	if m, _ := st.Get(ctx, store.ManifestKey("2026-11-23")); !bytes.Equal(m, oldManifest) {
		t.Fatal("the interrupted overwrite changed the old manifest")
	}
	if ix, _ := st.Get(ctx, store.IndexKey("2026-11-23")); !bytes.Equal(ix, oldIndex) {
		t.Fatal("the interrupted overwrite changed the old index")
	}
	if run, err := snapshot.ResolveRun(ctx, st, ""); err != nil || run != "2026-11-23" {
		t.Fatalf("latest run after an interrupted overwrite: %q %v", run, err)
	}

	// A complete overwrite in which one account fails: none of its old data stays.
	denied := activeMember(world, 1)[0]
	sim.SetKnobs(fakeaws.Knobs{DenyAssume: []string{denied}})
	err := runCollect(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth)
	if code := exitCode(err); code != ExitAccountFailed {
		t.Fatalf("overwrite: exit %d %v\n%s", code, err, errb.String())
	}
	keys, _ := st.List(ctx, store.AccountPrefix("2026-11-23", denied))
	if len(keys) != 2 || !strings.HasSuffix(keys[0], "account.json") || !strings.HasSuffix(keys[1], "error.json") {
		t.Fatalf("files of the account that failed on overwrite: %v (want account.json and error.json only)", keys)
	}
	if left, _ := st.List(ctx, ".staging/"); len(left) != 0 {
		t.Fatalf("staging left behind: %v", left)
	}
	m, err := snapshot.Reader{Store: st, Run: "2026-11-23"}.Manifest(ctx)
	if err != nil || m.Prefix != "2026-11-23" || m.Totals.Failed != 1 {
		t.Fatalf("new manifest: %+v %v", m.Totals, err)
	}
	return lost(t, st, "2026-11-23", map[string]bool{denied: true})
}

func faultInterruptedThenResume(t *testing.T) int {
	_, sim, cfg := runWorld(t, 8, fakeaws.Knobs{CredReportDelay: 30 * time.Millisecond})
	ctx := context.Background()
	cfg.Concurrency = 1
	runPartly(t, cfg, sim, 3)
	st := store.NewFile(cfg.Store)
	r := snapshot.Reader{Store: st, Run: "2026-11-23"}
	accounts, err := r.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string]bool{}
	for _, a := range accounts {
		if res, _ := r.Result(ctx, a); res.Status == "ok" {
			kept[a.ID] = true
		}
	}
	if len(kept) == 0 || len(kept) == len(accounts) {
		t.Fatalf("%d of %d accounts complete after the interruption: the test proves nothing", len(kept), len(accounts))
	}

	// A plain re-run says the run is incomplete and names --resume.
	var out, errb bytes.Buffer
	err = runCollect(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth)
	if !errors.Is(err, pipeline.ErrRunIncomplete) || !strings.Contains(err.Error(), "--resume") || codeOf(err) != ExitUsage {
		t.Fatalf("plain re-run: %v", err)
	}

	sim.ResetStats()
	cfg.Concurrency = 4
	err = runCollectPlan(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth, pipeline.PlanInput{Resume: true})
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, errb.String())
	}
	m, err := r.Manifest(ctx)
	if err != nil || m.Totals.OK != len(accounts) {
		t.Fatalf("resumed run: %+v %v", m.Totals, err)
	}
	stats := sim.Stats()
	for id := range kept {
		if n := stats.PerAccount[id]; n != 0 {
			t.Errorf("account %s was complete and was scanned again (%d calls)", id, n)
		}
	}
	for _, a := range accounts {
		if !kept[a.ID] && stats.PerAccount[a.ID] == 0 {
			t.Errorf("account %s was incomplete and was not scanned", a.ID)
		}
	}
	if ok, _ := st.Exists(ctx, store.IndexKey("2026-11-23")); !ok {
		t.Error("no index after resume")
	}
	if ok, _ := st.Exists(ctx, store.ReportKey("2026-11-23", "findings.json")); !ok {
		t.Error("no reports after resume")
	}
	return lost(t, st, "2026-11-23", nil)
}

// TestKillNineThenResume kills a real collect process with SIGKILL in the
// middle of its scan, then completes the run with --resume.
func faultKillNineThenResume(t *testing.T) int {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	world, sim, cfg := runWorld(t, 10, fakeaws.Knobs{CredReportDelay: 200 * time.Millisecond})
	bin := filepath.Join(t.TempDir(), "orgiam")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/orgiam")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	cmd := exec.Command(bin, "collect", "--store", cfg.Store, "--date", "2026-11-23", "--org-role", cfg.OrgRoles[0],
		"--concurrency", "1", "--credential-report-wait", "50ms", "--quiet")
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+sim.URL, "AWS_ACCESS_KEY_ID=AKIASIMULATEDBASE000", "AWS_SECRET_ACCESS_KEY=simulated", "AWS_REGION=us-east-1")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	st := store.NewFile(cfg.Store)
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		keys, _ := st.List(ctx, store.AccountsPrefix("2026-11-23"))
		n := 0
		for _, k := range keys {
			if strings.HasSuffix(k, "/account.json") {
				n++
			}
		}
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the run did not get far enough: %v\n%s", keys, errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if ok, _ := st.Exists(ctx, store.ManifestKey("2026-11-23")); ok {
		t.Fatal("the killed run has a manifest")
	}
	if locks, _ := st.List(ctx, ".locks/"); len(locks) == 0 {
		t.Fatal("the killed run left no lock: the test does not show the takeover")
	}
	var out bytes.Buffer
	if err := runCollectPlan(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth, pipeline.PlanInput{Resume: true}); err != nil {
		t.Fatalf("resume after kill -9: %v\n%s", err, errb.String())
	}
	m, err := snapshot.Reader{Store: st, Run: "2026-11-23"}.Manifest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, a := range world.Accounts() {
		if a.Status == "ACTIVE" {
			want++
		}
	}
	if m.Totals.OK != want || m.Totals.Failed != 0 {
		t.Fatalf("after resume: %+v, want %d ok", m.Totals, want)
	}
	return lost(t, st, "2026-11-23", nil)
}

func TestWrongScopeIsRefusedWithNothingWritten(t *testing.T) {
	world, sim, cfg := runWorld(t, 4, fakeaws.Knobs{})
	ctx := context.Background()
	st := store.NewFile(cfg.Store)
	nothingWritten := func(t *testing.T) {
		t.Helper()
		if keys, _ := st.List(ctx, ""); len(keys) != 0 {
			t.Fatalf("files written: %v", keys)
		}
	}
	t.Run("filters that leave no account", func(t *testing.T) {
		c := *cfg
		for _, a := range world.Accounts() {
			c.ExcludeAccounts = append(c.ExcludeAccounts, a.ID)
		}
		var out, errb bytes.Buffer
		err := runCollect(ctx, IO{Out: &out, Err: &errb, Now: testNow}, &c, sim.Auth)
		if codeOf(err) != ExitUsage || !strings.Contains(fmt.Sprint(err), "no account to scan") {
			t.Fatalf("zero accounts: %v", err)
		}
		nothingWritten(t)
	})
	t.Run("a date far ahead", func(t *testing.T) {
		c := *cfg
		c.Date = "2205-01-01"
		var out, errb bytes.Buffer
		err := runCollect(ctx, IO{Out: &out, Err: &errb, Now: testNow}, &c, sim.Auth)
		if codeOf(err) != ExitUsage || !strings.Contains(fmt.Sprint(err), "more than a day in the future") {
			t.Fatalf("future date: %v", err)
		}
		nothingWritten(t)
	})
	t.Run("command line", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			env  map[string]string
			want string
		}{
			{[]string{"collect", "--store", cfg.Store, "--accounts", ","}, nil, "--accounts"},
			{[]string{"collect", "--store", cfg.Store, "--run-id", "reports"}, nil, "reserved"},
			{[]string{"collect", "--store", cfg.Store}, map[string]string{"ORGIAM_ACOUNTS": "111111111111"}, "ORGIAM_ACOUNTS: unknown variable: orgiam reads no such setting (did you mean ORGIAM_ACCOUNTS?)"},
			{[]string{"collect", "--store", cfg.Store}, map[string]string{"ORGIAM_CONCURRENCY": "0"}, "ORGIAM_CONCURRENCY: 0 is out of range"},
		} {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var out, errb bytes.Buffer
			code := Run(ctx, tc.args, IO{Out: &out, Err: &errb, Now: testNow})
			if code != ExitUsage || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("%v %v: exit %d, %q; want 2 and %q", tc.args, tc.env, code, errb.String(), tc.want)
			}
			for k := range tc.env {
				os.Unsetenv(k)
			}
			nothingWritten(t)
		}
	})
}

func TestStartUpMistakesExitTwoWithNothingCreated(t *testing.T) {
	dir := isolate(t)
	storeDir := filepath.Join(dir, "s")
	const token = "T0KEN-canary-7c2a"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"demo", "--orgs", "0", "--store", storeDir}, "--orgs"},
		{[]string{"collect", "--store", storeDir, "--profile", "no-such-profile"}, "no such AWS profile"},
		{[]string{"collect", "--store", storeDir, "--region", "mars-1"}, "--region"},
		{[]string{"collect", "--store", storeDir, "--notify", `webhook:https://h.example.com/` + token + `"x`}, ""},
		{[]string{"collect", "--store", storeDir, "--notify", "https://h.example.com/" + token + ",x"}, "--notify"},
	} {
		var out, errb bytes.Buffer
		code := Run(context.Background(), tc.args, IO{Out: &out, Err: &errb, Now: testNow})
		if strings.Contains(errb.String()+out.String(), token) {
			t.Errorf("%v: the secret was echoed: %s", tc.args, errb.String())
		}
		if tc.want == "" {
			// The quote is no parse error any more; the run then fails on
			// credentials (there are none here), still without the token.
			continue
		}
		if code != ExitUsage || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d %q, want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
		if strings.Contains(errb.String(), "goroutine ") {
			t.Errorf("%v: stack trace: %s", tc.args, errb.String())
		}
		if _, err := os.Stat(storeDir); err == nil {
			t.Fatalf("%v created the store folder", tc.args)
		}
	}
}

// A writer whose lease ran out and whose run was taken over stops without
// writing a manifest.
func TestWriterThatLosesItsLockStops(t *testing.T) {
	_, sim, cfg := runWorld(t, 8, fakeaws.Knobs{CredReportDelay: 100 * time.Millisecond})
	cfg.Concurrency = 1
	ctx := context.Background()
	st := store.NewFile(cfg.Store)
	var errb bytes.Buffer
	env, err := newEnv(ctx, IO{Out: &errb, Err: &errb, Now: testNow}, cfg, sim.Auth)
	if err != nil {
		t.Fatal(err)
	}
	env.Lock = store.LockOptions{Lease: 200 * time.Millisecond}
	go func() {
		// Once the scan is under way, a second writer whose clock is past the
		// first one's lease takes the run over.
		for {
			if ok, _ := st.Exists(ctx, store.AccountListKey("2026-11-23")); ok {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		later := testNow().Add(time.Hour)
		if _, err := store.AcquireLock(ctx, st, "2026-11-23", store.LockOptions{Host: "other", PID: 1, Now: func() time.Time { return later }}); err != nil {
			t.Errorf("takeover: %v", err)
		}
	}()
	_, err = pipeline.RunLocal(ctx, env, pipeline.PlanInput{}, nil)
	if !errors.Is(err, store.ErrLockLost) {
		t.Fatalf("run after losing its lock: %v", err)
	}
	if ok, _ := st.Exists(ctx, store.ManifestKey("2026-11-23")); ok {
		t.Fatal("the writer that lost its lock wrote a manifest")
	}
}
