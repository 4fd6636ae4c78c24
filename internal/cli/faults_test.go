package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// The fault suite: each case injects one fault into a real run (fakeaws
// over HTTP, the real SDK, a folder store) and returns how many accounts it
// lost. TestFaultSuite runs them all and, with FAULTS_OUT set, records the
// figures (make faults writes bench/results/faults.json).

// lost counts the accounts of the run's account list that the complete run
// does not account for truthfully: missing from the manifest, failed
// although healthy (not in expectFailed), "ok" without their data, or
// failed without error.json. No manifest at all loses every account.
func lost(t *testing.T, st store.Store, run string, expectFailed map[string]bool) int {
	t.Helper()
	ctx := context.Background()
	r := snapshot.Reader{Store: st, Run: run}
	accounts, err := r.Accounts(ctx)
	if err != nil {
		t.Errorf("account list of %s: %v", run, err)
		return 1
	}
	m, err := r.Manifest(ctx)
	if err != nil {
		t.Errorf("no manifest for %s: %v", run, err)
		return len(accounts)
	}
	byID := map[string]snapshot.AccountResult{}
	for _, a := range m.Accounts {
		byID[a.ID] = a
	}
	n := 0
	for _, a := range accounts {
		res, ok := byID[a.ID]
		switch {
		case !ok:
			t.Errorf("account %s missing from the manifest", a.ID)
		case res.Status == snapshot.StatusFailed && !expectFailed[a.ID]:
			t.Errorf("healthy account %s reported failed: %s", a.ID, res.Error)
		case res.Status == snapshot.StatusOK:
			if ok, _ := st.Exists(ctx, store.IAMKey(run, a.ID, store.DataUsers)); !ok {
				t.Errorf("account %s ok without its users", a.ID)
			} else {
				continue
			}
		case res.Status == snapshot.StatusFailed:
			if e, _ := r.Error(ctx, a.ID); e == nil {
				t.Errorf("failed account %s without error.json", a.ID)
			} else {
				continue
			}
		default:
			continue
		}
		n++
	}
	return n
}

func faultThrottlingStorm(t *testing.T) int {
	_, sim, cfg := runWorld(t, 8, fakeaws.Knobs{RatePerAccount: 15, Burst: 3})
	cfg.Concurrency = 8
	auth := sim.Auth
	auth.RetryMaxAttempts = 20
	var out, errb bytes.Buffer
	if err := runCollect(context.Background(), IO{Out: &out, Err: &errb, Now: testNow}, cfg, auth); err != nil {
		t.Errorf("collect under throttling: %v", err)
	}
	if sim.Stats().Throttles == 0 {
		t.Error("no throttling happened: the case proves nothing")
	}
	return lost(t, store.NewFile(cfg.Store), "2026-11-23", nil)
}

func faultServerErrors(t *testing.T) int {
	_, sim, cfg := runWorld(t, 8, fakeaws.Knobs{FailFraction: 0.05, FailSeed: 7})
	auth := sim.Auth
	auth.RetryMaxAttempts = 10
	var out, errb bytes.Buffer
	if err := runCollect(context.Background(), IO{Out: &out, Err: &errb, Now: testNow}, cfg, auth); err != nil {
		t.Errorf("collect with 5%% 5xx: %v", err)
	}
	if sim.Stats().Faults == 0 {
		t.Error("no 5xx was injected: the case proves nothing")
	}
	return lost(t, store.NewFile(cfg.Store), "2026-11-23", nil)
}

func faultAccessDeniedAndNeverReady(t *testing.T) int {
	world, sim, cfg := runWorld(t, 8, fakeaws.Knobs{})
	ids := activeMember(world, 2)
	sim.SetKnobs(fakeaws.Knobs{DenyAssume: ids[:1], CredReportNever: ids[1:2]})
	cfg.CredentialReportMaxPolls = 3
	var out, errb bytes.Buffer
	err := runCollect(context.Background(), IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth)
	if exitCode(err) != ExitAccountFailed {
		t.Errorf("exit %d (%v), want 3", exitCode(err), err)
	}
	return lost(t, store.NewFile(cfg.Store), "2026-11-23", map[string]bool{ids[0]: true, ids[1]: true})
}

