package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// CheckOneActiveKey fails an IAM user with more than one active access key
// (users.json keys, else the credential report's key slots).
var CheckOneActiveKey = Check{
	ID: "1.12", Legacy: "1.13", Severity: SeverityLow,
	Title:       "Ensure there is only one active access key for any single IAM user",
	Rationale:   "A second active key is meant for a rotation in progress; left in place it doubles the long-lived credentials to protect and rotate.",
	Remediation: "Find which key is in use (last used date), move its users to one key, and deactivate then delete the other.",
	References: []string{
		cisReference,
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
	},
	Compliance: cis("1.12", "1.13"),
	evaluate:   evalOneActiveKey,
}

func evalOneActiveKey(s *subject) []result {
	var out []result
	for _, p := range s.principals() {
		keys := activeKeys(p.user, p.row)
		switch {
		case len(keys) > 1:
			ids := make([]string, len(keys))
			for i, k := range keys {
				ids[i] = k.id
			}
			out = append(out, fail(p.who(), fmt.Sprintf("User has %d active access keys: %s.", len(keys), strings.Join(ids, ", "))))
		case len(keys) == 1:
			out = append(out, pass(p.who(), "User has one active access key."))
		}
	}
	return out
}

type activeKey struct {
	id      string
	created *time.Time
}

// activeKeys is a user's active access keys: from users.json when it lists
// them, else from the credential report's two slots.
func activeKeys(u snapshot.User, row *snapshot.CredentialReportRow) []activeKey {
	var out []activeKey
	if u.AccessKeys != nil {
		for _, k := range u.AccessKeys {
			if strings.EqualFold(k.Status, "Active") {
				out = append(out, activeKey{k.AccessKeyID, k.CreateDate})
			}
		}
		return out
	}
	if row == nil {
		return nil
	}
	for i, k := range row.AccessKeys {
		if k.Active {
			out = append(out, activeKey{fmt.Sprintf("key %d", i+1), k.LastRotated})
		}
	}
	return out
}
