package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/policygen"
	"github.com/orgiam/orgiam/internal/store"
)

// TestPolicyGenerateStoreAndGap generates into a collected snapshot's run
// and compares with what the role's attached policies grant.
func TestPolicyGenerateStoreAndGap(t *testing.T) {
	world, _, m, code, _ := fakeRun(t, fakeaws.Options{Seed: 8, Orgs: 1, AccountsPerOrg: 2, Size: fakeaws.Size{Users: 1, Roles: 3, Groups: 1, Policies: 2}}, func(*fakeaws.World) fakeaws.Knobs { return fakeaws.Knobs{} }, nil)
	if code != 0 {
		t.Fatalf("collect exit %d", code)
	}
	var roleARN, acct string
	for _, a := range world.Accounts() {
		if d := world.Account(a.ID); d != nil && a.Status == "ACTIVE" && len(d.Roles) > 0 {
			roleARN, acct = d.Roles[0].Arn, a.ID
			break
		}
	}
	if roleARN == "" {
		t.Fatal("no role in the world")
	}
	name := roleARN[strings.LastIndexByte(roleARN, '/')+1:]
	trail := t.TempDir()
	rec := `{"eventTime":"2026-11-22T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","recipientAccountId":"` + acct + `","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::` + acct + `:assumed-role/` + name + `/s","accountId":"` + acct + `"}}`
	os.WriteFile(filepath.Join(trail, "t.json"), []byte(`{"Records":[`+rec+`]}`), 0o644)
	st := m.Store[len("file://"):]
	var out, errb bytes.Buffer
	code = Run(context.Background(), []string{"policy", "generate", "--cloudtrail", trail, "--store", st, "--principal", roleARN, "--since", "2026-11-20", "--until", "2026-11-23"}, IO{Out: &out, Err: &errb, Now: testNow})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	fs := store.NewFile(st)
	b, err := fs.Get(context.Background(), "2026-11-23/policies/"+acct+"/"+name+".json")
	if err != nil || !strings.Contains(string(b), "ec2:DescribeInstances") {
		t.Fatalf("policy in the store: %s %v", b, err)
	}
	b, err = fs.Get(context.Background(), "2026-11-23/policies/"+acct+"/"+name+".report.json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct{ Unused []string }
	json.Unmarshal(b, &rep)
	for _, a := range rep.Unused {
		if a == "ec2:DescribeInstances" {
			t.Error("a used action is reported unused")
		}
	}
	if len(rep.Unused) == 0 {
		t.Error("no unused actions: the role's attached policies were not compared")
	}
	// The set is recorded as complete.
	if _, files, err := policygen.ReadGeneration(context.Background(), fs, "2026-11-23"); err != nil || files[acct+"/"+name+".json"] == nil {
		t.Errorf("generation record: %v", err)
	}

	code = Run(context.Background(), []string{"policy", "generate", "--cloudtrail", trail, "--store", st, "--principal", "arn:aws:iam::" + acct + ":role/no-such-role"}, IO{Out: &out, Err: &errb, Now: testNow})
	if code != ExitUsage || !strings.Contains(errb.String(), "no such user or role") {
		t.Fatalf("unknown principal: exit %d %s", code, errb.String())
	}
}
