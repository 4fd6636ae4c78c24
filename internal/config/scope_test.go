package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestScopeSafety(t *testing.T) {
	dup := writeFile(t, "concurrency: 5\naccounts: \"111111111111\"\nconcurrency: 6\n")
	emptyItem := writeFile(t, "accounts: [\"\"]\n")
	badFile := writeFile(t, "\n\nconcurrency: 0\n")
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantSource string // "" = no error
		wantMsg    string
	}{
		{"org role variable named after the flag is honoured", nil, map[string]string{"ORGIAM_ORG_ROLE": "arn:aws:iam::111111111111:role/list"}, "", ""},
		{"both org role variables", nil, map[string]string{"ORGIAM_ORG_ROLE": "arn:aws:iam::111111111111:role/a", "ORGIAM_ORG_ROLES": "arn:aws:iam::111111111111:role/b"}, "ORGIAM_ORG_ROLE", "set together with ORGIAM_ORG_ROLES"},
		{"flag list of only a comma", []string{"--accounts", ","}, nil, "--accounts", "empty item"},
		{"flag list with an empty item", []string{"--accounts", "111111111111,"}, nil, "--accounts", "empty item"},
		{"flag list empty", []string{"--accounts", ""}, nil, "--accounts", "empty item"},
		{"variable list of only a comma", nil, map[string]string{"ORGIAM_OUS": ","}, "ORGIAM_OUS", "empty item"},
		{"variable list empty is none", nil, map[string]string{"ORGIAM_ACCOUNTS": ""}, "", ""},
		{"file list with an empty item", []string{"--config", emptyItem}, nil, emptyItem + ":1", "an empty item"},
		{"duplicate key in the file", []string{"--config", dup}, nil, dup + ":3", "appears twice (first at line 1)"},
		{"bad value from a variable names the variable", nil, map[string]string{"ORGIAM_CONCURRENCY": "0"}, "ORGIAM_CONCURRENCY", "out of range"},
		{"bad value from the file names the line", []string{"--config", badFile}, nil, badFile + ":3", "out of range"},
		{"bad value from a flag names the flag", []string{"--concurrency", "0"}, map[string]string{"ORGIAM_CONCURRENCY": "0"}, "--concurrency", "out of range"},
		{"bad org role from the variable", nil, map[string]string{"ORGIAM_ORG_ROLE": "nope"}, "ORGIAM_ORG_ROLE", "not an IAM role ARN"},
		{"reserved run id", []string{"--run-id", "accounts"}, nil, "--run-id", "reserved"},
		{"reserved run id from a variable", nil, map[string]string{"ORGIAM_RUN_ID": "reports"}, "ORGIAM_RUN_ID", "reserved"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			RegisterFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			c, err := Load(fs, env(tc.env))
			if tc.wantSource == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if v, ok := tc.env["ORGIAM_ORG_ROLE"]; ok && (len(c.OrgRoles) != 1 || c.OrgRoles[0] != v) {
					t.Fatalf("ORGIAM_ORG_ROLE not honoured: %v", c.OrgRoles)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Source != tc.wantSource || !strings.Contains(ce.Msg, tc.wantMsg) {
				t.Fatalf("error = %v; want source %q and %q", err, tc.wantSource, tc.wantMsg)
			}
		})
	}
}

func TestCheckEnv(t *testing.T) {
	c := Defaults()
	c.Notify = []string{"webhook:env:ORGIAM_HOOK_URL"}
	ok := []string{"PATH=/bin", "ORGIAM_STORE=x", "ORGIAM_ORG_ROLE=y", "ORGIAM_CONFIG=z", "ORGIAM_HOOK_URL=https://h", "ORGIAM_DEBUG=1", "ORGIAM_GIT_TOKEN=t", "ORGIAM_GIT_SSH_KEY=k", "ORGIAM_HANDLER=scan-account", "ORGIAM_ALLOW_FILE_STORE=true", "ORGIAM_DEBUG_INVOKE=1"}
	if err := CheckEnv(ok, c); err != nil {
		t.Fatalf("known variables refused: %v", err)
	}
	err := CheckEnv(append(ok, "ORGIAM_ACOUNTS=111111111111"), c)
	var ce *Error
	if !errors.As(err, &ce) || ce.Source != "ORGIAM_ACOUNTS" || !strings.Contains(ce.Msg, "did you mean ORGIAM_ACCOUNTS?") {
		t.Fatalf("misspelt variable: %v", err)
	}
	if err := CheckEnv([]string{"ORGIAM_ZZZZZZZZZZZZZZZZZZ=1"}, c); err == nil || !strings.Contains(err.Error(), "orgiam init") {
		t.Fatalf("unknown variable without a near name: %v", err)
	}
}

func TestNotifySecretsNeverEchoed(t *testing.T) {
	const token = "T0KEN-canary-93f1"
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want int // targets, or -1 for an error
	}{
		{"quote in the URL", []string{"--notify", `webhook:https://hooks.example.com/x/` + token + `"`}, nil, 1},
		{"comma in the URL", []string{"--notify", "webhook:https://hooks.example.com/x?a=1,b=" + token}, nil, 1},
		{"two targets in one value", []string{"--notify", "webhook:https://h.example.com/" + token + ",sns:arn:aws:sns:us-east-1:111111111111:t"}, nil, 2},
		{"repeated flag", []string{"--notify", "webhook:https://h.example.com/" + token, "--notify", "sns:arn:aws:sns:us-east-1:111111111111:t"}, nil, 2},
		{"no scheme", []string{"--notify", "https://user:" + token + "@h.example.com/" + token}, nil, -1},
		{"empty item", []string{"--notify", "webhook:https://h.example.com/" + token + ",,"}, nil, -1},
		{"from a variable without a scheme", nil, map[string]string{"ORGIAM_NOTIFY": token + ":x"}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			RegisterFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				if strings.Contains(err.Error(), token) {
					t.Fatalf("flag parser echoed the secret: %v", err)
				}
				t.Fatalf("parse: %v", err)
			}
			c, err := Load(fs, env(tc.env))
			if err != nil && strings.Contains(err.Error(), token) {
				t.Fatalf("error echoes the secret: %v", err)
			}
			switch {
			case tc.want < 0 && err == nil:
				t.Fatalf("accepted: %v", c.Notify)
			case tc.want >= 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want >= 0 && len(c.Notify) != tc.want:
				t.Fatalf("targets: %q", c.Notify)
			}
		})
	}
}
