package cli

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// A service denied in every account (as an SCP would) leaves each account
// partial, not failed: the warning names the collector, the region and the
// code, and every other collector's data is kept. A listed region that no
// account has enabled is skipped with the reason.
func TestCollectRegionsDeniedServiceIsPartial(t *testing.T) {
	opts := fakeaws.Options{Seed: 4, Orgs: 1, AccountsPerOrg: 3, Size: fakeaws.Size{Users: 2, Roles: 1, Groups: 1, Policies: 1}}
	_, _, m, code, out := fakeRun(t, opts, func(*fakeaws.World) fakeaws.Knobs {
		return fakeaws.Knobs{Regions: []string{"eu-west-1", "us-east-1"}, DenyServices: []string{"kms"}}
	}, func(c *config.Config) { c.Regions = "eu-west-1,us-east-1,ap-south-1" })
	if code != ExitOK {
		t.Fatalf("exit %d for a run with partial accounts, want 0\n%s", code, out)
	}
	scanned := scannedAccounts(m)
	if m.Totals.Partial != len(scanned) || m.Totals.OK != 0 || m.Totals.Failed != 0 || len(scanned) < 2 {
		t.Fatalf("totals %+v of %d accounts scanned: want every account partial", m.Totals, len(scanned))
	}
	if !regexp.MustCompile(`accounts partial\s+`+strconv.Itoa(len(scanned))+`\n`).MatchString(out) ||
		!strings.Contains(out, "partial accounts (data kept, some of it missing):") {
		t.Errorf("summary does not show the partial accounts:\n%s", out)
	}
	ctx := context.Background()
	r := snapshot.Reader{Store: store.NewFile(m.Store[len("file://"):]), Run: m.Prefix}
	for _, a := range scanned {
		if w := strings.Join(a.Warnings, "\n"); a.Status != snapshot.StatusPartial || !strings.Contains(w, "kms eu-west-1 kms:ListKeys") || !strings.Contains(w, "kms us-east-1") {
			t.Errorf("account %s: %+v", a.ID, a)
		}
		if !strings.Contains(out, a.ID) {
			t.Errorf("summary does not list partial account %s", a.ID)
		}
		for _, reg := range []string{"eu-west-1", "us-east-1"} {
			rs, err := r.RegionScan(ctx, a.ID, reg)
			if err != nil {
				t.Fatalf("%s %s: %v", a.ID, reg, err)
			}
			if rs.Status != snapshot.StatusPartial {
				t.Errorf("%s %s: status %q", a.ID, reg, rs.Status)
			}
			var kms []snapshot.CollectorWarning
			for _, w := range rs.Warnings {
				if w.Collector == "kms" {
					kms = append(kms, w)
				}
			}
			if len(kms) != 1 || kms[0].Region != reg || kms[0].Code != "AccessDeniedException" || kms[0].Operation != "kms:ListKeys" {
				t.Errorf("%s %s: warnings %+v", a.ID, reg, rs.Warnings)
			}
			types := map[string]int{}
			for _, res := range rs.Resources {
				types[res.Service]++
				if res.Service == "sqs" && len(res.Policy) == 0 {
					t.Errorf("%s: no policy", res.ARN)
				}
			}
			if types["kms"] != 0 || types["sqs"] != 3 || types["sns"] != 3 || types["lambda"] < 3 || types["secretsmanager"] != 3 {
				t.Errorf("%s %s: resources by service %v", a.ID, reg, types)
			}
		}
		skipped, err := r.RegionScan(ctx, a.ID, "ap-south-1")
		if err != nil || skipped.Status != "skipped" || !strings.Contains(skipped.Reason, "not enabled") {
			t.Errorf("%s ap-south-1: %+v %v", a.ID, skipped, err)
		}
		ar, err := r.AccountResources(ctx, a.ID)
		if err != nil || ar == nil || len(ar.Resources) != 6 {
			t.Errorf("%s resources.json: %+v, %v", a.ID, ar, err)
		}
	}
}

