package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/pipeline"
)

func newIndex(stdio IO) *cobra.Command {
	var f readFlags
	var outFile string
	cmd := &cobra.Command{
		Use:   "index",
		Short: "(Re)build a run's index.sqlite from its stored files",
		Long: `index builds index.sqlite in the run folder from the stored files only, so it
can be rebuilt at any time (collect builds it after every scan). The schema is
internal/index/schema.sql.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cfgStore, run, err := f.open(ctx, true)
			if err != nil {
				return err
			}
			if outFile != "" {
				st, err := pipeline.IndexFile(ctx, localEnv(cfgStore, stdio), run, outFile)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdio.Out, "%s: %d rows (%d principals, %d statements), %d bytes\n", outFile, st.Rows, st.Principals, st.Statements, st.Bytes)
				return nil
			}
			out, err := pipeline.Index(ctx, localEnv(cfgStore, stdio), pipeline.IndexInput{Run: run})
			if err != nil {
				return fmt.Errorf("%w (to build the index from a store you cannot write, pass --out FILE)", err)
			}
			fmt.Fprintf(stdio.Out, "%s/%s: %d rows (%d principals, %d statements), %d bytes\n", cfgStore, out.Key, out.Rows, out.Principals, out.Statements, out.Bytes)
			return nil
		},
	}
	f.register(cmd, "")
	cmd.Flags().StringVar(&outFile, "out", "", "write the index to FILE instead of into the run (for a read-only store)")
	return cmd
}
