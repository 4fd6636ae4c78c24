package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/access"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// TestLoadCacheSameAnswers loads a fakeaws organization from its JSON and
// through the model cache (written, then read) and asks the same questions
// of both: the answers, principals and warnings must be identical.
func TestLoadCacheSameAnswers(t *testing.T) {
	_, _, m, code, _ := fakeRun(t, fakeaws.Options{Seed: 11, AccountsPerOrg: 12}, func(*fakeaws.World) fakeaws.Knobs { return fakeaws.Knobs{} }, nil)
	if code != 0 {
		t.Fatalf("collect exit %d", code)
	}
	ctx := context.Background()
	r := snapshot.Reader{Store: store.NewFile(strings.TrimPrefix(m.Store, "file://")), Run: m.Prefix}
	dir := t.TempDir()
	plain, err := access.Load(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	var orgs [2]*access.Org
	for i := range orgs {
		var cached bool
		if orgs[i], err = access.LoadWith(ctx, r, access.LoadOptions{CacheDir: dir, Cached: &cached}); err != nil {
			t.Fatal(err)
		}
		if cached != (i == 1) {
			t.Fatalf("load %d: cached=%v", i+1, cached)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "access", "*.bin"))
	if len(files) != 1 {
		t.Fatalf("cache files %v, want one", files)
	}
	asks := []access.Ask{
		{Action: "s3:GetObject", Resource: "*"},
		{Action: "iam:CreateUser", Resource: "*"},
		{Action: "sts:AssumeRole", Resource: "*"},
		{Action: "ec2:RunInstances", Resource: "*"},
	}
	for _, o := range orgs {
		if !reflect.DeepEqual(o.Warnings, plain.Warnings) || len(o.Principals) != len(plain.Principals) || len(o.ResourcePolicies) != len(plain.ResourcePolicies) {
			t.Fatalf("warnings or principals differ: %d vs %d principals\n%v\n%v", len(o.Principals), len(plain.Principals), o.Warnings, plain.Warnings)
		}
		for i, p := range o.Principals {
			q := plain.Principals[i]
			if p.ARN != q.ARN || len(p.Identity) != len(q.Identity) || (p.Boundary == nil) != (q.Boundary == nil) || (p.Trust == nil) != (q.Trust == nil) || !reflect.DeepEqual(p.Tags, q.Tags) {
				t.Fatalf("principal %d differs: %s vs %s", i, p.ARN, q.ARN)
			}
		}
		total := 0
		for _, ask := range asks {
			want, err := plain.WhoCan(ctx, ask, access.WhoCanOptions{IncludeConditional: true})
			if err != nil {
				t.Fatal(err)
			}
			got, err := o.WhoCan(ctx, ask, access.WhoCanOptions{IncludeConditional: true})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("who-can %s: %d grants through the cache, %d without", ask.Action, len(got), len(want))
			}
			total += len(want)
		}
		if total == 0 {
			t.Fatal("no grant at all: the comparison compares nothing")
		}
	}
	// A damaged cache is a miss, rewritten.
	if err := os.WriteFile(files[0], []byte("orgiam access model cache 1\n\xff\xff"), 0o600); err != nil {
		t.Fatal(err)
	}
	var cached bool
	o, err := access.LoadWith(ctx, r, access.LoadOptions{CacheDir: dir, Cached: &cached})
	if err != nil || cached || len(o.Principals) != len(plain.Principals) {
		t.Fatalf("damaged cache: cached=%v err=%v", cached, err)
	}
	if _, err = access.LoadWith(ctx, r, access.LoadOptions{CacheDir: dir, Cached: &cached}); err != nil || !cached {
		t.Fatalf("rewritten cache not used: cached=%v err=%v", cached, err)
	}
	// The CLI uses it: --cache-dir none works, and so does the default.
	st := strings.TrimPrefix(m.Store, "file://")
	_, out1, _ := runCLI(t, "", "who-can", "iam:CreateUser", "--store", st, "--format", "json", "--cache-dir", "none")
	code, out2, errs := runCLI(t, "", "who-can", "iam:CreateUser", "--store", st, "--format", "json", "--cache-dir", dir)
	if code != 0 || out1 != out2 || out1 == "" {
		t.Fatalf("who-can with and without cache differ (exit %d, %s)", code, errs)
	}
}

// TestS3NotModelledNote: the commands say that S3 Block Public Access and
// ACLs are outside the evaluation when the question is about S3, and only
// then.
func TestS3NotModelledNote(t *testing.T) {
	isolate(t)
	req := func(action string) string {
		return `{"principal":"arn:aws:iam::111111111111:user/alice","action":"` + action + `","resource":"*",
 "identityPolicies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}]}`
	}
	for action, want := range map[string]bool{"s3:GetObject": true, "S3:PutObject": true, "ec2:RunInstances": false} {
		code, _, errs := runCLI(t, req(action), "simulate", "--input", "-")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", action, code, errs)
		}
		if got := strings.Contains(errs, "Block Public Access"); got != want {
			t.Errorf("%s: note shown %v, want %v:\n%s", action, got, want, errs)
		}
	}
}

// TestCanMaxDepth: can --max-depth lists what the roles a principal can
// assume can do, with the chain; without it, only the principal's own.
func TestCanMaxDepth(t *testing.T) {
	world, _, m, code, _ := fakeRun(t, fakeaws.Options{Seed: 3, AccountsPerOrg: 4}, func(*fakeaws.World) fakeaws.Knobs { return fakeaws.Knobs{} }, nil)
	if code != 0 {
		t.Fatalf("collect exit %d", code)
	}
	st := strings.TrimPrefix(m.Store, "file://")
	mgmt := world.Orgs()[0].ManagementAccountID
	code, out, errs := runCLI(t, "", "who-can", "iam:CreateUser", "--store", st, "--format", "json")
	if code != 0 {
		t.Fatalf("who-can: exit %d %s", code, errs)
	}
	var rows []map[string]string
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	var who, role string
	for _, r := range rows {
		if r["account"] == mgmt && strings.HasSuffix(r["via"], "role/OrganizationAccountAccessRole") && !strings.Contains(r["via"], " > ") {
			who, role = r["principal"], r["via"]
			break
		}
	}
	if who == "" {
		t.Fatalf("no principal of %s reaches a member's OrganizationAccountAccessRole in one step:\n%s", mgmt, out)
	}
	row := "iam,iam:CreateUser,*,Allowed,," + role
	code, out, errs = runCLI(t, "", "can", who, "--store", st, "--service", "iam", "--format", "csv", "--max-depth", "1")
	if code != 0 || !strings.Contains(out, row+"\n") {
		t.Fatalf("can --max-depth 1: exit %d, no row %q\n%s\n%s", code, row, out, errs)
	}
	code, out, _ = runCLI(t, "", "can", who, "--store", st, "--service", "iam", "--format", "csv")
	if code != 0 || strings.Contains(out, role) {
		t.Fatalf("can without --max-depth lists what %s grants:\n%s", role, out)
	}
	if code, _, _ := runCLI(t, "", "can", who, "--store", st, "--max-depth", "-1"); code != ExitUsage {
		t.Errorf("--max-depth -1: exit %d, want %d", code, ExitUsage)
	}
}
