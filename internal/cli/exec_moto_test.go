package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/execrun"
	"github.com/orgiam/orgiam/internal/store"
	"github.com/orgiam/orgiam/internal/testutil/moto"
)

// execHelperVar makes the test binary, started as exec's COMMAND, act as a
// small AWS program instead of running the tests.
const execHelperVar = "EXEC_TEST_HELPER"

// TestExecHelperProcess is the COMMAND of the exec tests (not a test).
func TestExecHelperProcess(t *testing.T) {
	mode := os.Getenv(execHelperVar)
	if mode == "" {
		t.Skip("run by the exec tests as their command")
	}
	switch mode {
	case "whoami":
		// The SDK's default chain, as any Go program would use it: with
		// the endpoint, container credentials.
		cfg, err := awsconfig.LoadDefaultConfig(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(5)
		}
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(6)
		}
		fmt.Println(*out.Account, os.Getenv("AWS_ACCESS_KEY_ID") == "", os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != "")
	case "nested":
		// An orgiam inside the command reads its environment as usual.
		cfg, err := config.Load(nil, os.LookupEnv)
		if err == nil {
			err = config.CheckEnv(os.Environ(), cfg)
		}
		if err != nil {
			fmt.Println("refused:", err)
			os.Exit(4)
		}
		fmt.Println("accepted region", cfg.Region)
	}
	os.Exit(0)
}

type execWorld struct {
	srv      *moto.Server
	storeDir string
	orgRole  string
	members  map[string]string // name -> id
}

// newExecWorld builds an organization in moto with two member accounts
// and points the SDK at it with the operator's keys.
func newExecWorld(t *testing.T) execWorld {
	dir := isolate(t)
	srv := moto.Start(t)
	ctx := context.Background()
	org := buildOrg(t, ctx, baseCfg(srv.Endpoint), map[string]string{"prod-a": "Prod", "sandbox-b": "Sandbox"})
	t.Setenv("AWS_ENDPOINT_URL", srv.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEBASE00000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	return execWorld{srv: srv, storeDir: filepath.Join(dir, "data"), orgRole: "arn:aws:iam::" + mgmt + ":role/orgiam-list", members: org.accounts}
}

func (w execWorld) run(ctx context.Context, t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"exec", "--org-role", w.orgRole, "--role", "OrganizationAccountAccessRole", "--store", w.storeDir, "--date", "2026-11-23"}, args...)
	code := Run(ctx, full, IO{Out: &out, Err: &errb, Now: testNow})
	return code, out.String(), errb.String()
}

