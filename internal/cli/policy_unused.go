package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/fanout"
	"github.com/orgiam/orgiam/internal/index"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/policygen"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
	"github.com/orgiam/orgiam/internal/tableout"
)

type policyUnusedOptions struct {
	days         int
	run, out     string
	format       string
	sleepForTest func(context.Context, time.Duration) error
}

func newPolicyUnused(stdio IO) *cobra.Command {
	var o policyUnusedOptions
	cmd := &cobra.Command{
		Use:   "unused [--days N]",
		Short: "Services and actions granted but not used, org-wide, from IAM's last-accessed data",
		Long: `unused asks IAM, in every account of a collected run, for the last-accessed
data of each user, role and group (GenerateServiceLastAccessedDetails, then
GetServiceLastAccessedDetails polled with backoff), through --collect-role and
the same worker pool and --rate-limit as collect. A service the principal's
policies grant and that was not used in the last --days days (or ever) is
one row; of a service used, each action IAM tracks and that was not used is
one row.

Output: --out FILE (.csv or .json, or --format), else reports/unused-access.json
and reports/unused-access.csv in the run read (--run, default the latest
complete run); when the run has an index, it is rebuilt with the rows
(table unused_access, ` + "`orgiam query unused`" + `). Accounts that fail are listed
and the exit code is 3.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(cmd.Flags(), os.LookupEnv)
			if err != nil {
				return err
			}
			return runPolicyUnused(cmd.Context(), stdio, cfg, awsauth.Options{}, o)
		},
	}
	config.RegisterFlags(cmd.Flags())
	f := cmd.Flags()
	f.IntVar(&o.days, "days", 90, "a service or action not used in this many days is unused (0: never used)")
	f.StringVar(&o.run, "run", "", "run to read the principals from, YYYY-MM-DD or YYYY-MM-DD/RUN-ID (default: the latest complete run)")
	f.StringVar(&o.out, "out", "", "write the report to FILE instead of the run's reports/")
	f.StringVar(&o.format, "format", "", "report format with --out: csv or json (default: from the file's extension)")
	return cmd
}

// unusedReport is reports/unused-access.json.
type unusedReport struct {
	Version   int    `json:"version"`
	Run       string `json:"run"`
	Generated string `json:"generated"`
	Days      int    `json:"days"`
	Accounts  int    `json:"accounts"`
	// Principals is the number of users, roles and groups asked about.
	Principals      int                    `json:"principals"`
	FailedAccounts  []unusedAccountError   `json:"failedAccounts"`
	PrincipalErrors []unusedPrincipalError `json:"principalErrors"`
	Unused          []policygen.Unused     `json:"unused"`
}

type unusedAccountError struct {
	Account string `json:"account"`
	Error   string `json:"error"`
}

type unusedPrincipalError struct {
	Account string `json:"account"`
	policygen.UnusedError
}

type unusedItem struct {
	account    string
	principals []string
	unused     []policygen.Unused
	errs       []policygen.UnusedError
	err        error
}

func runPolicyUnused(ctx context.Context, stdio IO, cfg *config.Config, authOpts awsauth.Options, o policyUnusedOptions) error {
	if o.days < 0 || o.days > 400 {
		return usageErr(fmt.Errorf("--days %d: must be 0 to 400 (IAM keeps 400 days of last-accessed data)", o.days))
	}
	format := o.format
	if o.out != "" && format == "" {
		format = strings.TrimPrefix(filepath.Ext(o.out), ".")
	}
	if o.out != "" && format != "csv" && format != "json" {
		return usageErr(fmt.Errorf("--out %s: say --format csv or json (or name the file .csv or .json)", o.out))
	}
	if o.out == "" && o.format != "" {
		return usageErr(fmt.Errorf("--format is for --out (the run's reports/ get both csv and json)"))
	}
	if authOpts.SessionName == "" {
		authOpts.SessionName = awsauth.SessionName("unused")
	}
	env, err := newEnv(ctx, stdio, cfg, authOpts)
	if err != nil {
		return err
	}
	run, err := snapshot.ResolveRun(ctx, env.Store, o.run)
	if err != nil {
		return usageErr(err)
	}
	r := snapshot.Reader{Store: env.Store, Run: run}
	accounts, err := r.Accounts(ctx)
	if err != nil {
		return err
	}
	items := make([]*unusedItem, 0, len(accounts))
	rep := unusedReport{Version: 1, Run: run, Generated: stdio.now().UTC().Format(time.RFC3339), Days: o.days, FailedAccounts: []unusedAccountError{}, PrincipalErrors: []unusedPrincipalError{}, Unused: []policygen.Unused{}}
	for _, a := range accounts {
		it := &unusedItem{account: a.ID}
		it.principals, it.err = snapshotPrincipals(ctx, r, a.ID)
		if it.err != nil {
			rep.FailedAccounts = append(rep.FailedAccounts, unusedAccountError{Account: a.ID, Error: "not in run " + run + ": " + it.err.Error()})
			continue
		}
		items = append(items, it)
	}
	opt := policygen.LastAccessedOptions{Now: stdio.now().UTC(), Days: o.days, Sleep: o.sleepForTest}
	err = fanout.Run(ctx, items, cfg.Concurrency, cfg.AccountTimeout, func(ctx context.Context, it *unusedItem) error {
		var err error
		it.unused, it.errs, err = policygen.LastAccessed(ctx, iam.NewFromConfig(env.AccountConfig(it.account)), it.account, it.principals, opt)
		return err
	}, func(res fanout.Result[*unusedItem]) {
		if res.Err != nil {
			res.Item.err = res.Err
		}
	})
	if err != nil {
		return err
	}
	rows := [][]string{}
	rep.Accounts = len(accounts)
	for _, it := range items {
		rep.Principals += len(it.principals)
		if it.err != nil {
			rep.FailedAccounts = append(rep.FailedAccounts, unusedAccountError{Account: it.account, Error: fmt.Sprintf("account %s: %v", it.account, it.err)})
		}
		for _, e := range it.errs {
			rep.PrincipalErrors = append(rep.PrincipalErrors, unusedPrincipalError{Account: it.account, UnusedError: e})
		}
		rep.Unused = append(rep.Unused, it.unused...)
		services, actions := 0, 0
		for _, u := range it.unused {
			if u.Action == "" {
				services++
			} else {
				actions++
			}
		}
		rows = append(rows, []string{it.account, fmt.Sprint(len(it.principals)), fmt.Sprint(services), fmt.Sprint(actions), fmt.Sprint(len(it.errs))})
	}
	sort.Slice(rep.FailedAccounts, func(i, j int) bool { return rep.FailedAccounts[i].Account < rep.FailedAccounts[j].Account })
	sort.SliceStable(rep.Unused, func(i, j int) bool {
		a, b := rep.Unused[i], rep.Unused[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		return a.Principal < b.Principal
	})
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	js = append(js, '\n')
	cs, err := unusedCSV(rep.Unused)
	if err != nil {
		return err
	}
	if o.out != "" {
		data := js
		if format == "csv" {
			data = cs
		}
		if err := writeFileAtomic(o.out, data); err != nil {
			return usageErr(fmt.Errorf("--out: %w", err))
		}
	} else {
		// JSON last: it is the report that lists failures, so a reader
		// that sees it sees the CSV of the same run of the command.
		if err := env.Store.Put(ctx, store.ReportKey(run, "unused-access.csv"), cs); err != nil {
			return err
		}
		if err := env.Store.Put(ctx, store.ReportKey(run, index.UnusedReport), js); err != nil {
			return err
		}
		// The run's index holds these rows (unused_access, `orgiam query
		// unused`): rebuilt from the stored files, report included, when
		// the run has one.
		has, err := env.Store.Exists(ctx, store.IndexKey(run))
		if err != nil {
			return err
		}
		if has {
			if _, err := pipeline.Index(ctx, env, pipeline.IndexInput{Run: run}); err != nil {
				return err
			}
		}
	}
	if err := tableout.Write(stdio.Out, "table", []string{"account", "principals", "unused services", "unused actions", "errors"}, rows); err != nil {
		return err
	}
	for _, f := range rep.FailedAccounts {
		fmt.Fprintf(stdio.Err, "orgiam: %s\n", f.Error)
	}
	if len(rep.FailedAccounts) > 0 {
		return &exitError{code: ExitAccountFailed, err: fmt.Errorf("%d of %d accounts failed", len(rep.FailedAccounts), len(accounts))}
	}
	return nil
}

