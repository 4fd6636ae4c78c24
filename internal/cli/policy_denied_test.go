package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/policygen/trailgen"
)

// --include-denied through the command: the actions whose only calls
// failed with AccessDenied are listed, not granted, by default, and
// granted with the flag.
func TestPolicyGenerateIncludeDenied(t *testing.T) {
	trail := t.TempDir()
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	exp, err := trailgen.Write(trail, trailgen.Config{Seed: 4, Accounts: 1, UsersPerAccount: 2, RolesPerAccount: 2, Files: 10, EventsPerFile: 200, Start: start, Days: 2})
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC) }
	granted := func(out, arn string) map[string]bool {
		parts := strings.Split(arn, ":")
		acct, name := parts[4], parts[5][strings.LastIndexByte(parts[5], '/')+1:]
		b, err := os.ReadFile(filepath.Join(out, acct, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Statement []struct {
				Effect string
				Action []string
			}
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, s := range doc.Statement {
			for _, a := range s.Action {
				got[a] = got[a] || s.Effect == "Allow"
			}
		}
		return got
	}
	outs := map[bool]string{}
	for _, include := range []bool{false, true} {
		outs[include] = filepath.Join(t.TempDir(), "out")
		args := []string{"policy", "generate", "--cloudtrail", trail, "--days", "3", "--out", outs[include]}
		if include {
			args = append(args, "--include-denied")
		}
		var out, errb bytes.Buffer
		if code := Run(context.Background(), args, IO{Out: &out, Err: &errb, Now: now}); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
	}
	checked := 0
	for arn, denied := range exp.Denied {
		without, with := granted(outs[false], arn), granted(outs[true], arn)
		for a := range denied {
			checked++
			if without[a] {
				t.Errorf("%s: denied %s granted without --include-denied", arn, a)
			}
			if !with[a] {
				t.Errorf("%s: denied %s not granted with --include-denied", arn, a)
			}
		}
		for a := range exp.Actions[arn] {
			if !without[a] || !with[a] {
				t.Errorf("%s: used %s missing (without %v, with %v)", arn, a, without[a], with[a])
			}
		}
	}
	if checked == 0 {
		t.Fatal("the trail has no denied attempts")
	}
}
