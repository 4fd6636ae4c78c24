// Command gen writes deploy/stepfunctions/orgiam-inline.asl.json, derived from
// the Distributed Map definition deploy/stepfunctions/orgiam.asl.json. Run it
// from deploy/ (go generate ./deploy does).
package main

import (
	"fmt"
	"os"

	"github.com/orgiam/orgiam/deploy"
)

func main() {
	src, err := os.ReadFile(deploy.DistributedDefinitionPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err, "(run from the deploy/ directory)")
		os.Exit(1)
	}
	out, err := deploy.InlineDefinition(src)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(deploy.InlineDefinitionPath, out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
