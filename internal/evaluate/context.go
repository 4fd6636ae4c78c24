package evaluate

import (
	"sort"
	"strings"
)

// tri is a three-valued truth: no, maybe (it depends on an unknown context
// key), yes. and is the minimum, or the maximum (Kleene's logic).
type tri uint8

const (
	no tri = iota
	maybe
	yes
)

func triOf(b bool) tri {
	if b {
		return yes
	}
	return no
}

func and(a, b tri) tri { return min(a, b) }
func or(a, b tri) tri  { return max(a, b) }
func not(a tri) tri    { return yes - a }

// Context is the request context: condition keys and their values. Key
// names are case-insensitive, as AWS documents for condition keys (tag keys
// included); values keep their case.
type Context struct {
	values map[string][]string
	// shared hold more keys, consulted after values; callers that ask
	// many questions build them once.
	shared []ContextSource
	// unknown are lower-cased glob patterns of keys whose presence and value
	// the caller does not know ("aws:sourceip", "aws:requesttag/*", "*").
	unknown []string
	// nullVariableNoMatch is the oracle's reading, for oracle_test.go only:
	// a negated operator whose value has a variable with no value is false
	// (AWS documents it true; see cond.policyValues).
	nullVariableNoMatch bool
}

// NewContext builds a context from key → values (a single value is a
// one-element list; an empty list is a present key with no values).
func NewContext(values map[string][]string, unknown []string) Context {
	var c Context
	if len(values) > 0 {
		c.values = make(map[string][]string, len(values)+4)
	}
	for k, v := range values {
		c.values[strings.ToLower(k)] = v
	}
	// The list is only read: one already in lower case (who-can's "*") is
	// shared rather than copied for every request.
	c.unknown = unknown
	for _, u := range unknown {
		if strings.ToLower(u) != u {
			c.unknown = make([]string, len(unknown))
			for i, u := range unknown {
				c.unknown[i] = strings.ToLower(u)
			}
			break
		}
	}
	return c
}

// ContextSource is a read-only set of context keys. Keys are asked for and
// listed in lower case.
type ContextSource interface {
	Lookup(key string) ([]string, bool)
	Keys() []string
}

// ContextMap is a ContextSource from a map whose keys are lower-case.
type ContextMap map[string][]string

func (m ContextMap) Lookup(key string) ([]string, bool) { v, ok := m[key]; return v, ok }

func (m ContextMap) Keys() []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// setDefault sets a key (lower-case) to one value unless it is already
// present. It allocates only when it sets: who-can's shared context gives
// every key fillContext sets, and it runs once per request.
func (c *Context) setDefault(k string, value string) {
	for _, m := range c.shared {
		if _, ok := m.Lookup(k); ok {
			return
		}
	}
	if _, ok := c.values[k]; ok {
		return
	}
	if c.values == nil {
		c.values = make(map[string][]string, 4)
	}
	c.values[k] = []string{value}
}

// keyState is what the context says about a key.
type keyState uint8

const (
	absent keyState = iota
	present
	unknownKey
)

// lookup returns a key's values (key must be lower-case).
func (c *Context) lookup(key string) ([]string, keyState) {
	if v, ok := c.values[key]; ok {
		return v, present
	}
	for _, m := range c.shared {
		if v, ok := m.Lookup(key); ok {
			return v, present
		}
	}
	for _, u := range c.unknown {
		if glob(u, key, false) {
			return nil, unknownKey
		}
	}
	return nil, absent
}

// Keys returns the context's keys, sorted (lower-case).
func (c *Context) Keys() []string {
	out := make([]string, 0, len(c.values)+len(c.shared))
	for k := range c.values {
		out = append(out, k)
	}
	seen := map[string]bool{}
	for k := range c.values {
		seen[k] = true
	}
	for _, m := range c.shared {
		for _, k := range m.Keys() {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// expand substitutes the policy variables of s (${aws:username},
// ${aws:PrincipalTag/team, 'default'}) and the escapes ${*}, ${?} and ${$}
// (AWS: "reference_policies_variables.html#policy-vars-specialchars"). The
// result is a compiled pattern: substituted text and escaped characters are
// literal, so a '*' in a user's name never acts as a wildcard. A variable
// whose key is absent, or has several values, makes the value unusable (ok
// false, state absent): AWS documents that such an element does not match.
// A variable on an unknown key gives state unknownKey.
func (c *Context) expand(s string) (string, keyState) {
	if !strings.Contains(s, "${") {
		return s, present
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), present
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), present
		}
		b.WriteString(s[:i])
		inner := s[i+2 : i+j]
		s = s[i+j+1:]
		switch inner {
		case "*", "?":
			b.WriteRune(lit)
			b.WriteString(inner)
			continue
		case "$":
			b.WriteString("$")
			continue
		}
		key, def, hasDef := inner, "", false
		if k := strings.IndexByte(inner, ','); k >= 0 {
			key = strings.TrimSpace(inner[:k])
			d := strings.TrimSpace(inner[k+1:])
			if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
				def, hasDef = d[1:len(d)-1], true
			}
		}
		vals, st := c.lookup(strings.ToLower(strings.TrimSpace(key)))
		switch {
		case st == present && len(vals) == 1:
			b.WriteString(escapeLiteral(vals[0]))
		case st == unknownKey:
			return "", unknownKey
		case hasDef:
			b.WriteString(escapeLiteral(def))
		default:
			return "", absent
		}
	}
}
