// Command checksdoc writes docs/checks.md from the checks' metadata
// (report.ChecksMarkdown). Run by go generate in internal/report.
package main

import (
	"fmt"
	"os"

	"github.com/orgiam/orgiam/internal/report"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: checksdoc FILE")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], report.ChecksMarkdown(), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "checksdoc:", err)
		os.Exit(1)
	}
}
