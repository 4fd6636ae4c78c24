// Package mutelist reads the list of accepted findings (--mutelist FILE)
// and mutes the findings it matches: they stay in the reports, marked
// muted with the entry's reason, and are not counted in the summary or by
// --fail-on.
//
// The file is YAML:
//
//	mutes:
//	  - account: "111122223333"        # glob over the account id (default *)
//	    principal: "arn:aws:iam::*:user/break-glass-*"  # glob over the principal
//	    check: "1.1[0-9]"              # glob over the CIS v5.0 check id
//	    resource: "*"                  # glob over the resource ARN
//	    reason: "break-glass user, reviewed quarterly"  # required
//	    expires: 2027-01-31            # optional: mutes through that day (UTC)
//
// Globs are gobwas/glob's syntax with no separator: * matches any run of
// characters (slashes and colons too), ? one character, [a-z] and [!a-z]
// a class, {a,b} alternatives. An unknown key, a bad glob, a check glob
// that matches no check id or a bad date is an error naming the file and
// line. An entry whose expiry date has passed
// mutes nothing, and Warnings says so.
package mutelist

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gobwas/glob"
	"go.yaml.in/yaml/v3"

	"github.com/orgiam/orgiam/internal/report"
)

// Entry is one accepted finding pattern.
type Entry struct {
	Account, Principal, Check, Resource string
	Reason                              string
	// Expires is the last day the entry mutes (zero: never expires).
	Expires time.Time
	// Line is the entry's line in the file.
	Line int

	globs [4]glob.Glob
}

// List is a parsed mutelist, evaluated at one time.
type List struct {
	File    string
	Entries []Entry
	now     time.Time
}

// keys are the keys an entry may have.
var keys = []string{"account", "principal", "check", "resource", "reason", "expires"}

// Load reads and parses the file; now decides which entries have expired.
func Load(path string, now time.Time) (*List, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // names the file
	}
	return Parse(path, data, now)
}

// Parse parses a mutelist; name is the file named in errors.
func Parse(name string, data []byte, now time.Time) (*List, error) {
	l := &List{File: name, now: now.UTC()}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return l, nil // an empty file mutes nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping with the key mutes", name, root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "mutes" {
			return nil, fmt.Errorf("%s:%d: unknown key %q (the file has one key, mutes)", name, k.Line, k.Value)
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue
		}
		if v.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("%s:%d: mutes: want a list of entries", name, v.Line)
		}
		for _, item := range v.Content {
			e, err := parseEntry(name, item)
			if err != nil {
				return nil, err
			}
			l.Entries = append(l.Entries, e)
		}
	}
	return l, nil
}

func parseEntry(name string, n *yaml.Node) (Entry, error) {
	e := Entry{Line: n.Line, Account: "*", Principal: "*", Check: "*", Resource: "*"}
	if n.Kind != yaml.MappingNode {
		return e, fmt.Errorf("%s:%d: a mutes entry is a mapping (%s)", name, n.Line, strings.Join(keys, ", "))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return e, fmt.Errorf("%s:%d: %s given twice", name, k.Line, k.Value)
		}
		seen[k.Value] = true
		if v.Kind != yaml.ScalarNode {
			return e, fmt.Errorf("%s:%d: %s: want a string", name, v.Line, k.Value)
		}
		switch k.Value {
		case "account":
			e.Account = v.Value
		case "principal":
			e.Principal = v.Value
		case "check":
			e.Check = v.Value
		case "resource":
			e.Resource = v.Value
		case "reason":
			e.Reason = strings.TrimSpace(v.Value)
		case "expires":
			t, err := time.Parse("2006-01-02", v.Value)
			if err != nil {
				return e, fmt.Errorf("%s:%d: expires %q: want a date YYYY-MM-DD", name, v.Line, v.Value)
			}
			e.Expires = t
		default:
			return e, fmt.Errorf("%s:%d: unknown key %q (an entry has %s)", name, k.Line, k.Value, strings.Join(keys, ", "))
		}
	}
	if e.Reason == "" {
		return e, fmt.Errorf("%s:%d: entry without a reason: say why the finding is accepted", name, n.Line)
	}
	for i, p := range []struct{ key, pat string }{{"account", e.Account}, {"principal", e.Principal}, {"check", e.Check}, {"resource", e.Resource}} {
		line := n.Line
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == p.key {
				line = n.Content[j+1].Line
			}
		}
		if p.pat == "" {
			return e, fmt.Errorf("%s:%d: %s: empty glob (omit the key to match everything)", name, line, p.key)
		}
		g, err := compile(p.pat)
		if err != nil {
			return e, fmt.Errorf("%s:%d: %s: bad glob %q: %v", name, line, p.key, p.pat, err)
		}
		e.globs[i] = g
		if p.key == "check" && !matchesACheck(g) {
			return e, fmt.Errorf("%s:%d: check %q: no check has that id (%s)", name, line, p.pat, checkIDs())
		}
	}
	return e, nil
}

