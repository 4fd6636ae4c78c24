package evaluate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"

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

// compileConditions reads {"Operator": {"key": value | [values]}}. Values
// may be strings, numbers or booleans (AWS accepts true and 5 and reads them
// as "true" and "5").
//
// The block is read in one pass over its JSON tokens: decoding it into maps
// with encoding/json, then each value into an interface, was most of the
// time a policy took to compile. It reads what that decoding read: a name
// given twice keeps its last value (a problem in an earlier one does not
// count), null for the block or for an operator's keys is no condition,
// invalid UTF-8 becomes U+FFFD (TestConditionsAsEncodingJSON compares the
// two).
func compileConditions(raw json.RawMessage) ([]cond, []string, error) {
	blocks, err := readConditionBlocks(raw)
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(blocks, func(i, j int) bool { return blocks[i].op < blocks[j].op }) // deterministic explanations
	var out []cond
	var warn []string
	for _, b := range blocks {
		if b.err != nil {
			return nil, nil, fmt.Errorf("%s: expected an object of condition keys: %v", b.op, b.err)
		}
		op, ok := parseOperator(b.op)
		if !ok {
			warn = append(warn, fmt.Sprintf("unknown condition operator %q: AWS rejects it; the condition is treated as never true", b.op))
		}
		sort.Slice(b.keys, func(i, j int) bool { return b.keys[i].key < b.keys[j].key })
		for _, k := range b.keys {
			if k.err != nil {
				return nil, nil, fmt.Errorf("%s: %s: %v", b.op, k.key, k.err)
			}
			c := cond{op: op, opName: b.op, key: strings.ToLower(k.key), rawKey: k.key, values: k.values, invalid: !ok}
			c.prepare()
			out = append(out, c)
		}
	}
	return out, warn, nil
}

// conditionBlock is one operator of a Condition as written, its keys
// unsorted; err is what is wrong with its value (not an object).
type conditionBlock struct {
	op   string
	keys []conditionKey
	err  error
}

type conditionKey struct {
	key    string
	values []string
	err    error
}

// conditionDecoder is the decoder readConditionBlocks reuses.
type conditionDecoder struct {
	src bytes.Reader
	dec jsontext.Decoder
}

var conditionDecoders = sync.Pool{New: func() any { return new(conditionDecoder) }}

// readConditionBlocks reads a Condition's operators and keys. An error is
// one of the whole block (not an object, not JSON); what is wrong with one
// operator or key is kept on it, so that a later one of the same name can
// replace it.
func readConditionBlocks(raw json.RawMessage) ([]conditionBlock, error) {
	cd := conditionDecoders.Get().(*conditionDecoder)
	defer conditionDecoders.Put(cd)
	cd.src.Reset(raw)
	cd.dec.Reset(&cd.src, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	d := &cd.dec
	top := func(err error) ([]conditionBlock, error) {
		return nil, fmt.Errorf("expected an object of operators: %v", err)
	}
	switch d.PeekKind() {
	case 'n':
		if _, err := d.ReadToken(); err != nil {
			return top(err)
		}
		return nil, nil
	case '{':
	default:
		v, err := d.ReadValue()
		if err != nil {
			return top(err)
		}
		return top(fmt.Errorf("got %s", v))
	}
	if _, err := d.ReadToken(); err != nil {
		return top(err)
	}
	var blocks []conditionBlock
	for d.PeekKind() != '}' {
		name, err := d.ReadToken()
		if err != nil {
			return top(err)
		}
		b := conditionBlock{op: name.String()}
		if b.keys, b.err, err = readConditionKeys(d); err != nil {
			return top(err)
		}
		blocks = replaceOrAppend(blocks, b, func(o conditionBlock) bool { return o.op == b.op })
	}
	if _, err := d.ReadToken(); err != nil {
		return top(err)
	}
	return blocks, nil
}

// readConditionKeys reads one operator's {"key": values}: the keys, what is
// wrong with the value (it is not an object), or an error of the JSON.
func readConditionKeys(d *jsontext.Decoder) ([]conditionKey, error, error) {
	switch d.PeekKind() {
	case 'n':
		_, err := d.ReadToken()
		return nil, nil, err
	case '{':
	default:
		v, err := d.ReadValue()
		if err != nil {
			return nil, nil, err
		}
		return nil, fmt.Errorf("got %s", v), nil
	}
	if _, err := d.ReadToken(); err != nil {
		return nil, nil, err
	}
	var keys []conditionKey
	for d.PeekKind() != '}' {
		name, err := d.ReadToken()
		if err != nil {
			return nil, nil, err
		}
		k := conditionKey{key: name.String()}
		if k.values, k.err, err = readConditionValues(d); err != nil {
			return nil, nil, err
		}
		keys = replaceOrAppend(keys, k, func(o conditionKey) bool { return o.key == k.key })
	}
	_, err := d.ReadToken()
	return keys, nil, err
}

// readConditionValues reads one key's value or list of values (strings,
// numbers, booleans).
func readConditionValues(d *jsontext.Decoder) ([]string, error, error) {
	if d.PeekKind() != '[' {
		v, err := d.ReadValue()
		if err != nil {
			return nil, nil, err
		}
		s, bad := conditionScalar(v)
		if bad != nil {
			return nil, bad, nil
		}
		return []string{s}, nil, nil
	}
	if _, err := d.ReadToken(); err != nil {
		return nil, nil, err
	}
	out := []string{}
	var bad error
	for d.PeekKind() != ']' {
		v, err := d.ReadValue()
		if err != nil {
			return nil, nil, err
		}
		s, err := conditionScalar(v)
		if err != nil && bad == nil {
			bad = err
		}
		out = append(out, s)
	}
	if _, err := d.ReadToken(); err != nil {
		return nil, nil, err
	}
	if bad != nil {
		return nil, bad, nil
	}
	return out, nil, nil
}

// conditionScalar reads one <condition_value>: a string, a number (as
// written) or a boolean.
func conditionScalar(v jsontext.Value) (string, error) {
	switch v.Kind() {
	case '"':
		// Invalid UTF-8 is replaced by U+FFFD, and said by the error,
		// which is not one here.
		s, _ := jsontext.AppendUnquote(nil, v)
		return string(s), nil
	case 't':
		return "true", nil
	case 'f':
		return "false", nil
	case '0':
		// A number encoding/json could not hold in a float64 was refused.
		if _, err := strconv.ParseFloat(string(v), 64); err != nil {
			return "", fmt.Errorf("number %s is out of range", v)
		}
		return string(v), nil
	}
	return "", fmt.Errorf("expected a string, number or boolean, got %s", v)
}

// replaceOrAppend replaces the element of list that same picks by v (the
// last one given wins), or appends v.
func replaceOrAppend[T any](list []T, v T, same func(T) bool) []T {
	for i := range list {
		if same(list[i]) {
			list[i] = v
			return list
		}
	}
	return append(list, v)
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
