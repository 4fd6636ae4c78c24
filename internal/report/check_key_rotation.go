package report

import (
	"fmt"
	"strings"
)

// CheckKeyRotation fails an IAM user with an active access key older than
// Options.KeyMaxAgeDays days.
var CheckKeyRotation = Check{
	ID: "1.13", Legacy: "1.14", Severity: SeverityMedium,
	Title:       "Ensure access keys are rotated every 90 days or less",
	Rationale:   "The older a key, the more places it has been copied to; rotating bounds how long a leaked key stays good.",
	Remediation: "Create a second key, move the key's users to it, then deactivate and delete the old one.",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html#Using_RotateAccessKey",
	},
	Compliance: cis("1.13", "1.14"),
	evaluate:   evalKeyRotation,
}

func evalKeyRotation(s *subject) []result {
	o := s.o
	var out []result
	for _, p := range s.principals() {
		keys := activeKeys(p.user, p.row)
		if len(keys) == 0 {
			continue
		}
		var old []string
		for _, k := range keys {
			if k.created != nil && days(o.Now, *k.created) > o.KeyMaxAgeDays {
				old = append(old, fmt.Sprintf("%s created %s (%d days)", k.id, fmtDate(k.created), days(o.Now, *k.created)))
			}
		}
		if len(old) > 0 {
			out = append(out, fail(p.who(), fmt.Sprintf("Active access keys older than %d days: %s.", o.KeyMaxAgeDays, strings.Join(old, "; "))))
		} else {
			out = append(out, pass(p.who(), fmt.Sprintf("Every active access key is %d days old or less.", o.KeyMaxAgeDays)))
		}
	}
	return out
}