// matchesACheck says whether the glob matches the id of at least one
// check: a check glob matching none is a typo or a check that does not
// exist, and would silently mute nothing.
func matchesACheck(g glob.Glob) bool {
	for _, c := range report.Checks {
		if g.Match(c.ID) {
			return true
		}
	}
	return false
}

func checkIDs() string {
	ids := make([]string, len(report.Checks))
	for i, c := range report.Checks {
		ids[i] = c.ID
	}
	return strings.Join(ids, ", ")
}

// compile compiles a glob, also refusing what gobwas/glob accepts
// silently but cannot mean what was written: an unclosed class or brace.
func compile(p string) (glob.Glob, error) {
	depthB, depthC := 0, 0
	esc := false
	for _, r := range p {
		switch {
		case esc:
			esc = false
		case r == '\\':
			esc = true
		case r == '[':
			depthB++
		case r == ']':
			if depthB == 0 {
				return nil, errors.New("] without [")
			}
			depthB--
		case depthB > 0:
			// Inside a class every other character is literal.
		case r == '{':
			depthC++
		case r == '}':
			if depthC == 0 {
				return nil, errors.New("} without {")
			}
			depthC--
		}
	}
	if depthB > 0 {
		return nil, errors.New("unclosed [")
	}
	if depthC > 0 {
		return nil, errors.New("unclosed {")
	}
	if esc {
		return nil, errors.New("trailing \\")
	}
	return glob.Compile(p)
}

// expired says whether the entry no longer mutes at now: after the end
// (UTC) of its expiry day.
func (e *Entry) expired(now time.Time) bool {
	return !e.Expires.IsZero() && !now.Before(e.Expires.AddDate(0, 0, 1))
}

// Warnings names the entries that have expired and mute nothing.
func (l *List) Warnings() []string {
	var out []string
	for i := range l.Entries {
		e := &l.Entries[i]
		if e.expired(l.now) {
			out = append(out, fmt.Sprintf("%s:%d: mutelist entry expired on %s: its findings are no longer muted (%s)",
				l.File, e.Line, e.Expires.Format("2006-01-02"), e.Reason))
		}
	}
	return out
}

// Mute implements report.Muter: the first entry, not expired, whose four
// globs match the finding's account id, principal, check id and resource
// ARN mutes it with its reason.
func (l *List) Mute(f *report.Finding) (string, bool) {
	res := f.ResourceARN
	if res == "" {
		res = f.Principal
	}
	for i := range l.Entries {
		e := &l.Entries[i]
		if e.expired(l.now) {
			continue
		}
		if e.globs[0].Match(f.AccountID) && e.globs[1].Match(f.Principal) && e.globs[2].Match(f.CheckID) && e.globs[3].Match(res) {
			return e.Reason, true
		}
	}
	return "", false
}

var _ report.Muter = (*List)(nil)
