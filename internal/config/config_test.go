package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func flags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "orgiam.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	c, err := Load(flags(t), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.CollectRole != "orgiam-collect" || c.CollectRolePath != "/" || c.Concurrency != 50 || c.Store != "./orgiam-data" || !c.CredentialReport || c.CredentialReportMaxPolls != 45 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, "concurrency: 10\ncollect-role: from-file\nrun-id: file-run\naccounts:\n  - \"111111111111\"\n  - \"222222222222\"\n")
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(*Config) string
	}{
		{"file only", []string{"--config", file}, nil, func(c *Config) string {
			if c.Concurrency != 10 || c.CollectRole != "from-file" || len(c.Accounts) != 2 {
				return "file values not applied"
			}
			return ""
		}},
		{"env over file", []string{"--config", file}, map[string]string{"ORGIAM_CONCURRENCY": "20", "ORGIAM_ACCOUNTS": "333333333333"}, func(c *Config) string {
			if c.Concurrency != 20 || c.CollectRole != "from-file" || strings.Join(c.Accounts, ",") != "333333333333" {
				return "env did not win over file"
			}
			return ""
		}},
		{"flag over env", []string{"--config", file, "--concurrency", "30", "--org-role", "arn:aws:iam::111111111111:role/a", "--org-role", "arn:aws-cn:iam::222222222222:role/b"}, map[string]string{"ORGIAM_CONCURRENCY": "20"}, func(c *Config) string {
			if c.Concurrency != 30 || len(c.OrgRoles) != 2 || c.RunID != "file-run" {
				return "flag did not win over env"
			}
			return ""
		}},
		{"config from env", nil, map[string]string{"ORGIAM_CONFIG": file}, func(c *Config) string {
			if c.CollectRole != "from-file" {
				return "ORGIAM_CONFIG not read"
			}
			return ""
		}},
		{"list initial role empty means none", []string{"--initial-role", "arn:aws:iam::111111111111:role/hop"}, map[string]string{"ORGIAM_LIST_INITIAL_ROLE": ""}, func(c *Config) string {
			if c.ListInitial() != "" || c.InitialRole == "" {
				return "empty ORGIAM_LIST_INITIAL_ROLE should mean none"
			}
			return ""
		}},
		{"list initial role defaults to initial", []string{"--initial-role", "arn:aws:iam::111111111111:role/hop"}, nil, func(c *Config) string {
			if c.ListInitial() != "arn:aws:iam::111111111111:role/hop" {
				return "list initial role should default to initial role"
			}
			return ""
		}},
		{"durations", []string{"--account-timeout", "2m"}, nil, func(c *Config) string {
			if c.AccountTimeout != 2*time.Minute {
				return "duration flag"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(flags(t, tt.args...), env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.check(c); msg != "" {
				t.Fatalf("%s: %+v", msg, c)
			}
		})
	}
}

func TestRateLimitCeiling(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want float64
	}{
		{nil, 0}, // the default: no ceiling
		{[]string{"--rate-limit", "none"}, 0},
		{[]string{"--rate-limit", "NONE"}, 0},
		{[]string{"--rate-limit", "1000"}, 1000},
		{[]string{"--rate-limit", "0.5"}, 0.5},
	} {
		c, err := Load(flags(t, tt.args...), env(nil))
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if c.RateLimit != tt.want {
			t.Fatalf("%v: rate limit %v, want %v", tt.args, c.RateLimit, tt.want)
		}
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		args    []string
		env     map[string]string
		wantSrc string
		wantMsg string
	}{
		{"unknown key names file and line", "concurrency: 5\ncolect-role: x\n", nil, nil, "orgiam.yaml:2", `unknown setting "colect-role" (did you mean "collect-role"?)`},
		{"bad value in file", "concurrency: many\n", nil, nil, "orgiam.yaml:1", "not a whole number"},
		{"list given to scalar", "store:\n  - a\n", nil, nil, "orgiam.yaml:1", "single value"},
		{"malformed org role", "", []string{"--org-role", "arn:aws:iam::12345:role/x"}, nil, "--org-role", "is not an IAM role ARN"},
		{"malformed account id", "", []string{"--accounts", "11111111111a"}, nil, "--accounts", "is not an AWS account id"},
		{"malformed exclude", "", []string{"--exclude-accounts", "1"}, nil, "--exclude-accounts", "12 digits"},
		{"bad ou", "", []string{"--ous", "ou-bad"}, nil, "--ous", "is not an OU id"},
		{"bad path", "", []string{"--collect-role-path", "security"}, nil, "--collect-role-path", "starts and ends with '/'"},
		{"bad date", "", []string{"--date", "2026-13-01"}, nil, "--date", "YYYY-MM-DD"},
		{"bad run id", "", []string{"--run-id", "a/b"}, nil, "--run-id", "not valid"},
		{"bad concurrency env", "", nil, map[string]string{"ORGIAM_CONCURRENCY": "x"}, "ORGIAM_CONCURRENCY", "not a whole number"},
		{"zero concurrency", "", []string{"--concurrency", "0"}, nil, "--concurrency", "out of range"},
		{"zero rate limit", "", []string{"--rate-limit", "0"}, nil, "--rate-limit", "more than 0, or none"},
		{"negative rate limit", "", []string{"--rate-limit", "-5"}, nil, "--rate-limit", "more than 0, or none"},
		{"NaN rate limit", "", []string{"--rate-limit", "NaN"}, nil, "--rate-limit", "more than 0, or none"},
		{"Inf rate limit", "", []string{"--rate-limit", "Inf"}, nil, "--rate-limit", "more than 0, or none"},
		{"rate limit not a number", "", []string{"--rate-limit", "fast"}, nil, "--rate-limit", "not a number (or none)"},
		{"zero rate limit in env", "", nil, map[string]string{"ORGIAM_RATE_LIMIT": "0"}, "ORGIAM_RATE_LIMIT", "more than 0, or none"},
		{"zero rate limit in file", "rate-limit: 0\n", nil, nil, "orgiam.yaml:1", "more than 0, or none"},
		{"bad rate control", "", []string{"--rate-control", "fast"}, nil, "--rate-control", "adaptive or off"},
		{"bad store scheme", "", []string{"--store", "ftp://x"}, nil, "--store", "unsupported scheme"},
		{"bad log format", "", []string{"--log-format", "xml"}, nil, "--log-format", "text or json"},
		{"bad notify", "", []string{"--notify", "email:x@example.com"}, nil, "--notify", "expected sns:"},
		{"unknown region", "", []string{"--regions", "us-east-1,eu-wset-1"}, nil, "--regions", `"eu-wset-1" is not an AWS region`},
		{"empty region name", "", []string{"--regions", "us-east-1,,eu-west-1"}, nil, "--regions", "empty region name"},
		{"all-enabled with names", "", []string{"--regions", "all-enabled,us-east-1"}, nil, "--regions", "stands alone"},
		{"bad region in env", "", nil, map[string]string{"ORGIAM_REGIONS": "mars-1"}, "ORGIAM_REGIONS", `"mars-1" is not an AWS region`},
		{"bad region in file", "regions: us-east-1,eu-nowhere-9\n", nil, nil, "orgiam.yaml:1", `"eu-nowhere-9" is not an AWS region`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.file != "" {
				args = append([]string{"--config", writeFile(t, tt.file)}, args...)
			}
			_, err := Load(flags(t, args...), env(tt.env))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("want *Error, got %v", err)
			}
			if !strings.HasSuffix(ce.Source, tt.wantSrc) || !strings.Contains(ce.Msg, tt.wantMsg) {
				t.Fatalf("got %q, want source ending %q and message containing %q", err, tt.wantSrc, tt.wantMsg)
			}
		})
	}
}

