// Command gen writes deploy/stepfunctions/orgiam-inline.asl.json, derived from
// the Distributed Map definition deploy/stepfunctions/orgiam.asl.json, and
// the copies of the definition and of the collect role template that the
// Terraform module carries so that it works outside this repository. Run it
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
		fail(fmt.Errorf("%w (run from the deploy/ directory)", err))
	}
	out, err := deploy.InlineDefinition(src)
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(deploy.InlineDefinitionPath, out, 0o644); err != nil {
		fail(err)
	}
	for copyPath, srcPath := range deploy.ModuleCopies {
		b, err := os.ReadFile(srcPath)
		if err != nil {
			fail(err)
		}
		if err := os.WriteFile(copyPath, b, 0o644); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}
