package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/report"
	"github.com/orgiam/orgiam/internal/snapshot"
)

func newReport(stdio IO) *cobra.Command {
	var f readFlags
	var source, aggregator string
	var includePass bool
	cmd := &cobra.Command{
		Use:   "report users|credentials|findings|summary",
		Short: "Org-wide IAM reports: every user with their privileges, credential reports, CIS IAM findings",
		Long: `report writes one org-wide report of a run (the latest complete run of --store
by default). Every collect run also writes them all under reports/.

  users        one row per IAM user: account, OU, console access, MFA, access keys
               (age, last use), groups, policies (direct and through groups),
               boundary, tags, and the administrator and stale flags
  credentials  every account's credential report in one CSV, account id and name first
  findings     the CIS AWS Foundations Benchmark IAM checks (v5.0 numbering, and the
               v1.4–4.0 number alongside), one row per account, principal and check
  summary      per-account counts

--source config-aggregator builds the users report from an organization-wide
AWS Config aggregator instead (no role needed in each account); the columns
Config does not record (keys, MFA, console, last use) are empty and the report
says so.`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{report.KindUsers, report.KindCredentials, report.KindFindings, report.KindSummary},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			kind := args[0]
			switch kind {
			case report.KindUsers, report.KindCredentials, report.KindFindings, report.KindSummary:
			default:
				return usageErr(fmt.Errorf("unknown report %q (users, credentials, findings or summary)", kind))
			}
			format := strings.ToLower(f.format)
			if format == "" {
				format = report.FormatCSV
			}
			switch format {
			case report.FormatCSV, report.FormatJSON, report.FormatMD, report.FormatHTML:
			default:
				return usageErr(fmt.Errorf("--format %q: expected csv, json, md or html", f.format))
			}
			o := report.Options{Now: stdio.now(), IncludePass: includePass}
			var doc report.Doc
			switch source {
			case "config-aggregator":
				if kind != report.KindUsers {
					return usageErr(fmt.Errorf("--source config-aggregator builds the users report only"))
				}
				if aggregator == "" {
					return usageErr(fmt.Errorf("--aggregator is required with --source config-aggregator"))
				}
				cfg, err := awsauth.LoadBase(ctx, awsauth.Options{Region: f.region, Profile: f.profile})
				if err != nil {
					return usageErr(err)
				}
				users, notes, err := report.UsersFromConfigAggregator(ctx, cfg, aggregator, o)
				if err != nil {
					return err
				}
				if doc, err = report.NewDoc(kind, users); err != nil {
					return err
				}
				doc.Notes = notes
				if format == report.FormatCSV {
					for _, n := range notes {
						fmt.Fprintln(stdio.Err, "note: "+n)
					}
				}
			case "snapshot", "":
				st, run, err := f.open(ctx, false)
				if err != nil {
					return err
				}
				// Streamed: the accounts are read one by one, the rows
				// spooled, then written (memory does not grow with the
				// organization). --out is replaced only once the whole
				// report is written, so a run that cannot be read leaves it
				// untouched.
				w, commit, abort, err := f.output(stdio.Out)
				if err != nil {
					return err
				}
				defer abort()
				if err := report.WriteReport(ctx, snapshot.Reader{Store: st, Run: run}, o, kind, format, w); err != nil {
					return err
				}
				err = commit()
				return err
			default:
				return usageErr(fmt.Errorf("--source %q: expected snapshot or config-aggregator", source))
			}
			w, commit, abort, err := f.output(stdio.Out)
			if err != nil {
				return err
			}
			defer abort()
			if err := report.WriteDoc(w, format, doc); err != nil {
				return err
			}
			return commit()
		},
	}
	f.register(cmd, "csv, json, md, html (default csv)")
	cmd.Flags().StringVar(&source, "source", "snapshot", "where the data comes from: snapshot (a collected run) or config-aggregator")
	cmd.Flags().StringVar(&aggregator, "aggregator", "", "AWS Config aggregator name (with --source config-aggregator)")
	cmd.Flags().BoolVar(&includePass, "include-pass", false, "findings: list passing checks too")
	return cmd
}