func TestTemplateListsEveryFieldAndLoads(t *testing.T) {
	tpl := string(Template())
	for _, f := range Fields {
		if f.EnvOnly {
			if strings.Contains(tpl, "# "+f.Name+":") || !strings.Contains(tpl, "# env "+f.EnvName()+" only") {
				t.Errorf("template: %s is set only through %s, and must be documented as such, without a key", f.Name, f.EnvName())
			}
			continue
		}
		if !strings.Contains(tpl, "# "+f.Name+":") || !strings.Contains(tpl, f.EnvName()) {
			t.Errorf("template misses %s", f.Name)
		}
	}
	// Uncommenting every line must give a valid config equal to the defaults.
	var b strings.Builder
	for _, line := range strings.Split(tpl, "\n") {
		if strings.HasPrefix(line, "# ") && strings.Contains(line, ": ") && !strings.Contains(line, " env ") && !strings.HasPrefix(line, "# orgiam") {
			if _, ok := FieldByName(strings.SplitN(strings.TrimPrefix(line, "# "), ":", 2)[0]); ok {
				b.WriteString(strings.TrimPrefix(line, "# ") + "\n")
			}
		}
	}
	c, err := Load(flags(t, "--config", writeFile(t, b.String())), env(nil))
	if err != nil {
		t.Fatalf("uncommented template: %v\n%s", err, b.String())
	}
	d := Defaults()
	if c.Concurrency != d.Concurrency || c.CollectRole != d.CollectRole || c.RateLimit != d.RateLimit || c.AccountTimeout != d.AccountTimeout {
		t.Fatalf("template defaults differ: %+v", c)
	}
}

