package report

import "fmt"

// consoleGraceDays is how long a new console password may stay unused.
const consoleGraceDays = 30

// CheckConsoleNeverUsed fails an IAM user whose console password was set more
// than consoleGraceDays days ago and never used (needs the credential report).
var CheckConsoleNeverUsed = Check{
	ID: "iam_user_console_never_used", Severity: SeverityLow,
	Title:       "Ensure IAM users with a console password have signed in",
	Rationale:   "A console password nobody ever used is a credential without an owner: often a temporary password sent by e-mail and still valid.",
	Remediation: "Ask whether the user needs the console; if not, delete the login profile (aws iam delete-login-profile --user-name NAME).",
	References: []string{
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html",
	},
	evaluate: evalConsoleNeverUsed,
}

func evalConsoleNeverUsed(s *subject) []result {
	var out []result
	for _, p := range s.principals() {
		r := p.row
		if r == nil || !r.PasswordEnabled.Bool() {
			continue
		}
		if r.PasswordLastUsed != nil {
			out = append(out, pass(p.who(), "Console password last used "+fmtDate(r.PasswordLastUsed)+"."))
			continue
		}
		set := r.PasswordLastChanged
		if set == nil {
			set = r.UserCreationTime
		}
		if set == nil {
			continue
		}
		d := days(s.o.Now, *set)
		if d > consoleGraceDays {
			out = append(out, fail(p.who(), fmt.Sprintf("Console password set %s (%s ago) and never used.", fmtDate(set), plural(d, "day", "days"))))
		} else {
			out = append(out, pass(p.who(), fmt.Sprintf("Console password set %s, not used yet (%d days allowed).", fmtDate(set), consoleGraceDays)))
		}
	}
	return out
}
