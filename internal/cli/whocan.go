package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/access"
	"github.com/orgiam/orgiam/internal/tableout"
)

func newWhoCan(stdio IO) *cobra.Command {
	var f readFlags
	var cacheDir string
	var resource, resourceAccount string
	var conditional bool
	var depth int
	cmd := &cobra.Command{
		Use:   "who-can ACTION [--resource ARN] [--include-conditional]",
		Short: "Every principal of every account that can do ACTION, with the path",
		Long: `who-can evaluates ACTION on --resource (default *) for every user and role of
the run (the latest complete run of --store by default) with AWS's evaluation
logic, and follows role assumption: a principal that can assume a role (its
permissions and the role's trust policy both evaluated) can do what the role
can, across accounts. The "via" column is the chain of roles, first to last;
chains are at most --max-depth roles long and a principal is reached once.

Answers that depend on context keys the snapshot cannot know (MFA, source IP,
time, tags of the request …) are conditional: listed with --include-conditional,
with the keys. Without --resource-account, a resource whose ARN names no account
(S3) is evaluated as if it were in each principal's own account.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			action := args[0]
			if err := checkAction("ACTION", action); err != nil {
				return err
			}
			if resource == "" {
				resource = "*"
			}
			if resource != "*" && !strings.HasPrefix(resource, "arn:") {
				return usageErr(fmt.Errorf("--resource %q: not an ARN (or \"*\")", resource))
			}
			if depth < 0 {
				return usageErr(errors.New("--max-depth: must be 0 or more"))
			}
			format := f.format
			if format == "" {
				format = "table"
			}
			defer access.GCForLoad()()
			o, err := loadOrg(c.Context(), &f, cacheDir)
			if err != nil {
				return err
			}
			for _, n := range append(actionNotes(action), orgNotes(o)...) {
				fmt.Fprintln(stdio.Err, "orgiam: "+n)
			}
			d := depth
			if d == 0 {
				d = -1
			}
			grants, err := o.WhoCan(c.Context(), access.Ask{Action: action, Resource: resource, ResourceAccount: resourceAccount}, access.WhoCanOptions{IncludeConditional: conditional, MaxDepth: d})
			if err != nil {
				return err
			}
			rows := make([][]string, 0, len(grants))
			for _, g := range grants {
				rows = append(rows, []string{g.Principal, g.Kind, g.Account, g.Decision, strings.Join(g.Via, " > "), strings.Join(g.UnknownKeys, " ")})
			}
			w, commit, abort, err := f.output(stdio.Out)
			if err != nil {
				return err
			}
			defer abort()
			if err := tableout.Write(w, format, []string{"principal", "kind", "account", "decision", "via", "unknown_keys"}, rows); err != nil {
				return usageErr(fmt.Errorf("--format: %w", err))
			}
			return commit()
		},
	}
	f.register(cmd, "table, json, csv (default table)")
	cacheDirFlag(cmd, &cacheDir)
	cmd.Flags().StringVar(&resource, "resource", "", "the resource ARN (default *)")
	cmd.Flags().StringVar(&resourceAccount, "resource-account", "", "the resource's account when its ARN does not say (S3)")
	cmd.Flags().BoolVar(&conditional, "include-conditional", false, "also list principals whose access depends on unknown context keys")
	cmd.Flags().IntVar(&depth, "max-depth", 3, "longest chain of role assumptions followed (0: none)")
	return cmd
}

func newCan(stdio IO) *cobra.Command {
	var f readFlags
	var cacheDir string
	var service string
	var canDepth int
	cmd := &cobra.Command{
		Use:   "can PRINCIPAL [--service S]",
		Short: "What a principal can do, per service and action, with resources",
		Long: `can lists every action of the IAM catalogue (of --service, if given) that the
principal's identity policies allow, on the resources the allowing statements
name, each evaluated in full with AWS's logic (boundary, SCPs and RCPs when
stored, denies, conditions). PRINCIPAL is a user or role ARN, or a role session
ARN. Conditional answers are listed with the keys they depend on. Roles the
principal can assume are the rows of sts:AssumeRole; with --max-depth N what
they grant is listed too, up to N assumptions away, each row with the chain of
roles in the via column (trust policies and permissions evaluated as for
who-can; each role reached once).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			format := f.format
			if format == "" {
				format = "table"
			}
			defer access.GCForLoad()()
			o, err := loadOrg(c.Context(), &f, cacheDir)
			if err != nil {
				return err
			}
			p, ok := o.Principal(args[0])
			if !ok {
				return usageErr(fmt.Errorf("PRINCIPAL %s: no such user or role in run %s", args[0], o.Run))
			}
			for _, n := range orgNotes(o) {
				fmt.Fprintln(stdio.Err, "orgiam: "+n)
			}
			if canDepth < 0 {
				return usageErr(errors.New("--max-depth: must be 0 or more"))
			}
			caps, err := o.CanFollow(c.Context(), p, service, canDepth)
			if err != nil {
				return usageErr(fmt.Errorf("--service: %w", err))
			}
			rows := make([][]string, 0, len(caps))
			s3 := false
			for _, cp := range caps {
				s3 = s3 || cp.Service == "s3"
				rows = append(rows, []string{cp.Service, cp.Action, cp.Resource, cp.Decision, strings.Join(cp.UnknownKeys, " "), strings.Join(cp.Via, " > ")})
			}
			if s3 {
				fmt.Fprintln(stdio.Err, "orgiam: "+s3Note)
			}
			w, commit, abort, err := f.output(stdio.Out)
			if err != nil {
				return err
			}
			defer abort()
			if err := tableout.Write(w, format, []string{"service", "action", "resource", "decision", "unknown_keys", "via"}, rows); err != nil {
				return usageErr(fmt.Errorf("--format: %w", err))
			}
			return commit()
		},
	}
	f.register(cmd, "table, json, csv (default table)")
	cacheDirFlag(cmd, &cacheDir)
	cmd.Flags().StringVar(&service, "service", "", "only this service prefix (s3, iam, …)")
	cmd.Flags().IntVar(&canDepth, "max-depth", 0, "also list what the roles PRINCIPAL can assume can do, up to this many assumptions away (the via column is the chain)")
	return cmd
}
