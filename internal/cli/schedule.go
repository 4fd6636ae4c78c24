package cli

import (
	"context"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/cron"
	"github.com/orgiam/orgiam/internal/pipeline"
)

func init() { extraCommands = append(extraCommands, newSchedule) }

func newSchedule(stdio IO) *cobra.Command {
	var expr string
	var runNow bool
	cmd := &cobra.Command{
		Use:   "schedule --cron EXPR [collect flags]",
		Short: "Run collect, reports and notifications on a cron schedule, in the foreground",
		Long: `schedule runs what ` + "`orgiam collect`" + ` runs (scan, index, reports, --notify) each time
the cron expression (UTC, five fields or @daily/@hourly/…) matches, one run at a
time, logging each start and end. It is meant for a container or a systemd
unit. SIGTERM or Ctrl-C stops it cleanly between runs; a run stopped midway
leaves no manifest. A second run on the same day gets a run id (HHMMSS).`,
		Example: `  orgiam schedule --cron "0 4 * * *" --config /etc/orgiam/orgiam.yaml --notify sns:arn:aws:sns:eu-west-1:111111111111:orgiam`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(cmd.Flags(), os.LookupEnv)
			if err != nil {
				return err
			}
			if err := config.CheckEnv(os.Environ(), cfg); err != nil {
				return err
			}
			sched, err := cron.Parse(expr)
			if err != nil {
				return usageErr(err)
			}
			return runSchedule(cmd.Context(), stdio, cfg, sched, runNow, awsauth.Options{})
		},
	}
	config.RegisterFlags(cmd.Flags())
	cmd.Flags().StringVar(&expr, "cron", "", "cron expression in UTC, e.g. \"0 4 * * *\" [required]")
	cmd.Flags().BoolVar(&runNow, "now", false, "also run once at start")
	cmd.MarkFlagRequired("cron")
	return cmd
}

// runSchedule loops until ctx ends: wait for the next match, run, repeat.
func runSchedule(ctx context.Context, stdio IO, cfg *config.Config, sched *cron.Schedule, runNow bool, authOpts awsauth.Options) error {
	now := stdio.now
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
