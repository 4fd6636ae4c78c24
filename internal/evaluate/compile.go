package evaluate

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/orgiam/orgiam/internal/policy"
)

// Policy is a compiled policy document: parsed once, evaluated many times.
type Policy struct {
	// Name identifies the policy in explanations (a policy ARN, a file name,
	// "inline:RoleName/PolicyName").
	Name string
	// Variables tells whether policy variables are substituted: only in
	// documents of Version "2012-10-17". AWS treats ${…} literally in
	// "2008-10-17" documents and in documents without a Version (which
	// default to 2008-10-17).
	Variables  bool
	Statements []*Statement
	// Warnings are problems AWS would reject at creation but that the
	// evaluator can still apply (an unknown condition operator: its
	// condition never holds, so the statement never applies).
	Warnings []string
}

// Statement is one compiled statement.
type Statement struct {
	Index int
	Sid   string
	Deny  bool

	actions, notActions     []string // lower-cased patterns
	resources, notResources []string
	hasResource             bool // Resource present (possibly empty); else NotResource or neither
	hasNotResource          bool
	principal, notPrincipal *principals
	conds                   []cond
}

// Compile parses and compiles one policy document (a JSON object, or a JSON
// string holding one). Errors name the statement and the element.
func Compile(name string, doc []byte) (*Policy, error) {
	d, err := policy.Parse(doc)
	if err != nil {
		return nil, err
	}
	return CompileDocument(name, d)
}

// MustCompile is Compile for documents known to be valid (tests, built-in policies).
func MustCompile(name, doc string) *Policy {
	p, err := Compile(name, []byte(doc))
	if err != nil {
		panic(err)
	}
	return p
}

// CompileDocument compiles an already parsed document.
func CompileDocument(name string, d policy.Document) (*Policy, error) {
	p := &Policy{Name: name, Variables: d.Version == "2012-10-17"}
	for i, s := range d.Statement {
		st, warn, err := compileStatement(i, s)
		if err != nil {
			return nil, fmt.Errorf("statement %d%s: %w", i, sidSuffix(s.Sid), err)
		}
		for _, w := range warn {
			p.Warnings = append(p.Warnings, fmt.Sprintf("statement %d%s: %s", i, sidSuffix(s.Sid), w))
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func sidSuffix(sid string) string {
	if sid == "" {
		return ""
	}
	return " (" + sid + ")"
}

func compileStatement(i int, s policy.Statement) (*Statement, []string, error) {
	st := &Statement{Index: i, Sid: s.Sid}
	switch {
	case s.Effect == "Allow":
	case s.Effect == "Deny":
		st.Deny = true
	default:
		return nil, nil, fmt.Errorf("Effect %q: must be Allow or Deny", s.Effect)
	}
	if s.Action != nil && s.NotAction != nil {
		return nil, nil, fmt.Errorf("both Action and NotAction")
	}
	if s.Action == nil && s.NotAction == nil {
		return nil, nil, fmt.Errorf("neither Action nor NotAction")
	}
	if s.Resource != nil && s.NotResource != nil {
		return nil, nil, fmt.Errorf("both Resource and NotResource")
	}
	if s.Principal != nil && s.NotPrincipal != nil {
		return nil, nil, fmt.Errorf("both Principal and NotPrincipal")
	}
	for _, a := range s.Action {
		st.actions = append(st.actions, strings.ToLower(a))
	}
	for _, a := range s.NotAction {
		st.notActions = append(st.notActions, strings.ToLower(a))
	}
	st.resources, st.hasResource = s.Resource, s.Resource != nil
	st.notResources, st.hasNotResource = s.NotResource, s.NotResource != nil
	var err error
	if st.principal, err = compilePrincipals(s.Principal); err != nil {
		return nil, nil, fmt.Errorf("Principal: %w", err)
	}
	if st.notPrincipal, err = compilePrincipals(s.NotPrincipal); err != nil {
		return nil, nil, fmt.Errorf("NotPrincipal: %w", err)
	}
	var warn []string
	if s.HasCondition() {
		st.conds, warn, err = compileConditions(s.Condition)
		if err != nil {
			return nil, nil, fmt.Errorf("Condition: %w", err)
		}
	}
	return st, warn, nil
}

// compileConditions reads {"Operator": {"key": value | [values]}}
// (policy.ReadCondition). Values may be strings, numbers or booleans (AWS
// accepts true and 5 and reads them as "true" and "5").
func compileConditions(raw json.RawMessage) ([]cond, []string, error) {
	blocks, err := policy.ReadCondition(raw)
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(blocks, func(i, j int) bool { return blocks[i].Operator < blocks[j].Operator }) // deterministic explanations
	var out []cond
	var warn []string
	for _, b := range blocks {
		if b.Err != nil {
			return nil, nil, fmt.Errorf("%s: expected an object of condition keys: %v", b.Operator, b.Err)
		}
		op, ok := parseOperator(b.Operator)
		if !ok {
			warn = append(warn, fmt.Sprintf("unknown condition operator %q: AWS rejects it; the condition is treated as never true", b.Operator))
		}
		sort.Slice(b.Keys, func(i, j int) bool { return b.Keys[i].Key < b.Keys[j].Key })
		for _, k := range b.Keys {
			if k.Err != nil {
				return nil, nil, fmt.Errorf("%s: %s: %v", b.Operator, k.Key, k.Err)
			}
			c := cond{op: op, opName: b.Operator, key: strings.ToLower(k.Key), rawKey: k.Key, values: k.Values, invalid: !ok}
			c.prepare()
			out = append(out, c)
		}
	}
	return out, warn, nil
}

// MayAllow reports whether some Allow statement of the policy covers the
// action, ignoring resources and conditions: a cheap first filter before a
// full evaluation (action must be lower-case).
func (p *Policy) MayAllow(action string) bool {
	for _, s := range p.Statements {
		if !s.Deny && s.matchesAction(action) {
			return true
		}
	}
	return false
}

// AllowedResources returns the Resource patterns of the Allow statements
// that cover the action ("*" for NotResource statements), as the policy
// writes them (action must be lower-case).
func (p *Policy) AllowedResources(action string) []string {
	var out []string
	for _, s := range p.Statements {
		if s.Deny || !s.matchesAction(action) {
			continue
		}
		if s.hasResource {
			out = append(out, s.resources...)
		} else {
			out = append(out, "*")
		}
	}
	return out
}

// AWSPrincipals returns the AWS principal values ("*", account ids, ARNs) of
// the Allow statements that cover the action (lower-case): who a resource
// policy could let in. An Allow with NotPrincipal lets in everyone it does
// not name: "*".
func (p *Policy) AWSPrincipals(action string) []string {
	var out []string
	for _, s := range p.Statements {
		if !s.Deny && s.notPrincipal != nil && s.matchesAction(action) {
			out = append(out, "*")
			continue
		}
		if s.Deny || !s.matchesAction(action) || s.principal == nil {
			continue
		}
		if s.principal.any {
			out = append(out, "*")
		}
		out = append(out, s.principal.aws...)
	}
	return out
}
