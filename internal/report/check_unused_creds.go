package report

import (
	"fmt"
	"strings"
	"time"
)

// CheckUnusedCreds fails an IAM user with an enabled password or active
// access key unused for Options.UnusedDays days (needs the credential report).
var CheckUnusedCreds = Check{
	ID: "1.11", Legacy: "1.12", Severity: SeverityMedium,
	Title:       "Ensure credentials unused for 45 days or more are disabled",
	Rationale:   "A credential nobody uses is one nobody watches: disabling it removes a way in without taking anything from anyone.",
	Remediation: "Deactivate the unused access keys and remove the unused console password (or delete the user if nobody needs it).",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html",
	},
	Compliance: cis("1.11", "1.12"),
	evaluate:   evalUnusedCreds,
}

func evalUnusedCreds(s *subject) []result {
	o := s.o
	var out []result
	for _, p := range s.principals() {
		row := p.row
		if row == nil {
			continue
		}
		var unused []string
		creds := 0
		if row.PasswordEnabled.Bool() {
			creds++
			if s := unusedFor(row.PasswordLastUsed, row.PasswordLastChanged, p.user.CreateDate, o); s != "" {
				unused = append(unused, "password "+s)
			}
		}
		for i, k := range row.AccessKeys {
			if !k.Active {
				continue
			}
			creds++
			if s := unusedFor(k.LastUsedDate, k.LastRotated, nil, o); s != "" {
				unused = append(unused, fmt.Sprintf("access key %d %s", i+1, s))
			}
		}
		switch {
		case creds == 0:
		case len(unused) > 0:
			out = append(out, fail(p.who(), fmt.Sprintf("Enabled credentials unused for %d days or more: %s.", o.UnusedDays, strings.Join(unused, "; "))))
		default:
			out = append(out, pass(p.who(), fmt.Sprintf("Every enabled credential was used in the last %d days.", o.UnusedDays)))
		}
	}
	return out
}

// unusedFor describes a credential unused for UnusedDays or more ("" if it
// was used recently or is younger than that). A never-used credential counts
// from since (when it was set) or else from created.
func unusedFor(lastUsed, since, created *time.Time, o Options) string {
	if lastUsed != nil {
		if d := days(o.Now, *lastUsed); d >= o.UnusedDays {
			return fmt.Sprintf("last used %s (%d days ago)", fmtDate(lastUsed), d)
		}
		return ""
	}
	from := since
	if from == nil {
		from = created
	}
	if from == nil {
		return "never used"
	}
	if d := days(o.Now, *from); d >= o.UnusedDays {
		return fmt.Sprintf("never used since %s (%d days)", fmtDate(from), d)
	}
	return ""
}
