package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/index/indexfixture"
	"github.com/orgiam/orgiam/internal/store"
)

// resourcesStore writes the resource fixture run to a file store and builds
// its index with `orgiam index`.
func resourcesStore(t *testing.T) string {
	t.Helper()
	isolate(t)
	dir := t.TempDir()
	ctx := context.Background()
	if err := indexfixture.WriteResourcesRun(ctx, store.NewFile(dir)); err != nil {
		t.Fatal(err)
	}
	var o, e bytes.Buffer
	if code := Run(ctx, []string{"index", "--store", dir, "--run", indexfixture.Run}, IO{Out: &o, Err: &e, Now: testNow}); code != ExitOK {
		t.Fatalf("index: exit %d: %s", code, e.String())
	}
	return dir
}

func TestQueryResourcesCommand(t *testing.T) {
	dir := resourcesStore(t)
	ctx := context.Background()
	run := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := Run(ctx, append([]string{"query", "resources", "--store", dir}, args...), IO{Out: &o, Err: &e, Now: testNow})
		return code, o.String(), e.String()
	}
	// names reads the json answer: name=exposure, "?" when conditional.
	names := func(args ...string) string {
		t.Helper()
		code, o, e := run(append(args, "--format", "json")...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, code, e)
		}
		var rows []map[string]string
		if err := json.Unmarshal([]byte(o), &rows); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, o)
		}
		var out []string
		for _, r := range rows {
			s := r["name"] + "=" + r["exposure"]
			if r["conditional"] == "yes" {
				s += "?"
			}
			out = append(out, s)
		}
		return strings.Join(out, " ")
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "public-topic=public org-queue=cross-account? shared-repo=cross-account vendor-fn=external open-acl=public site=public? vpce-queue=public? open=public"},
		{[]string{"--public"}, "public-topic=public open-acl=public site=public? vpce-queue=public? open=public"},
		{[]string{"--cross-account"}, "org-queue=cross-account? shared-repo=cross-account"},
		{[]string{"--external"}, "vendor-fn=external"},
		{[]string{"--external", "--cross-account"}, "org-queue=cross-account? shared-repo=cross-account vendor-fn=external"},
		{[]string{"--service", "S3"}, "open-acl=public site=public?"},
		{[]string{"--public", "--account", "sandbox"}, "open=public"},
		{[]string{"--service", "kms"}, ""},
	} {
		if got := names(tt.args...); got != tt.want {
			t.Errorf("%v\n got %s\nwant %s", tt.args, got, tt.want)
		}
	}

	t.Run("csv shows the condition", func(t *testing.T) {
		code, o, e := run("--public", "--service", "s3", "--format", "csv")
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, e)
		}
		recs, err := csv.NewReader(strings.NewReader(o)).ReadAll()
		if err != nil || len(recs) != 3 {
			t.Fatalf("%v %q", err, o)
		}
		if strings.Join(recs[0], ",") != "account_id,account_name,region,service,type,name,arn,exposure,conditional,principals,conditions,statements,grants" {
			t.Errorf("header %v", recs[0])
		}
		if site := recs[2]; site[5] != "site" || site[8] != "yes" || site[10] != "aws:SourceIp IpAddress 203.0.113.0/24" {
			t.Errorf("site %v", site)
		}
	})
	t.Run("table", func(t *testing.T) {
		code, o, e := run("--external")
		if code != ExitOK || !strings.Contains(o, "vendor-fn") || !strings.Contains(o, "AWS:arn:aws:iam::999999999999:root") {
			t.Fatalf("exit %d %s %s", code, o, e)
		}
	})
	t.Run("help documents the semantics", func(t *testing.T) {
		code, o, _ := run("--help")
		if code != ExitOK || !strings.Contains(o, "conditional") || !strings.Contains(o, "RestrictPublicBuckets") || !strings.Contains(o, "IfExists") {
			t.Fatalf("exit %d %s", code, o)
		}
	})

	out := filepath.Join(t.TempDir(), "out.csv")
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--service", "dynamo"}, ExitUsage, `--service "dynamo": unknown service (valid: s3, kms,`},
		{[]string{"--service", "kmss"}, ExitUsage, `(did you mean kms?)`},
		{[]string{"--format", "xml"}, ExitUsage, `--format`},
		{[]string{"--publc"}, ExitUsage, `unknown flag: --publc`},
		{[]string{"extra"}, ExitUsage, `unknown command "extra"`},
		{[]string{"--run", "2026-13-40"}, ExitUsage, `--run`},
		{[]string{"--account", "nobody", "--out", out}, ExitError, `account "nobody" is not in run 2026-11-22`},
	} {
		code, o, e := run(tt.args...)
		if code != tt.code || !strings.Contains(e, tt.msg) || strings.Count(strings.TrimSpace(e), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit %d and %q on one line", tt.args, code, e, o, tt.code, tt.msg)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed query wrote --out")
	}
}
