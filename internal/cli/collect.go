package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/fanout"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/report"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
	"github.com/orgiam/orgiam/internal/version"
)

func newCollect(stdio IO) *cobra.Command {
	var resume bool
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Collect the IAM data of every account of your organizations into a dated snapshot",
		Long: `collect discovers the accounts of each organization (through one --org-role per
organization), assumes --collect-role in every active account (optionally through
--initial-role), collects its IAM data and credential report, and writes a dated
snapshot to --store, then the index and the reports. manifest.json is written
last: a run without it is incomplete.

With no --org-role, only the account of the current credentials is scanned, and
it is scanned through --collect-role like any other account (the management
account, too, is scanned through the collect role, so deploy it there as well).

Every flag is also a config-file key (--config) and an ORGIAM_* environment
variable; flags win over the environment, the environment over the file.`,
		Example: `  orgiam collect --org-role arn:aws:iam::111111111111:role/orgiam-list-accounts \
                 --org-role arn:aws:iam::222222222222:role/orgiam-list-accounts \
                 --initial-role arn:aws:iam::333333333333:role/orgiam-scanner \
                 --store s3://my-audit-bucket/orgiam`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(cmd.Flags(), os.LookupEnv)
			if err != nil {
				return err
			}
			if err := config.CheckEnv(os.Environ(), cfg); err != nil {
				return err
			}
			if resume && cfg.Overwrite {
				return usageErr(fmt.Errorf("--resume and --overwrite: pick one (--resume completes an interrupted run, --overwrite starts it again)"))
			}
			return runCollectPlan(cmd.Context(), stdio, cfg, awsauth.Options{}, pipeline.PlanInput{Resume: resume})
		},
	}
	config.RegisterFlags(cmd.Flags())
	// --resume is an action on one run, not a setting: a flag only.
	cmd.Flags().BoolVar(&resume, "resume", false, "complete an interrupted run of the same --date and --run-id: keep its complete accounts, scan the missing and failed ones, then write the reports, the index and the manifest")
	return cmd
}

// newEnv loads credentials and the store and builds the pipeline's Env.
func newEnv(ctx context.Context, stdio IO, cfg *config.Config, authOpts awsauth.Options) (*pipeline.Env, error) {
	log := newLogger(stdio.Err, cfg.LogFormat, cfg.Quiet)
	if authOpts.Logger == nil {
		authOpts.Logger = log
	}
	if err := precheckStore(cfg.Store); err != nil {
		return nil, err
	}
	// The collector names need no credentials: checked first.
	if _, err := (&pipeline.Env{Cfg: cfg}).Collectors(); err != nil {
		return nil, usageErr(err)
	}
	lim := fanout.New(fanout.Options{Ceiling: cfg.RateLimit, Disabled: cfg.RateControl == "off"})
	authOpts.Region = firstSet(authOpts.Region, cfg.Region)
	authOpts.Profile = firstSet(authOpts.Profile, cfg.Profile)
	authOpts.APIOptions = append(authOpts.APIOptions, lim.Middleware())
	authOpts.MaxConns = cfg.Concurrency * pipeline.DefaultAccountParallel
	if authOpts.SessionName == "" {
		authOpts.SessionName = awsauth.SessionName("collect")
	}
	// Credentials first: a bad --profile or --region fails before the store
	// (a folder) is created.
	auth, err := awsauth.New(ctx, authOpts)
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg, authOpts)
	if err != nil {
		return nil, err
	}
	log.Debug("credentials", "arn", auth.Identity.Arn, "partition", auth.Identity.Partition)
	env := &pipeline.Env{Cfg: cfg, Auth: auth, Store: st, Limiter: lim, Log: log, Now: stdio.now, Version: version.String()}
	env.StandardSteps()
	if _, err := env.Notifiers(); err != nil {
		return nil, usageErr(err)
	}
	return env, nil
}

// precheckStore finds the mistakes of a folder store that need nothing
// created to be seen (a file where a folder must go), so they are reported
// before the credentials, and the credentials' before anything is created.
func precheckStore(raw string) error {
	loc, err := store.ParseURL(raw)
	if err != nil {
		return usageErr(fmt.Errorf("--store: %w", err))
	}
	if loc.Scheme != "file" {
		return nil
	}
	for p := loc.Path; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return usageErr(fmt.Errorf("--store: store file://%s: %s is a file, not a folder", filepath.ToSlash(loc.Path), p))
			}
			return nil
		}
		if filepath.Dir(p) == p {
			return nil
		}
	}
}

