package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/exposure"
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
  orgiam query resources [--public] [--cross-account] [--external] [--service S] [--account A]
                                             resources whose resource-based policy or S3 ACL
                                             reaches anyone, other accounts of the organization,
                                             or accounts outside it (see query resources --help)
  orgiam query unused [--account A] [--principal ARN]
                                             granted and not used (rows of ` + "`orgiam policy unused`" + `)
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
			return usageErr(fmt.Errorf("unknown query %q (key, principal, trusts, can, admins, resources, unused or sql; see `orgiam query --help`)", args[0]))
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
		newQueryResources(run),
		newQueryUnused(run),
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

// queryResourcesHelp is `query resources --help`: what each class and the
// conditional label mean.
const queryResourcesHelp = `resources lists, one row per resource, the resources of the run whose
resource-based policy (S3 bucket, KMS key, SQS queue, SNS topic, Lambda function
or alias, Secrets Manager secret, ECR repository or registry, …) or S3 ACL grants
access beyond their own account:

  public         anyone: Principal "*" or {"AWS": "*"}, NotPrincipal in an Allow,
                 a web identity provider, an ACL grant to AllUsers or
                 AuthenticatedUsers
  external       an account in no organization of the run (or an organization that
                 is not one of the run's, or a principal whose account cannot be told)
  cross-account  another account of an organization of the run

--public, --cross-account and --external keep resources with a grant of that class
(several flags: any of them; none: all three). Without a restricting condition a
grant counts as its principal says. Restricting conditions are honoured and shown:
aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:PrincipalAccount, aws:PrincipalArn,
aws:SourceAccount, aws:SourceOwner, aws:SourceOrgID and aws:SourceArn narrow who is
reached ("*" with aws:PrincipalOrgID of the run's organization is cross-account,
not public); aws:SourceIp, aws:SourceVpc, aws:SourceVpce and kms:ViaService narrow
where from and keep the class. They restrict only with a positive operator
(StringEquals, StringLike, ArnEquals, ArnLike, IpAddress, ForAnyValue:…) and fixed
values; an IfExists operator, ForAllValues:, a wildcard or a policy variable does
not restrict. A Deny of everyone with one negated restricting condition ("deny
unless aws:PrincipalOrgID is ours") restricts the Allow it covers; a Deny of
everyone without condition cancels it; any other Deny is not counted (exposure can
be overstated, never hidden).

The exposure column is the widest selected class the resource reaches. conditional
is "yes" when every grant of that class carries a restricting condition (a public
bucket open only to one CIDR is "public", conditional "yes", with its condition in
conditions): S3 calls such a policy non-public. It is "no" when at least one grant
reaches that class with no restricting condition.

S3: a bucket policy that is public (a public grant without restricting condition)
is neutralised by RestrictPublicBuckets of the bucket or the account (only the
owner account and AWS services keep access), and public ACL grants by
IgnorePublicAcls: such grants are not listed (the index keeps them in
resource_grants.blocked_by). BlockPublicPolicy and BlockPublicAcls only refuse new
public policies and ACLs and change nothing here.

Columns: account_id, account_name, region, service, type, name, arn, exposure,
conditional, principals, conditions, statements (Sid or #index), grants (each
selected grant: class, principal, statement and actions, [conditions]).`

// newQueryResources is `query resources`.
func newQueryResources(run func(fn func(ctx context.Context, db *index.DB, args []string) (index.Rows, error)) func(*cobra.Command, []string) error) *cobra.Command {
	var f index.ResourceFilter
	c := &cobra.Command{
		Use:   "resources",
		Short: "Resources whose policy reaches anyone, other accounts of the organization, or accounts outside it",
		Long:  queryResourcesHelp,
		Args:  cobra.NoArgs,
	}
	query := run(func(ctx context.Context, db *index.DB, _ []string) (index.Rows, error) {
		return db.Resources(ctx, f)
	})
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if f.Service != "" {
			f.Service = strings.ToLower(strings.TrimSpace(f.Service))
			if !exposure.KnownService(f.Service) {
				return usageErr(fmt.Errorf("--service %q: unknown service%s (valid: %s)", f.Service, closest(f.Service, exposure.Services), strings.Join(exposure.Services, ", ")))
			}
		}
		return query(cmd, args)
	}
	c.Flags().BoolVar(&f.Public, "public", false, "resources reachable by anyone")
	c.Flags().BoolVar(&f.CrossAccount, "cross-account", false, "resources reachable by other accounts of the organization")
	c.Flags().BoolVar(&f.External, "external", false, "resources reachable by accounts outside every organization of the run")
	c.Flags().StringVar(&f.Service, "service", "", "only this service: "+strings.Join(exposure.Services, ", "))
	c.Flags().StringVar(&f.Account, "account", "", "only resources of this account (id, name or alias)")
	return c
}

// closest is " (did you mean X?)" for the nearest of names, or "".
func closest(v string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := levenshtein.Distance(v, n, nil); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}