// newQueryUnused is `orgiam query unused`: the rows of the run's last
// `policy unused`, from its index.
func newQueryUnused(run func(func(context.Context, *index.DB, []string) (index.Rows, error)) func(*cobra.Command, []string) error) *cobra.Command {
	var account, principal string
	cmd := &cobra.Command{Use: "unused", Short: "Services and actions granted and not used (from `orgiam policy unused`)", Args: cobra.NoArgs,
		RunE: run(func(ctx context.Context, db *index.DB, _ []string) (index.Rows, error) {
			return db.Unused(ctx, account, principal)
		})}
	cmd.Flags().StringVar(&account, "account", "", "only principals of this account (id or name)")
	cmd.Flags().StringVar(&principal, "principal", "", "only this user, role or group ARN")
	return cmd
}

// snapshotPrincipals lists the ARNs of an account's users, roles and
// groups in the run, sorted.
func snapshotPrincipals(ctx context.Context, r snapshot.Reader, account string) ([]string, error) {
	var users []snapshot.User
	var roles []snapshot.Role
	var groups []snapshot.Group
	for _, ds := range []struct {
		name string
		v    any
	}{{store.DataUsers, &users}, {store.DataRoles, &roles}, {store.DataGroups, &groups}} {
		if err := r.IAM(ctx, account, ds.name, ds.v); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, u := range users {
		out = append(out, u.Arn)
	}
	for _, x := range roles {
		out = append(out, x.Arn)
	}
	for _, g := range groups {
		out = append(out, g.Arn)
	}
	sort.Strings(out)
	return out, nil
}

func unusedCSV(rows []policygen.Unused) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"account", "principal", "service", "action", "last_accessed"})
	for _, u := range rows {
		w.Write([]string{u.Account, u.Principal, u.Service, u.Action, u.LastAccessed})
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it into place, 0600.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