func faultStuckCallsAtTheDeadline(t *testing.T) int {
	// Once the accounts are listed, every call takes longer than an account
	// may: calls are in flight when each account's deadline passes. The
	// credential report takes a minute from the start, so that an account
	// scanned before the latency is set cannot finish in time either.
	_, sim, cfg := runWorld(t, 3, fakeaws.Knobs{CredReportDelay: time.Minute})
	cfg.AccountTimeout = time.Second
	cfg.Concurrency = 8
	st := store.NewFile(cfg.Store)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if ok, _ := st.Exists(ctx, store.AccountListKey("2026-11-23")); ok {
				sim.SetKnobs(fakeaws.Knobs{Latency: 1500 * time.Millisecond, CredReportDelay: time.Minute})
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var out, errb bytes.Buffer
	err := runCollect(context.Background(), IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth)
	if exitCode(err) != ExitAccountFailed {
		t.Errorf("exit %d (%v), want 3\n%s", exitCode(err), err, errb.String())
	}
	accounts, _ := snapshot.Reader{Store: st, Run: "2026-11-23"}.Accounts(context.Background())
	failed := map[string]bool{}
	for _, a := range accounts {
		failed[a.ID] = true
		if e, _ := (snapshot.Reader{Store: st, Run: "2026-11-23"}).Error(context.Background(), a.ID); e == nil || e.Code != "Timeout" {
			t.Errorf("account %s: error.json %+v, want code Timeout", a.ID, e)
		}
	}
	return lost(t, st, "2026-11-23", failed)
}

func faultConcurrentWriters(t *testing.T) int {
	_, sim, cfg := runWorld(t, 6, fakeaws.Knobs{CredReportDelay: 50 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := *cfg
			var out, errb bytes.Buffer
			errs[i] = runCollect(context.Background(), IO{Out: &out, Err: &errb, Now: testNow}, &c, sim.Auth)
		}()
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, err := range errs {
		var le *store.LockedError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &le), errors.Is(err, pipeline.ErrRunExists):
			refused++
		default:
			t.Errorf("writer: %v", err)
		}
	}
	if ok != 1 || refused != 1 {
		t.Errorf("%d writers succeeded and %d were refused, want 1 and 1 (%v)", ok, refused, errs)
	}
	return lost(t, store.NewFile(cfg.Store), "2026-11-23", nil)
}

// faultCanarySecrets runs collect with canary values as the base secret
// key, session token, external id and in a webhook URL, and greps every
// output and every stored file for them.
func faultCanarySecrets(t *testing.T) int {
	_, sim, cfg := runWorld(t, 4, fakeaws.Knobs{})
	const secret, token, hook = "CANARYsecretKEY0001", "CANARYsessionTOKEN0002", "CANARYhookPATH0003"
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
	}))
	defer srv.Close()
	cfg.Notify = []string{"webhook:" + srv.URL + "/" + hook}
	auth := sim.Auth
	auth.Credentials = credentials.NewStaticCredentialsProvider("AKIASIMULATEDBASE000", secret, token)
	var out, errb bytes.Buffer
	if err := runCollect(context.Background(), IO{Out: &out, Err: &errb, Now: testNow}, cfg, auth); err != nil {
		t.Errorf("collect: %v\n%s", err, errb.String())
	}
	mu.Lock()
	texts := map[string]string{"stdout": out.String(), "stderr": errb.String(), "notification": strings.Join(bodies, "\n")}
	if len(bodies) == 0 {
		t.Error("no notification was sent: the case does not check it")
	}
	mu.Unlock()
	filepath.WalkDir(cfg.Store, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			texts[p] = string(b)
		}
		return nil
	})
	for where, text := range texts {
		for _, canary := range []string{secret, token, hook} {
			if strings.Contains(text, canary) {
				t.Errorf("%s contains the canary %s", where, canary)
			}
		}
	}
	return lost(t, store.NewFile(cfg.Store), "2026-11-23", nil)
}

type faultResult struct {
	Name         string  `json:"name"`
	Passed       bool    `json:"passed"`
	AccountsLost int     `json:"accountsLost"`
	Seconds      float64 `json:"seconds"`
}

func TestFaultSuite(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T) int
	}{
		{"throttling storm", faultThrottlingStorm},
		{"5% 5xx", faultServerErrors},
		{"AccessDenied accounts and never-completing reports", faultAccessDeniedAndNeverReady},
		{"credential report never completes within --account-timeout", faultAccountTimeout},
		{"stuck calls at the deadline", faultStuckCallsAtTheDeadline},
		{"interrupted run, plain re-run refused, --resume", faultInterruptedThenResume},
		{"SIGKILL then --resume", faultKillNineThenResume},
		{"two concurrent writers", faultConcurrentWriters},
		{"lock held by a live writer", faultLockHeld},
		{"overwrite killed midway, then an overwrite with a failing account", faultOverwriteKilled},
		{"read-only store and readers", faultReadOnlyStore},
		{"damaged manifest", faultDamagedManifest},
		{"corrupt credential reports and data set, each in one account", faultCorruptAccountFiles},
		{"canary secrets in every output and file", faultCanarySecrets},
	}
	var results []faultResult
	total := 0
	for _, c := range cases {
		start := time.Now()
		n, ran := 0, false
		ok := t.Run(c.name, func(t *testing.T) { ran = true; n = c.run(t) })
		if !ran {
			continue // left out by -run
		}
		results = append(results, faultResult{Name: c.name, Passed: ok, AccountsLost: n, Seconds: time.Since(start).Round(time.Millisecond).Seconds()})
		total += n
	}
	passed := 0
	for _, r := range results {
		if r.Passed {
			passed++
		}
	}
	t.Logf("faults: %d cases tried, %d passed, %d accounts lost", len(results), passed, total)
	if total != 0 {
		t.Errorf("%d accounts lost", total)
	}
	if out := os.Getenv("FAULTS_OUT"); out != "" {
		data, _ := json.MarshalIndent(map[string]any{"casesTried": len(results), "casesPassed": passed, "accountsLost": total, "cases": results,
			"command": "make faults"}, "", "  ")
		if err := os.WriteFile(out, append(data, '\n'), 0o644); err != nil {
			t.Error(err)
		}
	}
}
