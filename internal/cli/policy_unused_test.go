package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/policygen"
	"github.com/orgiam/orgiam/internal/store"
)

// policy unused against fakeaws's last-accessed emulation (moto does not
// implement it): every principal of every collected account is asked,
// jobs are polled with backoff, a failing job is reported and the others
// kept, and only what is unused in the window is listed.
func TestPolicyUnused(t *testing.T) {
	world, srv, m, code, _ := fakeRun(t, fakeaws.Options{Seed: 8, Orgs: 1, AccountsPerOrg: 2, Size: fakeaws.Size{Users: 1, Roles: 2, Groups: 1, Policies: 1}}, func(*fakeaws.World) fakeaws.Knobs { return fakeaws.Knobs{} }, nil)
	if code != 0 {
		t.Fatalf("collect exit %d", code)
	}
	var roleARN, failARN, acct, acctName string
	principals := 0
	for _, a := range world.Accounts() {
		d := world.Account(a.ID)
		if d == nil || a.Status != "ACTIVE" {
			continue
		}
		principals += len(d.Users) + len(d.Roles) + len(d.Groups)
		if roleARN == "" && len(d.Roles) > 1 {
			roleARN, failARN, acct, acctName = d.Roles[0].Arn, d.Roles[1].Arn, a.ID, a.Name
		}
	}
	if roleARN == "" {
		t.Fatal("no account with two roles")
	}
	now := testNow()
	ago := func(days int) *time.Time { t := now.AddDate(0, 0, -days); return &t }
	srv.SetLastAccessed(fakeaws.LastAccessedOptions{
		PollsToComplete: 3,
		PageSize:        2, // three services: two pages
		Services: map[string][]fakeaws.ServiceLastAccessed{roleARN: {
			{Name: "Amazon S3", Namespace: "s3", LastAuthenticated: ago(1), Actions: map[string]*time.Time{"GetObject": ago(1), "PutObject": nil, "DeleteObject": ago(120)}},
			{Name: "Amazon EC2", Namespace: "ec2"},
			{Name: "AWS Identity and Access Management", Namespace: "iam", LastAuthenticated: ago(200)},
		}},
		Fail: map[string]bool{failARN: true},
	})
	cfg := config.Defaults()
	cfg.Store = strings.TrimPrefix(m.Store, "file://")
	cfg.Concurrency, cfg.RateLimit, cfg.Quiet = 4, 2000, true
	auth := awsauth.Options{Region: "us-east-1", Endpoint: srv.URL(), Credentials: credentials.NewStaticCredentialsProvider("AKIASIMULATEDBASE000", "simulated", "")}
	var mu sync.Mutex
	var waits []time.Duration
	sleep := func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		return nil
	}
	run := func(o policyUnusedOptions) (unusedReport, error) {
		o.sleepForTest = sleep
		var out, errb bytes.Buffer
		err := runPolicyUnused(context.Background(), IO{Out: &out, Err: &errb, Now: testNow}, cfg, auth, o)
		b, gerr := store.NewFile(cfg.Store).Get(context.Background(), store.ReportKey("2026-11-23", "unused-access.json"))
		var rep unusedReport
		if gerr == nil {
			json.Unmarshal(b, &rep)
		}
		return rep, err
	}
	rep, err := run(policyUnusedOptions{days: 90})
	if err != nil {
		t.Fatal(err)
	}
	if srv.LastAccessedJobs() != principals || rep.Principals != principals {
		t.Errorf("jobs %d, report says %d principals; the world has %d", srv.LastAccessedJobs(), rep.Principals, principals)
	}
	var got []policygen.Unused
	for _, u := range rep.Unused {
		if u.Principal == roleARN {
			got = append(got, u)
		}
	}
	want := []policygen.Unused{
		{Account: acct, Principal: roleARN, Service: "ec2"},
		{Account: acct, Principal: roleARN, Service: "iam", LastAccessed: ago(200).Format(time.RFC3339)},
		{Account: acct, Principal: roleARN, Service: "s3", Action: "s3:DeleteObject", LastAccessed: ago(120).Format(time.RFC3339)},
		{Account: acct, Principal: roleARN, Service: "s3", Action: "s3:PutObject"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unused of %s:\n got %+v\nwant %+v", roleARN, got, want)
	}
	if len(rep.PrincipalErrors) != 1 || rep.PrincipalErrors[0].Principal != failARN || len(rep.FailedAccounts) != 0 {
		t.Errorf("errors: %+v, failed accounts %+v; want only %s", rep.PrincipalErrors, rep.FailedAccounts, failARN)
	}
	// Backoff: 1s, 2s, 4s, 8s for each job (three polls in progress, the
	// fourth completed); the jobs of several accounts run at once.
	count := map[time.Duration]int{}
	for _, w := range waits {
		count[w]++
	}
	if wantWaits := map[time.Duration]int{time.Second: principals, 2 * time.Second: principals, 4 * time.Second: principals, 8 * time.Second: principals}; !reflect.DeepEqual(count, wantWaits) {
		t.Errorf("waits %v, want %v", count, wantWaits)
	}

	// The run's index was rebuilt with the rows: query unused reads them.
	var qo, qe bytes.Buffer
	if code := Run(context.Background(), []string{"query", "unused", "--store", cfg.Store, "--principal", roleARN, "--format", "csv"}, IO{Out: &qo, Err: &qe, Now: testNow}); code != 0 {
		t.Fatalf("query unused: exit %d: %s", code, qe.String())
	}
	wantCSV := "account_id,account_name,principal,service,action,last_accessed\n"
	for _, u := range want {
		wantCSV += strings.Join([]string{u.Account, acctName, u.Principal, u.Service, u.Action, u.LastAccessed}, ",") + "\n"
	}
	if qo.String() != wantCSV {
		t.Errorf("query unused:\n%s\nwant\n%s", qo.String(), wantCSV)
	}

	// A longer window: iam (200 days) and DeleteObject (120) were used in it.
	rep, err = run(policyUnusedOptions{days: 365})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, u := range rep.Unused {
		if u.Principal == roleARN {
			n++
			if u.Service == "iam" || u.Action == "s3:DeleteObject" {
				t.Errorf("used within 365 days but listed: %+v", u)
			}
		}
	}
	if n != 2 {
		t.Errorf("365 days: %d rows for %s, want 2 (ec2, s3:PutObject)", n, roleARN)
	}

	// --out FILE.csv.
	out := filepath.Join(t.TempDir(), "unused.csv")
	if _, err := run(policyUnusedOptions{days: 90, out: out}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.HasPrefix(string(b), "account,principal,service,action,last_accessed\n") || !strings.Contains(string(b), acct+","+roleARN+",s3,s3:PutObject,\n") {
		t.Errorf("csv: %v\n%s", err, b)
	}
}

func TestPolicyUnusedUsage(t *testing.T) {
	isolate(t)
	for _, args := range [][]string{
		{"policy", "unused", "--days", "500"},
		{"policy", "unused", "--out", "x.txt"},
		{"policy", "unused", "--format", "csv"},
	} {
		var out, errb bytes.Buffer
		if code := Run(context.Background(), args, IO{Out: &out, Err: &errb, Now: testNow}); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, ExitUsage, errb.String())
		}
	}
}
