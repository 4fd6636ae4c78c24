package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/execrun"
	"github.com/orgiam/orgiam/internal/notify"
	"github.com/orgiam/orgiam/internal/regions"
	"github.com/orgiam/orgiam/internal/tableout"
)

// execOptions are exec's own flags (actions on one run, not settings: they
// are not in the configuration table).
type execOptions struct {
	role        string
	timeout     time.Duration
	params      string
	credentials string
	maxOutput   int
}

// execHidden are configuration flags that mean nothing to exec.
var execHidden = []string{"index", "reports", "overwrite", "credential-report", "credential-report-max-polls",
	"credential-report-wait", "account-timeout", "notify-on-drift-only", "config-aggregator",
	"config-aggregator-region", "config-report-prefix"}

func newExec(stdio IO) *cobra.Command {
	var o execOptions
	cmd := &cobra.Command{
		Use:   "exec [flags] -- COMMAND [ARGS...]",
		Short: "Run a command once per account × region with that account's role credentials",
		Long: `exec discovers the accounts as collect does (--org-role, --accounts, --ous,
--exclude-accounts), lists each account's enabled regions (ec2:DescribeRegions;
--regions picks some), and runs COMMAND once per account × region, at most
--concurrency at once, each under --timeout. The command runs with --role
assumed in its account (default: the collect role; through --initial-role and
with --external-id as collect) and with:

  AWS_REGION, AWS_DEFAULT_REGION, ORGIAM_REGION   the item's region
  ORGIAM_ACCOUNT_ID, ORGIAM_ACCOUNT_NAME          the item's account
  ORGIAM_PARAMS                                   the --params file's JSON (set only with --params)

Credentials (--credentials): "endpoint" (the default) serves them on a loopback
endpoint as container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI and
AWS_CONTAINER_AUTHORIZATION_TOKEN, a token per item): the AWS CLI and every AWS
SDK read it and fetch fresh credentials before theirs expire, so a command may
run for hours. The shared AWS config files are hidden from the command in that
mode (AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE are the null device), so
that no profile comes before the endpoint. "env" puts the keys in
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN instead, for
tools that read only those; they last one role session (an hour at most). Your
own AWS_PROFILE, keys and ORGIAM_* settings are never passed on.

Each item's stdout and stderr (at most --max-output bytes each: the first and
the last half are kept), exit code and duration go to the store under
<date>/<run-id>/exec/<account-id>/<region>/; exec/results.csv and
exec/results.json (written last: the run is complete) list every item. The run
id defaults to exec-HHMMSS. A failing or timed-out item never stops the others.
Ctrl-C stops every command (its whole process group) and leaves the run
incomplete.

Exit codes: 0 every item exited 0, 3 some item failed, timed out or could not
run, 2 usage error, 1 anything else.`,
		Example: `  orgiam exec --org-role arn:aws:iam::111111111111:role/orgiam-list-accounts \
              --role orgiam-exec-readonly --regions us-east-1,eu-west-1 \
              -- aws sts get-caller-identity
  orgiam exec --role orgiam-exec-admin --params params.json --timeout 30m -- ./rotate.sh`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExecCmd(cmd, stdio, args, o)
		},
	}
	config.RegisterFlags(cmd.Flags())
	f := cmd.Flags()
	for _, name := range execHidden {
		if fl := f.Lookup(name); fl != nil {
			fl.Hidden = true
		}
	}
	if fl := f.Lookup("concurrency"); fl != nil {
		fl.Usage = "items (account × region) run at once [env " + envName("concurrency") + "]"
	}
	if f.Lookup("regions") == nil {
		f.String("regions", regions.AllEnabled, "regions to run in: R1,R2 or all-enabled (every region enabled in each account, from ec2:DescribeRegions)")
	}
	f.StringVar(&o.role, "role", "", "role NAME (or /path/NAME) assumed in every account (default: --collect-role)")
	f.DurationVar(&o.timeout, "timeout", 15*time.Minute, "time allowed to one item's command; it is then stopped (0: no limit)")
	f.StringVar(&o.params, "params", "", "JSON file of parameters shared by every item (ORGIAM_PARAMS)")
	f.StringVar(&o.credentials, "credentials", execrun.CredentialsEndpoint, "how the command gets its credentials: endpoint (refreshed) or env (keys in the environment)")
	f.IntVar(&o.maxOutput, "max-output", execrun.DefaultMaxOutput, "bytes kept of each of an item's stdout and stderr (the first and last half)")
	return cmd
}

