package report

import (
	"sort"
	"strings"

	"github.com/orgiam/orgiam/internal/iamarn"
)

// CheckCloudShellFullAccess fails a user, group or role with the AWS managed
// policy AWSCloudShellFullAccess attached (needs users.json, groups.json or
// roles.json). CIS added it in v3.0 (1.22); v5.0 numbers it 1.21.
var CheckCloudShellFullAccess = Check{
	ID: "1.21", Legacy: "1.22", Severity: SeverityMedium,
	Title:       "Ensure access to AWSCloudShellFullAccess is restricted",
	Rationale:   "AWSCloudShellFullAccess lets its holder upload and download files to a shell with internet access and sudo: a path to move data out of the account past other controls.",
	Remediation: "Detach AWSCloudShellFullAccess and grant the CloudShell actions a user needs, denying cloudshell:PutFileUploads and cloudshell:GetFileDownloadUrls where file transfer is not wanted.",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/cloudshell/latest/userguide/sec-auth-with-identities.html",
	},
	Compliance: cisSince("1.21", "1.22", "3.0"),
	evaluate:   evalCloudShellFullAccess,
}

func evalCloudShellFullAccess(s *subject) []result {
	if !s.a.hasEntities() {
		return nil
	}
	var out []result
	for _, e := range s.a.entities() {
		for _, p := range e.attached {
			if a, ok := iamarn.Parse(p.PolicyArn); ok && a.AccountID == "aws" && a.Name == "AWSCloudShellFullAccess" {
				out = append(out, fail(e.arn, "AWSCloudShellFullAccess is attached to the "+e.kind+"."))
				break
			}
		}
	}
	if len(out) == 0 {
		return []result{pass(PrincipalAccount, "AWSCloudShellFullAccess is attached to no user, group or role.")}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.Compare(out[i].principal, out[j].principal) < 0 })
	return out
}
