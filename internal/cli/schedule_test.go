package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/cron"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

func TestScheduleRunsThenStopsCleanly(t *testing.T) {
	isolate(t)
	world := fakeaws.NewWorld(fakeaws.Options{Seed: 2, Orgs: 1, AccountsPerOrg: 4, Size: fakeaws.Size{Users: 2, Roles: 1, Groups: 1, Policies: 1}, Now: testNow()})
	sim, err := simulate(world, fakeaws.Knobs{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	cfg := sim.Config
	cfg.Store = filepath.Join(t.TempDir(), "data")
	cfg.CredentialReportWait = 20 * time.Millisecond
	st := store.NewFile(cfg.Store)
	// Never matches during the test: only the --now run happens, then SIGTERM.
	sched, err := cron.Parse("0 0 1 1 *")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if runs, _ := snapshot.Runs(context.Background(), st); len(runs) == 1 {
				time.Sleep(50 * time.Millisecond)
				cancel()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	var out, errb bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- runSchedule(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, sched, true, sim.Auth)
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("schedule: %v\n%s", err, errb.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("schedule did not stop")
	}
	logs := errb.String()
	for _, want := range []string{"schedule started", "run starting", "run finished", "next run", "schedule stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestScheduleNextAcceptsEveryForm(t *testing.T) {
	isolate(t)
	// testNow is Monday 2026-11-23 09:30 UTC.
	for _, tt := range []struct{ expr, want string }{
		{"cron(0 9 ? * 2#1 *)", "2026-12-07T09:00:00Z 2027-01-04T09:00:00Z 2027-02-01T09:00:00Z"},
		{"0 4 * * *", "2026-11-24T04:00:00Z 2026-11-25T04:00:00Z 2026-11-26T04:00:00Z"},
		{"rate(6 hours)", "2026-11-23T15:30:00Z 2026-11-23T21:30:00Z 2026-11-24T03:30:00Z"},
		{"cron(0 0 1 1 ? 2027)", "2027-01-01T00:00:00Z"},
	} {
		var out, errb bytes.Buffer
		if code := Run(context.Background(), []string{"schedule", "--cron", tt.expr, "--next", "3"}, IO{Out: &out, Err: &errb, Now: testNow}); code != 0 {
			t.Fatalf("%s: exit %d: %s", tt.expr, code, errb.String())
		}
		if got := strings.Join(strings.Fields(out.String()), " "); got != tt.want {
			t.Errorf("%s: next %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestScheduleRefusesBadExpressions(t *testing.T) {
	isolate(t)
	for _, tt := range []struct{ expr, want string }{
		{"cron(0 9 * * * *)", `schedule expression "cron(0 9 * * * *)": day-of-month "*" and day-of-week "*" are both set`},
		{"rate(5 hour)", `schedule expression "rate(5 hour)": a value above 1 takes the plural unit (hours)`},
		{"cron(0 0 30 2 ? *)", `cron(0 0 30 2 ? *) never matches`},
	} {
		var out, errb bytes.Buffer
		code := Run(context.Background(), []string{"schedule", "--cron", tt.expr, "--next", "1"}, IO{Out: &out, Err: &errb, Now: testNow})
		if code != ExitUsage || !strings.Contains(errb.String(), tt.want) || out.Len() != 0 {
			t.Errorf("%s: exit %d, stderr %q, stdout %q; want exit 2 and %q", tt.expr, code, errb.String(), out.String(), tt.want)
		}
	}
}

func TestScheduleFailsFastAtStartUp(t *testing.T) {
	dir := isolate(t)
	world := fakeaws.NewWorld(fakeaws.Options{Seed: 2, Orgs: 1, AccountsPerOrg: 3, Now: testNow()})
	sim, err := simulate(world, fakeaws.Knobs{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sched, err := cron.Parse("* * * * *")
	if err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "a-file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tune := range map[string]func(c *config.Config){
		"store is a file": func(c *config.Config) { c.Store = blocker },
		"webhook variable not set": func(c *config.Config) {
			c.Store = filepath.Join(dir, "s")
			c.Notify = []string{"webhook:env:ORGIAM_TEST_MISSING_HOOK"}
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := *sim.Config
			tune(&c)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out, errb bytes.Buffer
			err := runSchedule(ctx, IO{Out: &out, Err: &errb, Now: testNow}, &c, sched, false, sim.Auth)
			if ctx.Err() != nil {
				t.Fatal("schedule waited instead of failing at start-up")
			}
			if err == nil || codeOf(err) != ExitUsage && exitCode(err) != ExitUsage {
				t.Fatalf("schedule: %v (exit %d)", err, exitCode(err))
			}
		})
	}
}