func readResults(t *testing.T, dir, run string) execrun.Results {
	t.Helper()
	var r execrun.Results
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(store.ExecKey(run, execrun.ResultsJSON))))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func itemFile(t *testing.T, dir, run, account, region, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(execrun.ItemKey(run, account, region, name))))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestExecEveryAccountAndRegionAgainstMoto(t *testing.T) {
	w := newExecWorld(t)
	ctx := context.Background()
	params := filepath.Join(t.TempDir(), "params.json")
	if err := os.WriteFile(params, []byte(`{ "ticket": "OPS-1",  "dryRun": true }`), 0o600); err != nil {
		t.Fatal(err)
	}
	accounts := []string{mgmt, w.members["prod-a"], w.members["sandbox-b"]}

	t.Run("env credentials and variables", func(t *testing.T) {
		code, out, errs := w.run(ctx, t, "--run-id", "env1", "--regions", "us-east-1,eu-west-1", "--params", params, "--credentials", "env", "--",
			"sh", "-c", `echo "$ORGIAM_ACCOUNT_ID $ORGIAM_ACCOUNT_NAME $ORGIAM_REGION $AWS_REGION $AWS_DEFAULT_REGION key=${AWS_ACCESS_KEY_ID:-none} token=${AWS_SESSION_TOKEN:+set} profile=${AWS_PROFILE:-none} params=$ORGIAM_PARAMS"; echo to-stderr >&2`)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		run := "2026-11-23/env1"
		res := readResults(t, w.storeDir, run)
		if res.Totals.Items != 6 || res.Totals.OK != 6 {
			t.Fatalf("totals %+v, want 6 ok (3 accounts × 2 regions)", res.Totals)
		}
		for _, a := range accounts {
			for _, r := range []string{"eu-west-1", "us-east-1"} {
				got := itemFile(t, w.storeDir, run, a, r, "stdout")
				f := strings.Fields(got)
				if len(f) < 8 || f[0] != a || f[2] != r || f[3] != r || f[4] != r {
					t.Errorf("%s/%s stdout %q", a, r, got)
					continue
				}
				if f[5] == "key=none" || f[5] == "key=AKIAEXAMPLEBASE00000" || f[6] != "token=set" || f[7] != "profile=none" {
					t.Errorf("%s/%s: the command did not get the assumed role's keys: %q", a, r, got)
				}
				if !strings.Contains(got, `params={"dryRun":true,"ticket":"OPS-1"}`) {
					t.Errorf("%s/%s: ORGIAM_PARAMS: %q", a, r, got)
				}
				if e := itemFile(t, w.storeDir, run, a, r, "stderr"); e != "to-stderr\n" {
					t.Errorf("%s/%s stderr %q", a, r, e)
				}
			}
		}
		if got := itemFile(t, w.storeDir, run, w.members["prod-a"], "us-east-1", "stdout"); !strings.Contains(got, " prod-a ") {
			t.Errorf("account name not passed: %q", got)
		}
		csv, err := os.ReadFile(filepath.Join(w.storeDir, run, "exec", "results.csv"))
		if err != nil || !strings.HasPrefix(string(csv), "account_id,account_name,region,status,exit_code") || strings.Count(string(csv), "\n") != 7 {
			t.Fatalf("results.csv: %v\n%s", err, csv)
		}
		if !strings.Contains(out, "6 items: 6 ok") || !strings.Contains(out, "ACCOUNT") {
			t.Errorf("summary:\n%s", out)
		}
		// The run is its own: no manifest, so no reader takes it for a snapshot.
		if _, err := os.Stat(filepath.Join(w.storeDir, run, "manifest.json")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("exec run has a manifest.json: %v", err)
		}
		for _, a := range accounts {
			for _, r := range []string{"eu-west-1", "us-east-1"} {
				if fi, err := os.Stat(filepath.Join(w.storeDir, filepath.FromSlash(execrun.ItemKey(run, a, r, "stdout")))); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("item file mode: %v %v", fi, err)
				}
			}
		}
	})

	t.Run("endpoint credentials work with the Go SDK", func(t *testing.T) {
		t.Setenv(execHelperVar, "whoami")
		code, out, errs := w.run(ctx, t, "--run-id", "ep1", "--regions", "us-east-1", "--", os.Args[0], "-test.run=^TestExecHelperProcess$")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		for _, a := range accounts {
			got := strings.TrimSpace(itemFile(t, w.storeDir, "2026-11-23/ep1", a, "us-east-1", "stdout"))
			// The account GetCallerIdentity answers is the item's, with no
			// keys in the environment: the endpoint's credentials.
			if got != a+" true true" {
				t.Errorf("account %s: helper printed %q (stderr %q)", a, got, itemFile(t, w.storeDir, "2026-11-23/ep1", a, "us-east-1", "stderr"))
			}
		}
	})

	t.Run("endpoint credentials work with the AWS CLI", func(t *testing.T) {
		if _, err := exec.LookPath("aws"); err != nil {
			t.Skip("aws CLI not installed")
		}
		code, out, errs := w.run(ctx, t, "--run-id", "cli1", "--regions", "us-east-1", "--accounts", w.members["prod-a"], "--",
			"aws", "sts", "get-caller-identity", "--query", "Account", "--output", "text")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		if got := strings.TrimSpace(itemFile(t, w.storeDir, "2026-11-23/cli1", w.members["prod-a"], "us-east-1", "stdout")); got != w.members["prod-a"] {
			t.Errorf("aws sts get-caller-identity: %q", got)
		}
	})

	t.Run("a nested orgiam accepts the variables exec sets", func(t *testing.T) {
		t.Setenv(execHelperVar, "nested")
		t.Setenv("ORGIAM_CONCURRENCY", "7") // exec's own setting: not passed on
		code, out, errs := w.run(ctx, t, "--run-id", "nest1", "--regions", "eu-west-1", "--params", params, "--accounts", mgmt, "--", os.Args[0], "-test.run=^TestExecHelperProcess$")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errs)
		}
		if got := strings.TrimSpace(itemFile(t, w.storeDir, "2026-11-23/nest1", mgmt, "eu-west-1", "stdout")); got != "accepted region eu-west-1" {
			t.Errorf("nested orgiam: %q", got)
		}
	})

	t.Run("timeouts and failures do not stop the others", func(t *testing.T) {
		prod := w.members["prod-a"]
		script := fmt.Sprintf(`if [ "$ORGIAM_REGION" = eu-west-1 ] && [ "$ORGIAM_ACCOUNT_ID" = %s ]; then echo waiting; sleep 30; fi
if [ "$ORGIAM_ACCOUNT_ID" = %s ]; then echo boom >&2; exit 7; fi
echo done`, mgmt, prod)
		start := time.Now()
		code, out, errs := w.run(ctx, t, "--run-id", "mixed", "--regions", "us-east-1,eu-west-1", "--timeout", "2s", "--", "sh", "-c", script)
		if code != ExitAccountFailed {
			t.Fatalf("exit %d, want %d\n%s\n%s", code, ExitAccountFailed, out, errs)
		}
		if d := time.Since(start); d > 25*time.Second {
			t.Errorf("the timed-out item was not stopped: the run took %v", d)
		}
		res := readResults(t, w.storeDir, "2026-11-23/mixed")
		by := map[string]execrun.Result{}
		for _, r := range res.Items {
			by[r.AccountID+"/"+r.Region] = r
		}
		if r := by[mgmt+"/eu-west-1"]; r.Status != execrun.StatusTimeout || !strings.Contains(r.Error, "timed out") {
			t.Errorf("timed-out item: %+v", r)
		}
		if got := itemFile(t, w.storeDir, "2026-11-23/mixed", mgmt, "eu-west-1", "stdout"); got != "waiting\n" {
			t.Errorf("timed-out item's output not kept: %q", got)
		}
		for _, r := range []string{"us-east-1", "eu-west-1"} {
			if it := by[prod+"/"+r]; it.Status != execrun.StatusFailed || it.ExitCode == nil || *it.ExitCode != 7 {
				t.Errorf("failing item %s: %+v", r, it)
			}
		}
		if it := by[mgmt+"/us-east-1"]; it.Status != execrun.StatusOK {
			t.Errorf("ok item: %+v", it)
		}
		if it := by[w.members["sandbox-b"]+"/eu-west-1"]; it.Status != execrun.StatusOK {
			t.Errorf("ok item: %+v", it)
		}
		if res.Totals.OK != 3 || res.Totals.Failed != 2 || res.Totals.Timeout != 1 {
			t.Errorf("totals %+v", res.Totals)
		}
		if !strings.Contains(out, "timeout") || !strings.Contains(out, "exit status 7") {
			t.Errorf("summary table:\n%s", out)
		}
	})

}

