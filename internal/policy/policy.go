// Package policy parses IAM policy documents and matches actions and
// resources against their wildcard patterns. It evaluates identity policies
// only as far as their statements go: conditions are reported, not evaluated.
package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version,omitempty"`
	ID        string      `json:"Id,omitempty"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement. Single strings are normalised to one-element lists.
type Statement struct {
	Sid          string          `json:"Sid,omitempty"`
	Effect       string          `json:"Effect"`
	Principal    *Principal      `json:"Principal,omitempty"`
	NotPrincipal *Principal      `json:"NotPrincipal,omitempty"`
	Action       []string        `json:"Action,omitempty"`
	NotAction    []string        `json:"NotAction,omitempty"`
	Resource     []string        `json:"Resource,omitempty"`
	NotResource  []string        `json:"NotResource,omitempty"`
	Condition    json.RawMessage `json:"Condition,omitempty"`
}

// HasCondition reports whether the statement has a non-empty Condition block.
func (s Statement) HasCondition() bool {
	c := bytes.TrimSpace(s.Condition)
	return len(c) > 0 && !bytes.Equal(c, []byte("{}")) && !bytes.Equal(c, []byte("null"))
}

// Allow reports whether the statement's effect is Allow.
func (s Statement) Allow() bool { return strings.EqualFold(s.Effect, "Allow") }

// Principal is a statement's principal: "*" or a map of type to values.
type Principal struct {
	Wildcard bool                // "Principal": "*"
	Values   map[string][]string // AWS, Service, Federated, CanonicalUser
}

// All returns every (type, value) pair, sorted; "*" gives ("*", "*").
func (p *Principal) All() [][2]string {
	if p == nil {
		return nil
	}
	var out [][2]string
	if p.Wildcard {
		out = append(out, [2]string{"*", "*"})
	}
	types := make([]string, 0, len(p.Values))
	for t := range p.Values {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		for _, v := range p.Values[t] {
			out = append(out, [2]string{t, v})
		}
	}
	return out
}

// UnmarshalJSON accepts "*" or {"AWS": "..." | [...], ...}.
func (p *Principal) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != "*" {
			return fmt.Errorf("principal %q: only \"*\" may be a plain string", s)
		}
		p.Wildcard = true
		return nil
	}
	var m map[string]stringList
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("principal: %w", err)
	}
	p.Values = map[string][]string{}
	for k, v := range m {
		p.Values[k] = v
	}
	return nil
}

// MarshalJSON writes the principal back in IAM's shape.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.Wildcard {
		return json.Marshal("*")
	}
	return json.Marshal(p.Values)
}

type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = []string{s}
		return nil
	}
	var a []string
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("expected a string or a list of strings: %s", truncate(b))
	}
	*l = a
	return nil
}

func truncate(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

// Parse decodes a policy document. It accepts a JSON object, or a JSON string
// holding one (URL-decoding is the collector's job). Statement may be one
// object or a list.
//
// Member names are matched as encoding/json matches struct fields: exactly,
// or else case-insensitively. Unknown members are ignored. Condition is the
// value's JSON text exactly as it appears in the document.
//
// Nulls: a null Action, NotAction, Resource or NotResource gives a nil list
// (the encoding/json based version of Parse gave [""]); a null Sid, Effect,
// Version or Id leaves the field as it was, so "" unless the member was
// given twice; a null Principal or NotPrincipal gives a nil pointer; a null
// principal value gives [""] and a null element of a list gives "", as
// before; a null Condition is kept as the text "null", which HasCondition
// treats as no condition.
//
// Strings without escapes share the memory of one copy of the document's
// text, so a string kept from the result keeps that copy alive.
func Parse(raw []byte) (Document, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return Document{}, nil
	}
	p := parserPool.Get().(*parser)
	defer p.release()
	if raw[0] == '"' {
		inner, err := p.unquoteDocument(raw)
		if err != nil {
			return Document{}, err
		}
		raw = inner
	}
	return p.document(raw)
}

// Match reports whether value matches an IAM wildcard pattern ('*' any run of
// characters, '?' any one character). foldCase makes it case-insensitive, as
// action names are; resources (ARNs) are matched case-sensitively.
func Match(pattern, value string, foldCase bool) bool {
	if foldCase {
		pattern, value = strings.ToLower(pattern), strings.ToLower(value)
	}
	if isASCII(pattern) && isASCII(value) {
		return glob([]byte(pattern), []byte(value))
	}
	// '?' is one character, not one byte: match code points.
	return glob([]rune(pattern), []rune(value))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// glob is an iterative glob with a single backtrack point: linear in practice.
func glob[E byte | rune](pattern, value []E) bool {
	p, v := 0, 0
	star, mark := -1, 0
	for v < len(value) {
		switch {
		// '*' first: it is always the wildcard, even where the value holds a
		// '*' at that place (Match("*?", "*") is true).
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, v
			p++
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == value[v]):
			p++
			v++
		case star >= 0:
			p = star + 1
			mark++
			v = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// MatchAction matches an action pattern such as "s3:Get*" (case-insensitive).
func MatchAction(pattern, action string) bool { return Match(pattern, action, true) }

// MatchResource matches a resource pattern such as "arn:aws:s3:::bucket/*".
func MatchResource(pattern, resource string) bool { return Match(pattern, resource, false) }

// CoversAction reports whether the statement's Action/NotAction applies to action.
func (s Statement) CoversAction(action string) bool {
	if len(s.NotAction) > 0 {
		for _, p := range s.NotAction {
			if MatchAction(p, action) {
				return false
			}
		}
		return true
	}
	for _, p := range s.Action {
		if MatchAction(p, action) {
			return true
		}
	}
	return false
}

// CoversResource reports whether the statement's Resource/NotResource applies
// to resource ("" or "*" asks about any resource: a statement covers it only
// if it applies to every resource).
func (s Statement) CoversResource(resource string) bool {
	if resource == "" {
		resource = "*"
	}
	if len(s.NotResource) > 0 {
		if resource == "*" {
			return false
		}
		for _, p := range s.NotResource {
			if MatchResource(p, resource) {
				return false
			}
		}
		return true
	}
	for _, p := range s.Resource {
		if resource == "*" {
			if p == "*" {
				return true
			}
			continue
		}
		if MatchResource(p, resource) {
			return true
		}
	}
	return false
}

// Decision is the outcome of evaluating statements for one request, ignoring conditions.
type Decision struct {
	Allowed bool
	Denied  bool
	// Conditional is true when an Allow that applies carries a Condition.
	Conditional bool
}

// Evaluate checks action (and resource, "" for any) against statements: an
// explicit Deny without a condition wins over any Allow.
func Evaluate(stmts []Statement, action, resource string) Decision {
	var d Decision
	for _, s := range stmts {
		if !s.CoversAction(action) {
			continue
		}
		if s.Allow() {
			if s.CoversResource(resource) {
				d.Allowed = true
				if s.HasCondition() {
					d.Conditional = true
				}
			}
			continue
		}
		// Deny: applies if it matches the resource; a Deny on "*" applies to any resource.
		if !s.HasCondition() && denyCovers(s, resource) {
			d.Denied = true
		}
	}
	return d
}

func denyCovers(s Statement, resource string) bool {
	if resource == "" || resource == "*" {
		for _, p := range s.Resource {
			if p == "*" {
				return true
			}
		}
		return false
	}
	return s.CoversResource(resource)
}

// IsAdminStatement reports an Allow of every action on every resource
// ("*" or "*:*" on "*"), without a condition.
func IsAdminStatement(s Statement) bool {
	if !s.Allow() || s.HasCondition() || len(s.NotAction) > 0 || len(s.NotResource) > 0 {
		return false
	}
	anyAction, anyResource := false, false
	for _, a := range s.Action {
		if a == "*" || a == "*:*" {
			anyAction = true
		}
	}
	for _, r := range s.Resource {
		if r == "*" {
			anyResource = true
		}
	}
	return anyAction && anyResource
}

// IsAdmin reports whether any statement of the document is an admin statement.
func (d Document) IsAdmin() bool {
	for _, s := range d.Statement {
		if IsAdminStatement(s) {
			return true
		}
	}
	return false
}

// AWSManagedAdminPolicies are AWS managed policies that grant full access.
var AWSManagedAdminPolicies = map[string]bool{
	"AdministratorAccess": true,
}
