package diff

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/orgiam/orgiam/internal/policy"
)

// Statement is one policy statement in normal form: the form two runs are
// compared in. Lists are sorted and deduplicated whether IAM got a string or
// a list; actions are lower-cased (IAM matches them case-insensitively);
// resources keep their case (ARNs are case-sensitive); the Sid is dropped (a
// renamed statement grants the same). Condition operators keep their case,
// condition keys are lower-cased (IAM compares them case-insensitively) and
// their values sorted.
type Statement struct {
	Effect       string                         `json:"effect"`
	Principal    map[string][]string            `json:"principal,omitempty"`
	NotPrincipal map[string][]string            `json:"notPrincipal,omitempty"`
	Action       []string                       `json:"action,omitempty"`
	NotAction    []string                       `json:"notAction,omitempty"`
	Resource     []string                       `json:"resource,omitempty"`
	NotResource  []string                       `json:"notResource,omitempty"`
	Condition    map[string]map[string][]string `json:"condition,omitempty"`
	// Admin is an unconditioned Allow of every action on every resource.
	Admin bool `json:"admin,omitempty"`
	k     string
}

// key is the statement's canonical JSON: equal keys, equal statements.
// Normalize computes it once per statement.
func (s Statement) key() string {
	if s.k != "" {
		return s.k
	}
	b, _ := json.Marshal(s) // maps marshal with sorted keys
	return string(b)
}

// Normalize parses a policy document into its statements in normal form,
// sorted by their canonical form (statement order does not matter to IAM).
func Normalize(raw []byte) ([]Statement, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	d, err := policy.Parse(raw)
	if err != nil {
		return nil, err
	}
	out := make([]Statement, 0, len(d.Statement))
	for _, s := range d.Statement {
		n := Statement{
			Effect:       s.Effect,
			Principal:    normPrincipal(s.Principal),
			NotPrincipal: normPrincipal(s.NotPrincipal),
			Action:       normList(s.Action, true),
			NotAction:    normList(s.NotAction, true),
			Resource:     normList(s.Resource, false),
			NotResource:  normList(s.NotResource, false),
			Admin:        policy.IsAdminStatement(s),
		}
		if s.HasCondition() {
			c, err := normCondition(s.Condition)
			if err != nil {
				return nil, err
			}
			n.Condition = c
		}
		n.k = n.key()
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out, nil
}

func normList(l []string, fold bool) []string {
	if len(l) == 0 {
		return nil
	}
	out := make([]string, 0, len(l))
	seen := make(map[string]bool, len(l))
	for _, v := range l {
		v = strings.TrimSpace(v)
		if fold {
			v = strings.ToLower(v)
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func normPrincipal(p *policy.Principal) map[string][]string {
	if p == nil {
		return nil
	}
	out := map[string][]string{}
	if p.Wildcard {
		out["*"] = []string{"*"}
	}
	for t, vs := range p.Values {
		out[t] = normList(vs, t == "Service")
	}
	return out
}

// normCondition decodes {"Op": {"key": value | [values]}}.
func normCondition(raw json.RawMessage) (map[string]map[string][]string, error) {
	var c map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("policy condition: %w", err)
	}
	out := make(map[string]map[string][]string, len(c))
	for op, keys := range c {
		m := make(map[string][]string, len(keys))
		for k, v := range keys {
			vals, err := policy.ConditionValues(v)
			if err != nil {
				return nil, fmt.Errorf("policy condition %s %s: %w", op, k, err)
			}
			k = strings.ToLower(k)
			m[k] = normList(append(m[k], vals...), false)
		}
		out[op] = m
	}
	return out, nil
}

// statementDiff returns the statements of b not in a (added) and of a not in
// b (removed), as multisets of normal forms.
func statementDiff(a, b []Statement) (added, removed []Statement) {
	count := map[string]int{}
	for _, s := range a {
		count[s.key()]++
	}
	for _, s := range b {
		k := s.key()
		if count[k] > 0 {
			count[k]--
			continue
		}
		added = append(added, s)
	}
	count = map[string]int{}
	for _, s := range b {
		count[s.key()]++
	}
	for _, s := range a {
		k := s.key()
		if count[k] > 0 {
			count[k]--
			continue
		}
		removed = append(removed, s)
	}
	return added, removed
}
