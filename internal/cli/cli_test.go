package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// isolate points the AWS SDK at nothing: no credentials, no config files.
// testNow is the clock the tests give commands and simulated worlds: a fixed
// instant, so nothing depends on the day or the zone the suite runs in.
func testNow() time.Time { return time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC) }

// machineOrgiamVars are the ORGIAM_* variables set when the test binary
// started, before any test set its own.
var machineOrgiamVars = func() []string {
	var ks []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "ORGIAM_") {
			ks = append(ks, k)
		}
	}
	return ks
}()

func isolate(t *testing.T) string {
	dir := t.TempDir()
	// A test sees none of the ORGIAM_* variables the machine's environment
	// had (collect refuses unknown ones, and the tests must not depend on what
	// a shell exported); those a test sets itself are kept.
	for _, k := range machineOrgiamVars {
		t.Setenv(k, "") // restored when the test ends
		os.Unsetenv(k)
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache")) // the evaluator's model cache
	return dir
}

func TestBadInputExitsTwoAndWritesNothing(t *testing.T) {
	dir := isolate(t)
	cfgFile := filepath.Join(dir, "orgiam.yaml")
	if err := os.WriteFile(cfgFile, []byte("store: "+filepath.Join(dir, "s")+"\ncolect-role: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown config key", []string{"collect", "--config", cfgFile}, `orgiam.yaml:2: unknown setting "colect-role"`},
		{"malformed ARN", []string{"collect", "--store", filepath.Join(dir, "s"), "--org-role", "arn:aws:iam::1:role/x"}, `--org-role: "arn:aws:iam::1:role/x" is not an IAM role ARN`},
		{"malformed account", []string{"collect", "--store", filepath.Join(dir, "s"), "--accounts", "12"}, `--accounts: "12" is not an AWS account id`},
		{"unwritable store", []string{"collect", "--store", filepath.Join(blocker, "sub")}, "--store: store file://"},
		{"no credentials", []string{"collect", "--store", filepath.Join(dir, "s")}, "no AWS credentials found"},
		{"unknown flag", []string{"collect", "--concurency", "3"}, "unknown flag"},
		{"bad store scheme", []string{"collect", "--store", "gs://bucket"}, "unsupported scheme"},
		{"zero rate limit", []string{"collect", "--store", filepath.Join(dir, "s"), "--rate-limit", "0"}, "--rate-limit: 0: give a number more than 0, or none for no ceiling"},
		{"negative rate limit", []string{"collect", "--store", filepath.Join(dir, "s"), "--rate-limit", "-1"}, "--rate-limit: -1:"},
		{"NaN rate limit", []string{"collect", "--store", filepath.Join(dir, "s"), "--rate-limit", "NaN"}, "--rate-limit: NaN:"},
		{"Inf rate limit", []string{"collect", "--store", filepath.Join(dir, "s"), "--rate-limit", "Inf"}, "--rate-limit: Inf:"},
		{"unknown region", []string{"collect", "--store", filepath.Join(dir, "s"), "--regions", "us-east-1,eu-wset-1"}, `--regions: "eu-wset-1" is not an AWS region`},
		{"unknown collector", []string{"collect", "--store", filepath.Join(dir, "s"), "--collectors", "iam,s4"}, `--collectors: "s4" is not a collector (known: iam, credential-report,`},
		{"collector turned off", []string{"collect", "--store", filepath.Join(dir, "s"), "--collectors", "iam,credential-report", "--credential-report=false"}, `--collectors: credential-report is listed while credential-report is false`},
		{"malformed regions", []string{"collect", "--store", filepath.Join(dir, "s"), "--regions", "us-east-1,"}, `--regions: "us-east-1," has an empty region name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Run(context.Background(), tt.args, IO{Out: &out, Err: &errb})
			if code != ExitUsage {
				t.Fatalf("exit %d, want 2; stderr: %s", code, errb.String())
			}
			msg := strings.TrimSpace(errb.String())
			if !strings.Contains(msg, tt.want) || strings.Count(msg, "\n") > 0 {
				t.Fatalf("stderr %q, want one line containing %q", msg, tt.want)
			}
			// Nothing partially written: no run folder.
			if ents, _ := os.ReadDir(filepath.Join(dir, "s")); len(ents) > 0 {
				t.Fatalf("store has %d entries after a refused run", len(ents))
			}
		})
	}
}

func TestInitWritesTemplate(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "orgiam.yaml")
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"init", "--out", p}, IO{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	data, err := os.ReadFile(p)
	if err != nil || !strings.Contains(string(data), "# collect-role: \"orgiam-collect\"") {
		t.Fatalf("template: %v\n%s", err, data)
	}
	if code := Run(context.Background(), []string{"init", "--out", p}, IO{Out: &out, Err: &errb}); code != ExitUsage {
		t.Fatalf("second init should refuse to overwrite, exit %d", code)
	}
	// The written file is a valid config.
	isolate(t)
	if code := Run(context.Background(), []string{"collect", "--config", p, "--store", filepath.Join(dir, "s")}, IO{Out: &out, Err: &errb}); !strings.Contains(errb.String(), "no AWS credentials") || code != ExitUsage {
		t.Fatalf("init template did not load as config: %d %s", code, errb.String())
	}
}

func TestRenderBar(t *testing.T) {
	got := renderBar(50, 2, 100, 0)
	if !strings.Contains(got, "50/100 accounts, 2 failed") {
		t.Fatalf("bar %q", got)
	}
}

// Cobra's own refusals (unknown command, flag or argument count) are usage
// errors by their origin, whatever their wording.
func TestCobraRefusalsAreUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"colect"},
		{"collect", "--concurency", "3"},
		{"collect", "--concurrency"},
		{"collect", "--concurrency", "many"},
		{"version", "extra"},
		{"report"},
		{"query", "key"},
	} {
		var out, errb bytes.Buffer
		if code := Run(context.Background(), args, IO{Out: &out, Err: &errb}); code != ExitUsage || !strings.HasPrefix(errb.String(), "orgiam: ") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one message", args, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"colect"}, IO{Out: &out, Err: &errb}); !strings.Contains(errb.String(), "Did you mean this?\n\tcollect") || code != ExitUsage {
		t.Errorf("unknown command: exit %d, stderr %q, want a suggestion", code, errb.String())
	}
}
