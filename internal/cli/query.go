package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/index"
	"github.com/orgiam/orgiam/internal/tableout"
)

func newQuery(stdio IO) *cobra.Command {
	var f readFlags
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Answer org-wide questions from a run's SQLite index",
		Long: `query answers questions from index.sqlite of a run (the latest complete run of
--store by default). Output is an aligned table on a terminal; --format json or
csv otherwise.

  orgiam query key AKIA…                     which user, account and status own an access key id
  orgiam query principal NAME|ARN|GLOB       find principals across the organization
  orgiam query trusts [--account ID] [--external]
                                             roles in ID (default: every account) that other
                                             accounts can assume, or only accounts outside the org
  orgiam query can ACTION [--resource ARN]   principals whose identity policies allow ACTION
  orgiam query admins                        principals with administrator access
  orgiam query sql "SELECT …"                read-only SQL for anything else

"query can" is an approximation: it reads identity policies only (inline,
attached customer and AWS managed, and those reached through groups), honours
wildcards ("s3:Get*" allows "s3:GetObject") and subtracts explicit Deny
statements of the same policies, but does not evaluate SCPs, permission
boundaries, resource policies, session policies or conditions (statements with
conditions are flagged).`,
	}
	f.register(cmd, "table, json, csv (default table)")
	// Without a Run, cobra prints the help and exits 0 for `query foo`.
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageErr(fmt.Errorf("unknown query %q (key, principal, trusts, can, admins or sql; see `orgiam query --help`)", args[0]))
		}
		return c.Help()
	}

	run := func(fn func(ctx context.Context, db *index.DB, args []string) (index.Rows, error)) func(*cobra.Command, []string) error {
		return func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			st, runID, err := f.open(ctx, true)
			if err != nil {
				return err
			}
			path, cleanup, err := indexPath(ctx, st, runID)
			if err != nil {
				return err
			}
			defer cleanup()
			db, err := index.Open(path)
			if err != nil {
				return err
			}
			defer db.Close()
			rows, err := fn(ctx, db, args)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			w, commit, abort, err := f.output(stdio.Out)
			if err != nil {
				return err
			}
			defer abort()
			format := f.format
			if format == "" {
				format = "table"
			}
			if err := tableout.Write(w, format, rows.Columns, rows.Data); err != nil {
				return usageErr(fmt.Errorf("--format: %w", err))
			}
			return commit()
		}
	}

	var account, resource string
	var external bool
	trusts := &cobra.Command{Use: "trusts", Short: "Roles that can be assumed from other accounts, or from outside the organization", Args: cobra.NoArgs,
		RunE: run(func(ctx context.Context, db *index.DB, _ []string) (index.Rows, error) {
			return db.Trusts(ctx, account, external)
		})}
	trusts.Flags().StringVar(&account, "account", "", "only roles in this account (id or name)")
	trusts.Flags().BoolVar(&external, "external", false, "only trusts to principals outside every organization of the run")
	can := &cobra.Command{Use: "can ACTION", Short: "Principals whose identity policies allow ACTION (an approximation: see `orgiam query --help`)", Args: cobra.ExactArgs(1),
		RunE: run(func(ctx context.Context, db *index.DB, a []string) (index.Rows, error) {
			return db.Can(ctx, a[0], resource)
		})}
	can.Flags().StringVar(&resource, "resource", "", "resource ARN the action is on (default: any resource)")
	cmd.AddCommand(
		&cobra.Command{Use: "key ACCESS-KEY-ID", Short: "Which user, account and status own an access key id", Args: cobra.ExactArgs(1),
			RunE: run(func(ctx context.Context, db *index.DB, a []string) (index.Rows, error) { return db.Key(ctx, a[0]) })},
		&cobra.Command{Use: "principal NAME|ARN|GLOB", Short: "Find users, roles and groups by name, ARN or glob (* and ?)", Args: cobra.ExactArgs(1),
			RunE: run(func(ctx context.Context, db *index.DB, a []string) (index.Rows, error) {
				return db.Principal(ctx, a[0])
			})},
		trusts, can,
		&cobra.Command{Use: "admins", Short: "Principals with administrator access (directly or through a group)", Args: cobra.NoArgs,
			RunE: run(func(ctx context.Context, db *index.DB, _ []string) (index.Rows, error) { return db.Admins(ctx) })},
		&cobra.Command{Use: "sql QUERY", Short: "Run read-only SQL on the index (schema: internal/index/schema.sql)", Args: cobra.ExactArgs(1),
			RunE: run(func(ctx context.Context, db *index.DB, a []string) (index.Rows, error) { return db.SQL(ctx, a[0]) })},
	)
	return cmd
}
