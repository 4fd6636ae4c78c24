package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/config"
)

func newInit(stdio IO) *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented orgiam.yaml with every option and its default",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "-" {
				_, err := stdio.Out.Write(config.Template())
				return err
			}
			if _, err := os.Stat(out); err == nil && !force {
				return usageErr(fmt.Errorf("%s already exists (pass --force to replace it, or --out FILE)", out))
			} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if err := os.WriteFile(out, config.Template(), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(stdio.Out, "wrote %s: uncomment and edit the settings you need, then run `orgiam collect --config %s`\n", out, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "orgiam.yaml", "file to write (- for standard output)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing file")
	return cmd
}
