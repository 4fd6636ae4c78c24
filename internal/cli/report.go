package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/regions"
	"github.com/orgiam/orgiam/internal/report"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/version"
)

func newReport(stdio IO) *cobra.Command {
	var f readFlags
	var source, aggregator string
	var includePass bool
	var mutelistFile, failOnFlag, to string
	var checks, shRegions []string
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

The findings report also comes as --format ocsf (OCSF 1.x Detection
Findings, as Prowler writes them), asff (the AWS Security Finding Format) and
sarif (SARIF 2.1.0, for code-scanning views); --to security-hub imports it
into AWS Security Hub with BatchImportFindings instead of writing it.

--mutelist FILE marks the findings an accepted-risk list matches as muted:
they are listed with the reason and not counted. --fail-on high|medium|low
(findings and summary) exits 4 when unmuted FAIL findings of that severity
or higher remain.

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
			case report.FormatOCSF, report.FormatASFF, report.FormatSARIF:
				if kind != report.KindFindings {
					return usageErr(fmt.Errorf("--format %s: only the findings report has it (report findings --format %s)", format, format))
				}
			default:
				return usageErr(fmt.Errorf("--format %q: expected csv, json, md, html, or for findings ocsf, asff or sarif", f.format))
			}
			sev, err := parseFailOn(failOnFlag)
			if err != nil {
				return err
			}
			checkIDs, err := parseChecks(checks)
			if err != nil {
				return err
			}
			findingsKind := kind == report.KindFindings || kind == report.KindSummary
			if !findingsKind {
				for _, fl := range []string{"fail-on", "check", "mutelist"} {
					if cmd.Flags().Changed(fl) {
						return usageErr(fmt.Errorf("--%s: for the findings and summary reports, not %s", fl, kind))
					}
				}
			}
			switch to {
			case "":
			case "security-hub":
				if kind != report.KindFindings {
					return usageErr(fmt.Errorf("--to security-hub: imports the findings report (report findings --to security-hub), not %s", kind))
				}
				if cmd.Flags().Changed("format") || f.out != "" {
					return usageErr(fmt.Errorf("--to security-hub imports the findings and writes no file: leave out --format and --out"))
				}
			default:
				return usageErr(fmt.Errorf("--to %q: the only destination is security-hub", to))
			}
			for _, r := range shRegions {
				if sel, err := regions.Parse(r); err != nil || sel.AllEnabled {
					if err == nil {
						err = fmt.Errorf("%q: name the regions (e.g. us-east-1)", r)
					}
					return usageErr(fmt.Errorf("--security-hub-region %w", err))
				}
			}
			mutes, err := loadMutelist(mutelistFile, stdio.now(), stdio.Err)
			if err != nil {
				return err
			}
			o := report.Options{Now: stdio.now(), IncludePass: includePass, CheckIDs: checkIDs, ToolVersion: version.String()}
			if mutes != nil {
				o.Mutes = mutes
			}
			if len(shRegions) > 0 {
				o.ASFFRegion = shRegions[0]
			}
			tally := &report.Tally{}
			if findingsKind {
				o.Tally = tally
			}
			gate := func() error {
				return failOn(sev, tally.High, tally.Medium, tally.Low, tally.Muted)
			}
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
				if to == "security-hub" {
					if err := importSecurityHub(ctx, stdio, f, shRegions, snapshot.Reader{Store: st, Run: run}, o); err != nil {
						return err
					}
					return gate()
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
				if err := commit(); err != nil {
					return err
				}
				return gate()
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
	f.register(cmd, "csv, json, md, html, or for findings ocsf, asff, sarif (default csv)")
	cmd.Flags().StringVar(&source, "source", "snapshot", "where the data comes from: snapshot (a collected run) or config-aggregator")
	cmd.Flags().StringVar(&aggregator, "aggregator", "", "AWS Config aggregator name (with --source config-aggregator)")
	cmd.Flags().BoolVar(&includePass, "include-pass", false, "findings: list passing checks too")
	def, _ := envDefault("mutelist")
	cmd.Flags().StringVar(&mutelistFile, "mutelist", def, "YAML file of accepted findings: they are listed as muted and not counted [env "+envName("mutelist")+"]")
	def, _ = envDefault("fail-on")
	cmd.Flags().StringVar(&failOnFlag, "fail-on", def, "findings, summary: exit 4 when unmuted FAIL findings of this severity or higher remain: high, medium or low [env "+envName("fail-on")+"]")
	cmd.Flags().StringSliceVar(&checks, "check", nil, "findings, summary: only these checks, by CIS v5.0 id (comma list or repeated; see docs/checks.md)")
	cmd.Flags().StringVar(&to, "to", "", "findings: send instead of writing: security-hub (BatchImportFindings into the Security Hub of the current credentials' account)")
	cmd.Flags().StringSliceVar(&shRegions, "security-hub-region", nil, "regions the findings go to with --to security-hub, and the region of --format asff (default: --region, else the AWS config's region, else the partition's home region)")
	return cmd
}
