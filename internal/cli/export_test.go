package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/export"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

func TestExportIAMCollect(t *testing.T) {
	_, _, m, code, _ := fakeRun(t, fakeaws.Options{Seed: 5, AccountsPerOrg: 4}, func(*fakeaws.World) fakeaws.Knobs { return fakeaws.Knobs{} }, nil)
	if code != 0 {
		t.Fatalf("collect exit %d", code)
	}
	st := strings.TrimPrefix(m.Store, "file://")
	out := filepath.Join(t.TempDir(), "iam-data")

	// Bad input: exit 2, nothing written.
	for _, args := range [][]string{
		{"export", "--store", st, "--layout", "prowler", "--out", out},
		{"export", "--store", st},
		{"export", "--store", filepath.Join(st, "none"), "--out", out},
	} {
		if code, _, errs := runCLI(t, "", args...); code != ExitUsage || errs == "" {
			t.Errorf("%v: exit %d (%s), want %d", args, code, errs, ExitUsage)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("%v wrote %s", args, out)
		}
	}

	code, stdout, errs := runCLI(t, "", "export", "--store", st, "--out", out)
	if code != 0 || !strings.Contains(stdout, "iam-collect layout") {
		t.Fatalf("export: exit %d\n%s\n%s", code, stdout, errs)
	}
	// Read it back: every scanned account's roles are there, each with its
	// trust policy and metadata as the snapshot holds them.
	r := snapshot.Reader{Store: store.NewFile(st), Run: m.Prefix}
	ctx := context.Background()
	checked := 0
	for _, a := range m.Accounts {
		if a.Status != "ok" {
			continue
		}
		var roles []snapshot.Role
		if err := r.IAM(ctx, a.ID, "roles", &roles); err != nil {
			t.Fatal(err)
		}
		if len(roles) == 0 {
			t.Fatalf("account %s: no roles collected", a.ID)
		}
		for _, rl := range roles {
			dir, err := export.ResourceDir(a.ID, rl.Arn)
			if err != nil {
				t.Fatal(err)
			}
			base := filepath.Join(out, "aws", "aws", filepath.FromSlash(dir))
			var meta map[string]any
			readJSON(t, filepath.Join(base, "metadata.json"), &meta)
			if meta["arn"] != rl.Arn || meta["name"] != rl.RoleName {
				t.Errorf("%s: metadata %v", rl.Arn, meta)
			}
			var got, want any
			readJSON(t, filepath.Join(base, "trust-policy.json"), &got)
			if err := json.Unmarshal(rl.AssumeRolePolicyDocument, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: trust policy %v, want %v", rl.Arn, got, want)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no role checked")
	}
	orgs, err := os.ReadDir(filepath.Join(out, "aws", "aws", "organizations"))
	if err != nil || len(orgs) == 0 {
		t.Fatalf("organizations: %v %v", orgs, err)
	}
	var accts map[string]map[string]any
	readJSON(t, filepath.Join(out, "aws", "aws", "organizations", orgs[0].Name(), "accounts.json"), &accts)
	if len(accts) == 0 {
		t.Errorf("organization %s: no accounts", orgs[0].Name())
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