// regionsValue reads --regions, whether exec registered it or the
// configuration table does (as a list or a string).
func regionsValue(fs *pflag.FlagSet) (value, src string) {
	fl := fs.Lookup("regions")
	if fl.Changed {
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			return strings.Join(sv.GetSlice(), ","), "--regions"
		}
		return fl.Value.String(), "--regions"
	}
	if _, ok := config.FieldByName("regions"); ok {
		if v, env := envDefault("regions"); env != "" {
			return v, env
		}
	}
	return regions.AllEnabled, "--regions"
}

func runExecCmd(cmd *cobra.Command, stdio IO, args []string, o execOptions) error {
	// Every check of the input comes before anything is created or called.
	dash := cmd.ArgsLenAtDash()
	switch {
	case dash < 0 && len(args) > 0:
		return usageErr(fmt.Errorf("put the command after --: orgiam exec [flags] -- %s", strings.Join(args, " ")))
	case dash > 0:
		return usageErr(fmt.Errorf("unexpected argument %q before --: the command goes after --", args[0]))
	case len(args) == 0:
		return usageErr(errors.New("no command after --: orgiam exec [flags] -- COMMAND [ARGS...]"))
	}
	argv, err := execrun.ResolveCommand(args)
	if err != nil {
		return usageErr(err)
	}
	raw, src := regionsValue(cmd.Flags())
	sel, err := regions.Parse(raw)
	if err != nil {
		return usageErr(fmt.Errorf("%s: %w", src, err))
	}
	opts := execrun.Options{Command: argv, Regions: sel, Timeout: o.timeout, Credentials: o.credentials,
		MaxOutput: o.maxOutput, Environ: os.Environ()}
	if o.params != "" {
		if opts.Params, err = execrun.ReadParams(o.params); err != nil {
			return usageErr(fmt.Errorf("--params: %w", err))
		}
	}
	if o.role != "" {
		if opts.RoleName, opts.RolePath, err = execrun.ParseRole(o.role); err != nil {
			return usageErr(fmt.Errorf("--role: %w", err))
		}
	}
	switch {
	case o.timeout < 0:
		return usageErr(fmt.Errorf("--timeout %v: give a duration, or 0 for no limit", o.timeout))
	case o.credentials != execrun.CredentialsEndpoint && o.credentials != execrun.CredentialsEnv:
		return usageErr(fmt.Errorf("--credentials %q: expected %s or %s", o.credentials, execrun.CredentialsEndpoint, execrun.CredentialsEnv))
	case o.maxOutput < 1024:
		return usageErr(fmt.Errorf("--max-output %d: at least 1024 bytes", o.maxOutput))
	}
	cfg, err := config.Load(cmd.Flags(), os.LookupEnv)
	if err != nil {
		return err
	}
	if err := config.CheckEnv(os.Environ(), cfg); err != nil {
		return err
	}
	return runExec(cmd.Context(), stdio, cfg, awsauth.Options{}, opts)
}

func runExec(ctx context.Context, stdio IO, cfg *config.Config, authOpts awsauth.Options, opts execrun.Options) error {
	if authOpts.SessionName == "" {
		authOpts.SessionName = awsauth.SessionName("exec")
	}
	env, err := newEnv(ctx, stdio, cfg, authOpts)
	if err != nil {
		return err
	}
	res, err := execrun.Run(ctx, env, opts)
	if err != nil {
		if errors.Is(err, execrun.ErrInterrupted) && len(res.Results.Items) > 0 {
			printExec(stdio, env.Store.String(), res.Results)
		}
		return err
	}
	printExec(stdio, env.Store.String(), res.Results)
	ns, _ := env.Notifiers() // checked by newEnv
	if len(ns) > 0 {
		notify.Send(ctx, env.Log, ns, execrun.Summary(res.Results))
	}
	if res.Results.Totals.Problems() > 0 {
		return &exitError{code: ExitAccountFailed, err: errSilent}
	}
	return nil
}

func printExec(stdio IO, storeURL string, res execrun.Results) {
	_ = tableout.Write(stdio.Out, "table", execrun.TableColumns, execrun.TableRows(res.Items))
	t := res.Totals
	fmt.Fprintf(stdio.Out, "\nrun %s: %d items: %d ok, %d failed, %d timed out, %d could not run, %d cancelled, %d skipped\n",
		res.Run, t.Items, t.OK, t.Failed, t.Timeout, t.Error, t.Cancelled, t.Skipped)
	fmt.Fprintf(stdio.Out, "results: %s/%s/exec/%s\n", strings.TrimSuffix(storeURL, "/"), res.Run, execrun.ResultsCSV)
}
