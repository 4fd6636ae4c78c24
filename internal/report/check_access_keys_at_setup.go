package report

import (
	"fmt"
	"strings"
)

// CheckAccessKeysAtSetup fails an IAM user with a console password and an
// active access key that was never used (needs the credential report). CIS
// 1.10's audit reads the credential report this way: a key that was never
// used by a console user was most likely created with the user, by the
// console's default, and is not needed.
var CheckAccessKeysAtSetup = Check{
	ID: "1.10", Legacy: "1.11", Severity: SeverityMedium,
	Title:       "Do not create access keys during initial setup for IAM users with a console password",
	Rationale:   "Access keys created with a console user are long-lived credentials nobody asked for; unused, they only wait to leak.",
	Remediation: "Delete the user's unused access keys (aws iam delete-access-key); create keys later only for a user who needs programmatic access, and prefer roles.",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html",
	},
	Compliance: cis("1.10", "1.11"),
	evaluate:   evalAccessKeysAtSetup,
}

func evalAccessKeysAtSetup(s *subject) []result {
	var out []result
	for _, p := range s.principals() {
		if p.row == nil || !p.row.PasswordEnabled.Bool() {
			continue
		}
		var unused []string
		for i, k := range p.row.AccessKeys {
			if !k.Active || k.LastUsedDate != nil {
				continue
			}
			what := fmt.Sprintf("access key %d", i+1)
			if k.LastRotated != nil {
				what += " (created " + fmtDate(k.LastRotated)
				if c := p.row.UserCreationTime; c != nil && k.LastRotated.Sub(*c) >= 0 && k.LastRotated.Sub(*c).Minutes() < 10 {
					what += ", with the user"
				}
				what += ")"
			}
			unused = append(unused, what)
		}
		if len(unused) > 0 {
			out = append(out, fail(p.who(), "Console user with an active access key never used: "+strings.Join(unused, ", ")+"."))
		} else {
			out = append(out, pass(p.who(), "Console user without an active access key that was never used."))
		}
	}
	return out
}
