// Command orgiam inventories and audits AWS IAM across every account of one
// or more AWS Organizations.
package main

import (
	"os"

	"github.com/orgiam/orgiam/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
