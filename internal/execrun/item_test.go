package execrun

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/store"
)

var itemNow = time.Date(2026, 11, 23, 8, 30, 15, 0, time.UTC)

// newTestRunner is a runner over a folder store, for a run of one item
// whose credentials come from p.
func newTestRunner(t *testing.T, o Options) (*runner, string) {
	t.Helper()
	dir := t.TempDir()
	env := &pipeline.Env{
		Cfg:   &config.Config{CollectRole: "orgiam-exec-readonly", CollectRolePath: "/"},
		Auth:  &awsauth.Auth{Identity: awsauth.Identity{Partition: "aws"}},
		Store: store.NewFile(dir),
		Now:   func() time.Time { return itemNow },
	}
	if o.MaxOutput == 0 {
		o.MaxOutput = 1024
	}
	if o.Grace == 0 {
		o.Grace = time.Second
	}
	if o.Credentials == "" {
		o.Credentials = CredentialsEnv
	}
	o.Environ = []string{"PATH=" + os.Getenv("PATH")}
	return &runner{env: env, o: o, run: "2026-11-23/exec-083015", log: slog.New(slog.NewTextHandler(io.Discard, nil))}, dir
}

func testItem(p aws.CredentialsProvider) item {
	return item{AccountID: "222222222222", AccountName: "prod-a", Region: "eu-west-1", cfg: aws.Config{Credentials: p}}
}

func stored(t *testing.T, dir, key string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunItemStoresOutputAndResult(t *testing.T) {
	sh, err := ResolveCommand([]string{"sh", "-c", `echo "in $ORGIAM_ACCOUNT_ID $AWS_REGION as $AWS_ACCESS_KEY_ID"; echo warn >&2; i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i+1)); done; exit 3`})
	if err != nil {
		t.Fatal(err)
	}
	r, dir := newTestRunner(t, Options{Command: sh})
	res := r.runItem(context.Background(), testItem(&fixedCreds{c: itemCreds}))
	if res.Status != StatusFailed || res.ExitCode == nil || *res.ExitCode != 3 || res.Error != "exit status 3" {
		t.Fatalf("result %+v: want failed, exit 3", res)
	}
	if !res.Started.Equal(itemNow) {
		t.Errorf("started %v, want the injected clock's %v", res.Started, itemNow)
	}
	if !res.Truncated || res.StderrBytes != 5 || res.StdoutBytes < 2000 {
		t.Errorf("truncated %v, stdout %d bytes, stderr %d: want a truncated stdout and the 5 bytes of stderr", res.Truncated, res.StdoutBytes, res.StderrBytes)
	}
	out := stored(t, dir, res.Stdout)
	if !strings.HasPrefix(out, "in 222222222222 eu-west-1 as ASIAITEM\n") || !strings.HasSuffix(out, "line 299\n") || !strings.Contains(out, "bytes left out") {
		t.Errorf("stored stdout is not the head and tail of the output:\n%s", out)
	}
	if got := stored(t, dir, res.Stderr); got != "warn\n" {
		t.Errorf("stored stderr %q", got)
	}
	if res.Stdout != ItemKey(r.run, "222222222222", "eu-west-1", "stdout") {
		t.Errorf("stdout key %q", res.Stdout)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(stored(t, dir, ItemKey(r.run, "222222222222", "eu-west-1", "result.json"))), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["status"] != "failed" || rec["exitCode"] != 3.0 || rec["accountName"] != "prod-a" || rec["truncated"] != true {
		t.Errorf("result.json %v", rec)
	}
}

func TestRunItemTimeout(t *testing.T) {
	sh, _ := ResolveCommand([]string{"sh", "-c", "echo started; sleep 30"})
	r, _ := newTestRunner(t, Options{Command: sh, Timeout: 300 * time.Millisecond})
	t0 := time.Now()
	res := r.runItem(context.Background(), testItem(&fixedCreds{c: itemCreds}))
	if res.Status != StatusTimeout || !strings.Contains(res.Error, "timed out after 300ms") {
		t.Errorf("result %+v: want a timeout naming the limit", res)
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("the timed-out command was stopped after %v", d)
	}
	if res.lastLine != "started" {
		t.Errorf("output before the timeout not kept: last line %q", res.lastLine)
	}
}

func TestRunItemCredentialsRefused(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	sh, _ := ResolveCommand([]string{"sh", "-c", "touch " + marker})
	r, _ := newTestRunner(t, Options{Command: sh})
	res := r.runItem(context.Background(), testItem(&fixedCreds{err: errors.New("AccessDenied: not authorized to perform: sts:AssumeRole")}))
	if res.Status != StatusError || !strings.Contains(res.Error, "account 222222222222: assume arn:aws:iam::222222222222:role/orgiam-exec-readonly: AccessDenied") {
		t.Errorf("result %+v: want an error naming the account and the role", res)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Error("the command ran without credentials")
	}
}

func TestRunItemEndpointCredentials(t *testing.T) {
	// With the endpoint, the command gets a URL and a token, no keys; the
	// token works while the item runs and not after.
	sh, _ := ResolveCommand([]string{"sh", "-c", `echo "$AWS_CONTAINER_CREDENTIALS_FULL_URI $AWS_CONTAINER_AUTHORIZATION_TOKEN ${AWS_ACCESS_KEY_ID:-nokeys}"`})
	r, _ := newTestRunner(t, Options{Command: sh, Credentials: CredentialsEndpoint})
	var err error
	if r.creds, err = startCredServer(); err != nil {
		t.Fatal(err)
	}
	defer r.creds.Close()
	res := r.runItem(context.Background(), testItem(&fixedCreds{c: itemCreds}))
	f := strings.Fields(res.lastLine)
	if res.Status != StatusOK || len(f) != 3 || f[0] != r.creds.URL() || len(f[1]) != 64 || f[2] != "nokeys" {
		t.Fatalf("result %+v, line %q", res, res.lastLine)
	}
	if code, _ := get(t, "GET", f[0], f[1]); code != 401 {
		t.Errorf("the item's token still served credentials after it ended: %d", code)
	}
}