func TestParseRoleARN(t *testing.T) {
	tests := []struct {
		arn, part, acct string
		ok              bool
	}{
		{"arn:aws:iam::123456789012:role/x", "aws", "123456789012", true},
		{"arn:aws-us-gov:iam::123456789012:role/path/x", "aws-us-gov", "123456789012", true},
		{"arn:aws-cn:iam::123456789012:role/x", "aws-cn", "123456789012", true},
		{"arn:aws:iam::123456789012:user/x", "", "", false},
		{"arn:aws-xx:iam::123456789012:role/x", "", "", false},
	}
	for _, tt := range tests {
		p, a, ok := ParseRoleARN(tt.arn)
		if p != tt.part || a != tt.acct || ok != tt.ok {
			t.Errorf("%s: got %s %s %v", tt.arn, p, a, ok)
		}
	}
}

func TestEnvOnlyFields(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"ORGIAM_DEBUG": "1", "ORGIAM_GIT_TOKEN": "t0ken", "ORGIAM_GIT_USER": "ci", "ORGIAM_GIT_SSH_KEY": "/k", "ORGIAM_GIT_SSH_KEY_PASSWORD": "pw"}
	c, err := Load(flags(t), env(vars))
	if err != nil {
		t.Fatal(err)
	}
	want := GitCredentials{Token: "t0ken", User: "ci", SSHKey: "/k", SSHKeyPassword: "pw"}
	if c.Debug != "1" || c.Git != want {
		t.Fatalf("Load: debug %q, git %+v; want 1, %+v", c.Debug, c.Git, want)
	}
	lookup := env(vars)
	if got := GitFromEnv(lookup); got != want {
		t.Fatalf("GitFromEnv = %+v, want %+v", got, want)
	}
	if got := EnvValue("debug", lookup); got != "1" {
		t.Fatalf("EnvValue(debug) = %q", got)
	}
	if got := EnvValue("debug", env(nil)); got != "" {
		t.Fatalf("EnvValue(debug) unset = %q", got)
	}
	// No flag, and no key in a file: a token must never sit in a config file.
	if fs := flags(t); fs.Lookup("git-token") != nil || fs.Lookup("debug") != nil {
		t.Fatal("environment-only fields registered as flags")
	}
	_, err = Load(flags(t, "--config", writeFile(t, "concurrency: 3\ngit-token: abc\n")), env(nil))
	var ce *Error
	if !errors.As(err, &ce) || !strings.HasSuffix(ce.Source, ":2") || !strings.Contains(ce.Msg, "ORGIAM_GIT_TOKEN") || strings.Contains(err.Error(), "abc") {
		t.Fatalf("git-token in a file: %v; want a refusal at line 2 naming ORGIAM_GIT_TOKEN, without the value", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("EnvValue of an undeclared field did not panic")
		}
	}()
	EnvValue("no-such-field", lookup)
}
