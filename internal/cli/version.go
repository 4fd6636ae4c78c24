package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/version"
)

func newVersion(stdio IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print orgiam's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(stdio.Out, "orgiam %s %s/%s %s\n", version.String(), runtime.GOOS, runtime.GOARCH, runtime.Version())
			return nil
		},
	}
}
