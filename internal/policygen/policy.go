package policygen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/orgiam/orgiam/internal/policy"
)

// MaxPolicySize is the managed-policy size limit: 6,144 characters, not
// counting whitespace. Documents are measured compact (json.Marshal), which
// counts the spaces inside strings too, so a part never exceeds the limit.
const MaxPolicySize = 6144

// Document is a generated identity policy. Field order is fixed, lists are
// sorted: the same activity always gives the same bytes.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a generated policy.
type Statement struct {
	Sid         string          `json:"Sid,omitempty"`
	Effect      string          `json:"Effect"`
	Action      []string        `json:"Action,omitempty"`
	NotAction   []string        `json:"NotAction,omitempty"`
	Resource    []string        `json:"Resource,omitempty"`
	NotResource []string        `json:"NotResource,omitempty"`
	Condition   json.RawMessage `json:"Condition,omitempty"`
}

func (s Statement) conditional() bool {
	c := bytes.TrimSpace(s.Condition)
	return len(c) > 0 && !bytes.Equal(c, []byte("{}")) && !bytes.Equal(c, []byte("null"))
}

// Rules are custom allow and deny statements (--allow, --deny).
type Rules struct {
	Allow, Deny []Statement
}

// Grants is action → resources: what the activity needs.
type Grants map[string]map[string]bool

// Grants returns what a principal's activity needs; with includeDenied,
// actions whose attempts were denied too.
func (pa *PrincipalActivity) Grants(includeDenied bool) Grants {
	g := Grants{}
	add := func(src map[string]map[string]bool) {
		for a, set := range src {
			d := g[a]
			if d == nil {
				d = map[string]bool{}
				g[a] = d
			}
			for r := range set {
				d[r] = true
			}
		}
	}
	add(pa.Used)
	if includeDenied {
		add(pa.DeniedUsed)
	}
	// "*" covers every ARN: keep it alone.
	for _, set := range g {
		if set["*"] {
			for r := range set {
				if r != "*" {
					delete(set, r)
				}
			}
		}
	}
	return g
}

// Build returns the policy for grants merged with rules: the grants
// grouped into statements (one per service and resource set), the allow
// rules added, the deny rules appended as Deny statements with their
// Resource and Condition, and every allowed action that an unconditional
// deny covers on the same resources removed from the allow statements
// (wildcard-aware: a deny of s3:Delete* removes s3:DeleteObject). The
// removed actions are returned.
func Build(g Grants, rules Rules) (Document, []string) {
	var removed []string
	pruned := Grants{}
	for a, set := range g {
		keep := map[string]bool{}
		for r := range set {
			if !deniedFor(rules.Deny, a, r) {
				keep[r] = true
			}
		}
		if len(keep) == 0 {
			removed = append(removed, a)
			continue
		}
		pruned[a] = keep
	}
	stmts := group(pruned)
	for _, s := range rules.Allow {
		s = normalise(s)
		if len(s.Action) > 0 {
			var acts []string
			for _, a := range s.Action {
				if allDenied(rules.Deny, a, s) {
					removed = append(removed, a)
					continue
				}
				acts = append(acts, a)
			}
			if len(acts) == 0 {
				continue
			}
			s.Action = acts
		}
		stmts = append(stmts, s)
	}
	for _, s := range rules.Deny {
		stmts = append(stmts, normalise(s))
	}
	sort.Strings(removed)
	if stmts == nil {
		stmts = []Statement{}
	}
	return Document{Version: "2012-10-17", Statement: stmts}, dedupe(removed)
}

// deniedFor reports whether an unconditional deny covers action on resource
// (a generated resource may itself be a pattern: arn:aws:s3:::b/* is covered
// by a deny of arn:aws:s3:::b/* or arn:aws:s3:::*, not by one of
// arn:aws:s3:::b/x).
func deniedFor(denies []Statement, action, resource string) bool {
	for _, d := range denies {
		if d.conditional() || !coversAction(d, action) {
			continue
		}
		if coversResource(d, resource) {
			return true
		}
	}
	return false
}

// allDenied reports whether every resource of an allow rule's statement is
// denied for action; a NotResource allow is never pruned.
func allDenied(denies []Statement, action string, s Statement) bool {
	if len(s.NotResource) > 0 || strings.ContainsAny(action, "*?") {
		return false
	}
	for _, r := range s.Resource {
		if !deniedFor(denies, action, r) {
			return false
		}
	}
	return len(s.Resource) > 0
}

func coversAction(d Statement, action string) bool {
	if len(d.NotAction) > 0 {
		for _, p := range d.NotAction {
			if policy.MatchAction(p, action) {
				return false
			}
		}
		return true
	}
	for _, p := range d.Action {
		if policy.MatchAction(p, action) {
			return true
		}
	}
	return false
}

