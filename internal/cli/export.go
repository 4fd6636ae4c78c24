package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/export"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

func newExport(stdio IO) *cobra.Command {
	var f readFlags
	var layout, out string
	cmd := &cobra.Command{
		Use:   "export --layout iam-collect --out DIR|s3://BUCKET/PREFIX",
		Short: "Write a snapshot in another tool's storage layout",
		Long: `export writes the run (the latest complete run of --store by default) in the
storage layout of another tool, so that the tools reading that layout run on
orgiam data.

--layout iam-collect: the layout of cloud-copilot/iam-collect (its
docs/Storage.md): aws/<partition>/accounts/<account>/iam/<type>/<name>/*.json
and aws/<partition>/organizations/<org>/*.json. Organization policies,
resource policies and iam-collect's search indexes are not in orgiam
snapshots and are not written; accounts that were not scanned are left out
(listed on stderr).

--out is a folder (created if needed) or s3://bucket/prefix (--region and
--profile apply to it as to --store). Files already there are overwritten,
others are kept.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			if layout != "iam-collect" {
				return usageErr(fmt.Errorf("--layout %q: the only layout is iam-collect", layout))
			}
			if out == "" {
				return usageErr(errors.New("--out: required (a folder or s3://bucket/prefix)"))
			}
			loc, err := store.ParseURL(out)
			if err != nil {
				return usageErr(fmt.Errorf("--out: %w", err))
			}
			src, run, err := f.open(ctx, false)
			if err != nil {
				return err
			}
			var dst store.Store
			if loc.Scheme == "s3" {
				awsCfg, err := awsauth.LoadBase(ctx, awsauth.Options{Region: f.region, Profile: f.profile})
				if err != nil {
					return usageErr(fmt.Errorf("--out: %w", err))
				}
				// The S3 store keeps its prefix itself.
				if dst, err = store.Open(ctx, out, &awsCfg); err != nil {
					return usageErr(fmt.Errorf("--out: %w", err))
				}
			} else {
				dst = store.NewFile(loc.Path)
			}
			if err := dst.Check(ctx); err != nil {
				return usageErr(fmt.Errorf("--out %s: %w", out, err))
			}
			sum, err := export.IAMCollect(ctx, snapshot.Reader{Store: src, Run: run}, dst, "")
			if err != nil {
				return fmt.Errorf("export of run %s to %s: %w", run, dst, err)
			}
			for _, s := range sum.Skipped {
				fmt.Fprintln(stdio.Err, "orgiam: left out: account "+s)
			}
			fmt.Fprintf(stdio.Out, "exported run %s to %s (iam-collect layout): %d accounts (%d left out), %d organizations, %d users, %d roles, %d groups, %d customer managed and %d AWS managed policy copies; %d files\n",
				run, dst, sum.Accounts, len(sum.Skipped), sum.Organizations, sum.Users, sum.Roles, sum.Groups, sum.Policies, sum.AWSPolicies, sum.Files)
			return nil
		},
	}
	f.register(cmd, "")
	cmd.Flags().StringVar(&layout, "layout", "iam-collect", "storage layout to write: iam-collect")
	cmd.Flags().StringVar(&out, "out", "", "where to write: a folder or s3://bucket/prefix")
	return cmd
}