func TestExecCtrlCStopsEveryCommand(t *testing.T) {
	w := newExecWorld(t)
	marks := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Each item starts a grandchild in its group and waits for it.
	script := `sleep 60 & echo $! > "$MARKS/$ORGIAM_ACCOUNT_ID-$ORGIAM_REGION"; wait`
	t.Setenv("MARKS", marks)
	done := make(chan struct{})
	var code int
	var out, errs string
	go func() {
		defer close(done)
		code, out, errs = w.run(ctx, t, "--run-id", "stopped", "--regions", "us-east-1", "--", "sh", "-c", script)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ents, _ := os.ReadDir(marks)
		if len(ents) == 3 {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("the items did not start: %d marks\n%s\n%s", len(ents), out, errs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // every pid file written in full
	stopped := time.Now()
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("exec did not stop after the context was cancelled")
	}
	if d := time.Since(stopped); d > 10*time.Second {
		t.Errorf("stopping took %v", d)
	}
	if code == 0 || code == ExitAccountFailed {
		t.Errorf("exit %d after Ctrl-C, want a failure of the run\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "interrupted") || !strings.Contains(errs, "incomplete") {
		t.Errorf("stderr does not say the run is incomplete:\n%s", errs)
	}
	if _, err := os.Stat(filepath.Join(w.storeDir, "2026-11-23", "stopped", "exec", "results.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a stopped run has results.json: %v", err)
	}
	ents, _ := os.ReadDir(marks)
	for _, e := range ents {
		data, _ := os.ReadFile(filepath.Join(marks, e.Name()))
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil {
			t.Fatalf("pid file %s: %q", e.Name(), data)
		}
		// The grandchild was killed with its group (and reaped by init).
		gone := false
		for i := 0; i < 100 && !gone; i++ {
			gone = errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
			if !gone {
				time.Sleep(50 * time.Millisecond)
			}
		}
		if !gone {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("process %d of item %s still runs after Ctrl-C", pid, e.Name())
		}
	}
	// The ended items' output and results were kept.
	var results int
	_ = filepath.Walk(filepath.Join(w.storeDir, "2026-11-23", "stopped", "exec"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Name() == "result.json" {
			results++
		}
		return nil
	})
	if results != 3 {
		t.Errorf("%d item result.json files, want 3 (the stopped items)", results)
	}
}