func firstSet(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func runCollect(ctx context.Context, stdio IO, cfg *config.Config, authOpts awsauth.Options) error {
	return runCollectPlan(ctx, stdio, cfg, authOpts, pipeline.PlanInput{})
}

func runCollectPlan(ctx context.Context, stdio IO, cfg *config.Config, authOpts awsauth.Options, plan pipeline.PlanInput) error {
	// The gate's settings are checked before anything is collected; the
	// report step reads the mutelist again and logs its expired entries.
	sev, err := parseFailOn(cfg.FailOn)
	if err != nil {
		return err
	}
	mutes, err := loadMutelist(cfg.Mutelist, stdio.now(), nil)
	if err != nil {
		return err
	}
	env, err := newEnv(ctx, stdio, cfg, authOpts)
	if err != nil {
		return err
	}
	var progress pipeline.Progress
	if stdio.IsTTY && !cfg.Quiet && cfg.LogFormat == "text" {
		progress = newBar(stdio.Err)
	}
	res, err := pipeline.RunLocal(ctx, env, plan, progress)
	if err != nil {
		return err
	}
	printSummary(stdio.Out, env, res)
	printReports(ctx, stdio.Out, env, res.Manifest.Prefix)
	if res.Manifest.Totals.Failed > 0 || len(res.Manifest.Errors) > 0 || len(res.PostErrors) > 0 {
		return &exitError{code: ExitAccountFailed, err: errSilent}
	}
	if sev == "" {
		return nil
	}
	o := report.Options{Now: stdio.now()}
	if mutes != nil {
		o.Mutes = mutes
	}
	sum, err := runSummary(ctx, env.Store, res.Manifest.Prefix, o)
	if err != nil {
		return fmt.Errorf("--fail-on: the run's findings: %w", err)
	}
	t := sum.Totals
	return failOn(sev, t.High, t.Medium, t.Low, t.Muted)
}

func printSummary(w io.Writer, env *pipeline.Env, res pipeline.LocalResult) {
	m := res.Manifest
	t := m.Totals
	entities := 0
	keys := make([]string, 0, len(t.Entities))
	for k, v := range t.Entities {
		entities += v
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if t.Entities[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, t.Entities[k]))
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\nrun\t%s\n", m.Prefix)
	if len(m.Collectors) > 0 {
		fmt.Fprintf(tw, "collectors\t%s (the others not run: --collectors)\n", strings.Join(m.Collectors, ", "))
	}
	fmt.Fprintf(tw, "accounts ok\t%d\n", t.OK)
	fmt.Fprintf(tw, "accounts partial\t%d\n", t.Partial)
	fmt.Fprintf(tw, "accounts failed\t%d\n", t.Failed)
	fmt.Fprintf(tw, "accounts skipped\t%d\n", t.Skipped)
	fmt.Fprintf(tw, "entities collected\t%d (%s)\n", entities, strings.Join(parts, ", "))
	fmt.Fprintf(tw, "API calls made\t%d\n", t.APICalls)
	fmt.Fprintf(tw, "throttles absorbed\t%d\n", t.Throttles)
	fmt.Fprintf(tw, "call rate\t%.0f/s mean, %.0f/s peak\n", t.MeanRate, t.PeakRate)
	fmt.Fprintf(tw, "objects written\t%d\n", t.ObjectsWritten)
	fmt.Fprintf(tw, "wall time\t%s\n", time.Duration(t.WallSeconds*float64(time.Second)).Round(time.Millisecond))
	fmt.Fprintf(tw, "snapshot\t%s/%s/\n", strings.TrimSuffix(env.Store.String(), "/"), m.Prefix)
	tw.Flush()
	if t.Failed > 0 {
		fmt.Fprintln(w, "\nfailed accounts:")
		for _, a := range m.Accounts {
			if a.Status == snapshot.StatusFailed {
				fmt.Fprintf(w, "  %s %s: %s\n", a.ID, a.Name, a.Error)
			}
		}
	}
	if t.Partial > 0 {
		fmt.Fprintln(w, "\npartial accounts (data kept, some of it missing):")
		for _, a := range m.Accounts {
			if a.Status == snapshot.StatusPartial {
				fmt.Fprintf(w, "  %s %s: %s\n", a.ID, a.Name, a.Error)
			}
		}
	}
	for _, e := range m.Errors {
		fmt.Fprintf(w, "run error: %s\n", e)
	}
	for _, e := range res.PostErrors {
		fmt.Fprintf(w, "step failed: %s\n", e)
	}
}
