package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/diff"
)

func newDiff(stdio IO) *cobra.Command {
	var storeURL, from, to, format, kinds, out, region, profile string
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "What changed between two runs: principals, attachments, policies, trusts, keys, passwords, MFA, findings",
		Long: `diff compares two complete runs of the store, by default the latest complete
run with the complete run that finished before it started. It lists principals
added and removed; policies attached and detached, directly, through a group or
as a permissions boundary; policies whose statements changed after
normalisation (string or list, order, case of actions), with the new default
version; new and removed cross-account, external and public role trusts;
access keys created, deleted, activated and deactivated; console passwords and
MFA added or removed; findings new and resolved (by check and principal).
Every change has a severity. Last-used times, report timestamps and a new
policy version id with the same document are not changes.

Runs of different organizations, and incomplete runs, are refused; --from must
be earlier than --to. Each collect also writes reports/diff.json of the run
against the previous complete run.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			ks, err := diff.ParseKinds(kinds)
			if err != nil {
				return usageErr(err)
			}
			switch format {
			case "table", "json", "md", "html":
			default:
				return usageErr(fmt.Errorf("--format %q: use table, json, md or html", format))
			}
			cfg := config.Defaults()
			cfg.Store, cfg.Region, cfg.Profile = storeURL, region, profile
			st, err := openStore(ctx, cfg, awsauth.Options{})
			if err != nil {
				return err
			}
			f, t, err := diff.Resolve(ctx, st, from, to)
			if err != nil {
				return diffErr(err)
			}
			rep, err := diff.Compare(ctx, st, f, t, diff.Options{Kinds: ks})
			if err != nil {
				return diffErr(err)
			}
			w := stdio.Out
			if out != "" {
				file, err := os.OpenFile(out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
				if err != nil {
					return usageErr(fmt.Errorf("--out: %w", err))
				}
				defer file.Close()
				w = file
			}
			return diff.Write(w, format, rep)
		},
	}
	fl := cmd.Flags()
	storeFlags(fl, &storeURL, &region, &profile)
	fl.StringVar(&from, "from", "", "older run, YYYY-MM-DD or YYYY-MM-DD/RUN-ID (default: the complete run before --to)")
	fl.StringVar(&to, "to", "", "newer run (default: the latest complete run)")
	fl.StringVar(&format, "format", "table", "output format: table, json, md or html")
	fl.StringVar(&kinds, "kind", "", "only these kinds of change (comma list): "+joinKinds())
	fl.StringVar(&out, "out", "", "write to FILE instead of standard output")
	return cmd
}

func joinKinds() string {
	s := ""
	for i, k := range diff.Kinds {
		if i > 0 {
			s += ", "
		}
		s += k
	}
	return s
}

// diffErr makes refusals of the comparison usage errors (exit 2).
func diffErr(err error) error {
	var nc *diff.NotComparableError
	var ue *diff.UsageError
	if errors.As(err, &nc) || errors.As(err, &ue) {
		return usageErr(err)
	}
	return err
}
