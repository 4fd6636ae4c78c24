package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/cron"
	"github.com/orgiam/orgiam/internal/pipeline"
)

func newSchedule(stdio IO) *cobra.Command {
	var expr string
	var runNow bool
	var next int
	cmd := &cobra.Command{
		Use:   "schedule --cron EXPR [collect flags]",
		Short: "Run collect, reports and notifications on a schedule, in the foreground",
		Long: `schedule runs what ` + "`orgiam collect`" + ` runs (scan, index, reports, --notify) each time
the schedule fires, one run at a time, logging each start and end. It is meant
for a container or a systemd unit. SIGTERM or Ctrl-C stops it cleanly between
runs; a run stopped midway leaves no manifest. A second run on the same day gets
a run id (HHMMSS).

--cron takes, always in UTC:
  five-field cron     "0 4 * * *" (minute hour day-of-month month day-of-week,
                      days of week 0-7 from Sunday), or @daily, @hourly, …
  EventBridge cron    "cron(0 9 ? * 2#1 *)" (minutes hours day-of-month month
                      day-of-week year, days of week 1-7 from Sunday; one of the
                      day fields is ?; L, W and # as EventBridge reads them)
  EventBridge rate    "rate(6 hours)" (minute(s), hour(s), day(s)), counted from
                      the start of the command
so the Terraform module's schedule expressions work here unchanged.
--next N prints the next N times and exits.`,
		Example: `  orgiam schedule --cron "0 4 * * *" --config /etc/orgiam/orgiam.yaml --notify sns:arn:aws:sns:eu-west-1:111111111111:orgiam
  orgiam schedule --cron "cron(0 9 ? * 2#1 *)" --next 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sched, err := cron.Parse(expr)
			if err != nil {
				return usageErr(err)
			}
			if next < 0 {
				return usageErr(fmt.Errorf("--next %d: expected a count of 1 or more", next))
			}
			if next > 0 {
				return printNext(stdio, sched.From(stdio.now()), next)
			}
			cfg, err := config.Load(cmd.Flags(), os.LookupEnv)
			if err != nil {
				return err
			}
			if err := config.CheckEnv(os.Environ(), cfg); err != nil {
				return err
			}
			return runSchedule(cmd.Context(), stdio, cfg, sched, runNow, awsauth.Options{})
		},
	}
	config.RegisterFlags(cmd.Flags())
	cmd.Flags().StringVar(&expr, "cron", "", "schedule in UTC: five-field cron (\"0 4 * * *\"), EventBridge cron(…) or rate(…) [required]")
	cmd.Flags().BoolVar(&runNow, "now", false, "also run once at start")
	cmd.Flags().IntVar(&next, "next", 0, "print the next N times the schedule fires and exit")
	cmd.MarkFlagRequired("cron")
	return cmd
}

// runSchedule loops until ctx ends: wait for the next match, run, repeat.
func runSchedule(ctx context.Context, stdio IO, cfg *config.Config, sched *cron.Schedule, runNow bool, authOpts awsauth.Options) error {
	now := stdio.now
	// A rate counts from here, as EventBridge counts from the rule's creation.
	sched = sched.From(now())
	log := newLogger(stdio.Err, cfg.LogFormat, false)
	// Fail fast: a store that cannot be written, a notify target whose
	// variable is unset or credentials that do not work would fail every
	// run; say so now instead of logging "run failed" at each match.
	if err := preflight(ctx, stdio, cfg, authOpts); err != nil {
		return err
	}
	log.Info("schedule started", "cron", sched.String())
	first := runNow
	for {
		if !first {
			next := sched.Next(now())
			if next.IsZero() {
				return usageErr(errNever(sched.String()))
			}
			log.Info("next run", "at", next.Format(time.RFC3339))
			t := time.NewTimer(next.Sub(now()))
			select {
			case <-ctx.Done():
				t.Stop()
				log.Info("schedule stopped")
				return nil
			case <-t.C:
			}
		}
		first = false
		start := time.Now()
		log.Info("run starting")
		res, err := scheduledRun(ctx, stdio, cfg, authOpts)
		switch {
		case ctx.Err() != nil:
			log.Info("schedule stopped during a run; that run has no manifest and is incomplete", "run", res.Plan.Run)
			return nil
		case err != nil:
			log.Error("run failed", "error", err.Error(), "duration", time.Since(start).Round(time.Second))
		default:
			t := res.Manifest.Totals
			log.Info("run finished", "run", res.Plan.Run, "ok", t.OK, "failed", t.Failed, "skipped", t.Skipped, "duration", time.Since(start).Round(time.Second))
		}
	}
}

func scheduledRun(ctx context.Context, stdio IO, cfg *config.Config, authOpts awsauth.Options) (pipeline.LocalResult, error) {
	c := *cfg
	c.Quiet = true
	env, err := newEnv(ctx, stdio, &c, authOpts)
	if err != nil {
		return pipeline.LocalResult{}, err
	}
	return pipeline.RunLocal(ctx, env, pipeline.PlanInput{AutoRunID: cfg.RunID == ""}, nil)
}

// printNext writes the next n times the schedule fires, one RFC 3339 UTC
// time a line.
func printNext(stdio IO, sched *cron.Schedule, n int) error {
	t := stdio.now()
	for i := 0; i < n; i++ {
		t = sched.Next(t)
		if t.IsZero() {
			if i == 0 {
				return usageErr(errNever(sched.String()))
			}
			break
		}
		fmt.Fprintln(stdio.Out, t.Format(time.RFC3339))
	}
	return nil
}

type errNever string

func (e errNever) Error() string { return "cron " + string(e) + " never matches" }

// preflight builds the Env a run would build (credentials, store, notify
// targets) and drops it.
func preflight(ctx context.Context, stdio IO, cfg *config.Config, authOpts awsauth.Options) error {
	c := *cfg
	c.Quiet = true
	_, err := newEnv(ctx, stdio, &c, authOpts)
	return err
}