// --resume scans again an account whose region item is missing, and only
// that one.
func TestResumeRescansAMissingRegionItem(t *testing.T) {
	_, sim, cfg := runWorld(t, 4, fakeaws.Knobs{Regions: []string{"eu-west-1", "us-east-1"}})
	cfg.Regions = "eu-west-1,us-east-1"
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := runCollect(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth); err != nil {
		t.Fatalf("collect: %v\n%s", err, errb.String())
	}
	st := store.NewFile(cfg.Store)
	run := "2026-11-23"
	r := snapshot.Reader{Store: st, Run: run}
	m, err := r.Manifest(ctx)
	if err != nil || m.Totals.OK != len(scannedAccounts(m)) || m.Totals.OK < 2 {
		t.Fatalf("first run: %+v %v", m.Totals, err)
	}
	// The victim is the account of the base credentials, whose own calls
	// (GetCallerIdentity, AssumeRole) count there: every other account must
	// see no call at all.
	victim := sim.Server.Knobs().CallerAccount
	// The run is cut short: no manifest, and one account × region object
	// never written.
	if err := st.Delete(ctx, store.ManifestKey(run)); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, store.RegionKey(run, victim, "us-east-1")); err != nil {
		t.Fatal(err)
	}
	acct, _ := r.Accounts(ctx)
	for _, a := range acct {
		res, _ := r.Result(ctx, a)
		if res.Status == snapshot.StatusSkipped {
			continue
		}
		if want := map[bool]string{true: snapshot.StatusPartial, false: snapshot.StatusOK}[a.ID == victim]; res.Status != want {
			t.Fatalf("account %s reads %q before the resume, want %q", a.ID, res.Status, want)
		}
	}
	sim.ResetStats()
	if err := runCollectPlan(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth, pipeline.PlanInput{Resume: true}); err != nil {
		t.Fatalf("resume: %v\n%s", err, errb.String())
	}
	m, err = r.Manifest(ctx)
	if err != nil || m.Totals.OK != len(scannedAccounts(m)) || m.Totals.Partial != 0 {
		t.Fatalf("resumed run: %+v %v", m.Totals, err)
	}
	if rs, err := r.RegionScan(ctx, victim, "us-east-1"); err != nil || rs.Status != snapshot.StatusOK || len(rs.Resources) == 0 {
		t.Errorf("region item after resume: %+v %v", rs, err)
	}
	stats := sim.Stats()
	for _, a := range scannedAccounts(m) {
		if n := stats.PerAccount[a.ID]; (n > 0) != (a.ID == victim) {
			t.Errorf("account %s: %d calls on resume (%v)", a.ID, n, stats.Calls)
		}
	}
}

// scannedAccounts are the manifest's accounts that were not skipped.
func scannedAccounts(m snapshot.Manifest) []snapshot.AccountResult {
	var out []snapshot.AccountResult
	for _, a := range m.Accounts {
		if a.Status != snapshot.StatusSkipped {
			out = append(out, a)
		}
	}
	return out
}

// --collectors iam,credential-report collects IAM alone: no region item,
// no resource list, no regional call, every account ok, and the manifest
// and the summary name the collectors that ran.
func TestCollectorsKeepTheRunToIAM(t *testing.T) {
	opts := fakeaws.Options{Seed: 4, Orgs: 1, AccountsPerOrg: 3, Size: fakeaws.Size{Users: 2, Roles: 1, Groups: 1, Policies: 1}}
	_, srv, m, code, out := fakeRun(t, opts, func(*fakeaws.World) fakeaws.Knobs {
		return fakeaws.Knobs{Regions: []string{"eu-west-1", "us-east-1"}}
	}, func(c *config.Config) { c.Collectors = []string{"iam", "credential-report"} })
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	scanned := scannedAccounts(m)
	if len(scanned) < 2 || m.Totals.OK != len(scanned) || m.Totals.CredentialReports != len(scanned) {
		t.Fatalf("totals %+v of %d accounts scanned: want every account ok with its credential report", m.Totals, len(scanned))
	}
	// A scan shorter than a second: its peak is its mean, never below it.
	if m.Totals.MeanRate <= 0 || m.Totals.PeakRate < m.Totals.MeanRate {
		t.Errorf("call rate %.0f/s mean, %.0f/s peak: the peak reads below the mean", m.Totals.MeanRate, m.Totals.PeakRate)
	}
	if want := []string{"iam", "credential-report"}; !slices.Equal(m.Collectors, want) {
		t.Errorf("manifest collectors %q, want %q", m.Collectors, want)
	}
	if !strings.Contains(out, "collectors          iam, credential-report (the others not run: --collectors)") {
		t.Errorf("summary does not name the collectors:\n%s", out)
	}
	ctx := context.Background()
	st := store.NewFile(m.Store[len("file://"):])
	for _, a := range scanned {
		keys, err := st.List(ctx, store.AccountPrefix(m.Prefix, a.ID))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if strings.Contains(k, "/regions/") || strings.HasSuffix(k, "/resources.json") {
				t.Errorf("%s written by a collector that was not to run", k)
			}
		}
	}
	for op, n := range srv.Stats().Calls {
		if !strings.HasPrefix(op, "iam:") && !strings.HasPrefix(op, "sts:") && !strings.HasPrefix(op, "organizations:") && n > 0 {
			t.Errorf("%d %s calls in an IAM-only run", n, op)
		}
	}
}