func coversResource(d Statement, resource string) bool {
	if len(d.NotResource) > 0 {
		for _, p := range d.NotResource {
			if policy.MatchResource(p, resource) || policy.MatchResource(resource, p) {
				return false
			}
		}
		return true
	}
	for _, p := range d.Resource {
		if policy.MatchResource(p, resource) {
			return true
		}
	}
	return false
}

// group makes one statement per service and resource set, sorted.
func group(g Grants) []Statement {
	type bucket struct {
		service   string
		resources []string
		actions   []string
	}
	byKey := map[string]*bucket{}
	for a, set := range g {
		res := sortedKeys(set)
		svc := a[:strings.IndexByte(a, ':')]
		key := svc + "\x00" + strings.Join(res, "\x00")
		b := byKey[key]
		if b == nil {
			b = &bucket{service: svc, resources: res}
			byKey[key] = b
		}
		b.actions = append(b.actions, a)
	}
	out := make([]Statement, 0, len(byKey))
	for _, k := range sortedKeys(byKey) {
		b := byKey[k]
		sort.Strings(b.actions)
		out = append(out, Statement{Sid: sidBase(b.service), Effect: "Allow", Action: b.actions, Resource: b.resources})
	}
	return out
}

func sidBase(service string) string {
	var b strings.Builder
	up := true
	for _, r := range service {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func normalise(s Statement) Statement {
	for _, l := range []*[]string{&s.Action, &s.NotAction, &s.Resource, &s.NotResource} {
		if *l != nil {
			c := dedupe(append([]string(nil), *l...))
			sort.Strings(c)
			*l = c
		}
	}
	if len(s.Condition) > 0 {
		var b bytes.Buffer
		if json.Compact(&b, s.Condition) == nil {
			s.Condition = b.Bytes()
		}
	}
	return s
}

func dedupe(s []string) []string {
	if len(s) < 2 {
		return s
	}
	sort.Strings(s)
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// Split cuts a document into parts that each fit MaxPolicySize, keeping
// statements whole where they fit and cutting a statement's Action (then
// Resource) list in halves where one alone does not. Sids are numbered per
// part so they are unique within it.
func Split(d Document) ([]Document, error) {
	var parts []Document
	cur := Document{Version: d.Version}
	var queue []Statement
	queue = append(queue, d.Statement...)
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		try := cur
		try.Statement = append(append([]Statement(nil), cur.Statement...), s)
		if size(try) <= MaxPolicySize {
			cur = try
			continue
		}
		if len(cur.Statement) > 0 {
			parts = append(parts, cur)
			cur = Document{Version: d.Version}
			queue = append([]Statement{s}, queue...)
			continue
		}
		a, b, ok := halve(s)
		if !ok {
			return nil, fmt.Errorf("statement %q alone is over the %d-character policy limit", s.Sid, MaxPolicySize)
		}
		queue = append([]Statement{a, b}, queue...)
	}
	if len(cur.Statement) > 0 || len(parts) == 0 {
		if cur.Statement == nil {
			cur.Statement = []Statement{}
		}
		parts = append(parts, cur)
	}
	for i := range parts {
		numberSids(parts[i].Statement)
	}
	return parts, nil
}

func halve(s Statement) (Statement, Statement, bool) {
	a, b := s, s
	switch {
	case len(s.Action) > 1:
		h := len(s.Action) / 2
		a.Action, b.Action = s.Action[:h], s.Action[h:]
	case len(s.Resource) > 1:
		h := len(s.Resource) / 2
		a.Resource, b.Resource = s.Resource[:h], s.Resource[h:]
	default:
		return s, s, false
	}
	return a, b, true
}

// numberSids makes Sids unique: generated statements get their service
// name and a number (S3, S32, …); custom rules keep theirs unless taken.
func numberSids(stmts []Statement) {
	seen := map[string]int{}
	for i := range stmts {
		base := stmts[i].Sid
		if base == "" {
			continue
		}
		seen[base]++
		if n := seen[base]; n > 1 {
			stmts[i].Sid = base + strconv.Itoa(n)
		}
	}
}

func size(d Document) int {
	b, _ := json.Marshal(d)
	return len(b)
}

// Marshal renders a document as indented JSON, ending in a newline.
func Marshal(d Document) []byte {
	b, _ := json.MarshalIndent(d, "", "  ")
	return append(b, '\n')
}

// Actions returns the actions a document's Allow statements name, sorted.
func (d Document) Actions() []string {
	var out []string
	for _, s := range d.Statement {
		if s.Effect == "Allow" {
			out = append(out, s.Action...)
		}
	}
	return dedupe(out)
}
