package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExecBadInput: each mistake is a usage error (exit 2) that names what
// was wrong, said once, before any account is called or anything is
// written.
func TestExecBadInput(t *testing.T) {
	dir := isolate(t)
	st := filepath.Join(dir, "data")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEBASE00000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	// Nothing listens here: a call that got through would fail, not pass.
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
	notJSON := filepath.Join(dir, "params.json")
	if err := os.WriteFile(notJSON, []byte("{ticket: CHG-1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"exec", "--org-role", "arn:aws:iam::111111111111:role/orgiam-list", "--store", st}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", []string{"--"}, "no command after --"},
		{"no --", []string{"aws", "sts", "get-caller-identity"}, "put the command after --: orgiam exec [flags] -- aws sts get-caller-identity"},
		{"argument before --", []string{"aws", "--", "sts"}, `unexpected argument "aws" before --`},
		{"command not found", []string{"--", "orgiam-no-such-command-x", "--flag"}, `command "orgiam-no-such-command-x" not found on PATH`},
		{"not executable", []string{"--", notJSON}, "permission denied"},
		{"params missing", []string{"--params", filepath.Join(dir, "missing.json"), "--", "true"}, "--params: cannot read " + filepath.Join(dir, "missing.json") + ": no such file or directory"},
		{"params not JSON", []string{"--params", notJSON, "--", "true"}, "--params: " + notJSON + " is not JSON"},
		{"unknown region", []string{"--regions", "us-east-1,eu-wset-1", "--", "true"}, "eu-wset-1"},
		{"malformed regions", []string{"--regions", "us-east-1,,eu-west-1", "--", "true"}, "--regions"},
		{"role ARN", []string{"--role", "arn:aws:iam::222222222222:role/admin", "--", "true"}, "--role: \"arn:aws:iam::222222222222:role/admin\" is an ARN"},
		{"bad role name", []string{"--role", "has space", "--", "true"}, `--role: "has space" is not a role name`},
		{"negative timeout", []string{"--timeout", "-1s", "--", "true"}, "--timeout -1s"},
		{"credentials mode", []string{"--credentials", "file", "--", "true"}, `--credentials "file": expected endpoint or env`},
		{"max output", []string{"--max-output", "10", "--", "true"}, "--max-output 10: at least 1024 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Run(context.Background(), append(append([]string(nil), base...), tc.args...), IO{Out: &out, Err: &errb, Now: testNow})
			if code != ExitUsage {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, ExitUsage, out.String(), errb.String())
			}
			if !strings.Contains(errb.String(), tc.want) {
				t.Errorf("stderr does not say %q:\n%s", tc.want, errb.String())
			}
			if n := strings.Count(errb.String(), "orgiam: "); n != 1 {
				t.Errorf("the error is said %d times, want once:\n%s", n, errb.String())
			}
			if _, err := os.Stat(st); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the store was written to: %v", err)
			}
		})
	}
}
