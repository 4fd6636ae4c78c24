package evaluate

import (
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// opKind is a condition operator's family and comparison.
type opKind uint8

const (
	opInvalid opKind = iota
	opStringEquals
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opArnLike
	opNull
)

type setKind uint8

const (
	setNone setKind = iota
	setForAll
	setForAny
)

// operator is a parsed operator name: ForAllValues:StringNotLikeIfExists
// is {StringLike, negated, ifExists, forAll}.
type operator struct {
	kind     opKind
	negated  bool
	ifExists bool
	set      setKind
}

var operatorNames = map[string]operator{
	"stringequals":              {kind: opStringEquals},
	"stringnotequals":           {kind: opStringEquals, negated: true},
	"stringequalsignorecase":    {kind: opStringEqualsIgnoreCase},
	"stringnotequalsignorecase": {kind: opStringEqualsIgnoreCase, negated: true},
	"stringlike":                {kind: opStringLike},
	"stringnotlike":             {kind: opStringLike, negated: true},
	"numericequals":             {kind: opNumericEquals},
	"numericnotequals":          {kind: opNumericEquals, negated: true},
	"numericlessthan":           {kind: opNumericLessThan},
	"numericlessthanequals":     {kind: opNumericLessThanEquals},
	"numericgreaterthan":        {kind: opNumericGreaterThan},
	"numericgreaterthanequals":  {kind: opNumericGreaterThanEquals},
	"dateequals":                {kind: opDateEquals},
	"datenotequals":             {kind: opDateEquals, negated: true},
	"datelessthan":              {kind: opDateLessThan},
	"datelessthanequals":        {kind: opDateLessThanEquals},
	"dategreaterthan":           {kind: opDateGreaterThan},
	"dategreaterthanequals":     {kind: opDateGreaterThanEquals},
	"bool":                      {kind: opBool},
	"binaryequals":              {kind: opBinaryEquals},
	"ipaddress":                 {kind: opIPAddress},
	"notipaddress":              {kind: opIPAddress, negated: true},
	"arnequals":                 {kind: opArnLike},
	"arnlike":                   {kind: opArnLike},
	"arnnotequals":              {kind: opArnLike, negated: true},
	"arnnotlike":                {kind: opArnLike, negated: true},
	"null":                      {kind: opNull},
}

// parseOperator reads an operator name. Operator names are matched
// case-insensitively; "IfExists" is not allowed on Null, and a set prefix
// is not allowed on Null either.
func parseOperator(name string) (operator, bool) {
	n := strings.ToLower(name)
	var set setKind
	switch {
	case strings.HasPrefix(n, "forallvalues:"):
		set, n = setForAll, n[len("forallvalues:"):]
	case strings.HasPrefix(n, "foranyvalue:"):
		set, n = setForAny, n[len("foranyvalue:"):]
	}
	ifExists := false
	if strings.HasSuffix(n, "ifexists") {
		ifExists, n = true, strings.TrimSuffix(n, "ifexists")
	}
	op, ok := operatorNames[n]
	if !ok || (op.kind == opNull && (ifExists || set != setNone)) {
		return operator{}, false
	}
	op.ifExists, op.set = ifExists, set
	return op, true
}

// cond is one key of one operator block, with its policy values.
type cond struct {
	op      operator
	opName  string
	key     string // lower-cased
	rawKey  string
	values  []string
	invalid bool // unknown operator: never true
	// hasVars tells whether any value has a policy variable.
	hasVars bool
	// nums, dates and nets are the values pre-parsed for their operators
	// (nil entries did not parse and never match).
	nums  []*big.Rat
	dates []*time.Time
	nets  []*netip.Prefix
}

func (c *cond) prepare() {
	for _, v := range c.values {
		if strings.Contains(v, "${") {
			c.hasVars = true
		}
	}
	switch {
	case c.op.kind >= opNumericEquals && c.op.kind <= opNumericGreaterThanEquals:
		c.nums = make([]*big.Rat, len(c.values))
		for i, v := range c.values {
			c.nums[i] = parseNumber(v)
		}
	case c.op.kind >= opDateEquals && c.op.kind <= opDateGreaterThanEquals:
		c.dates = make([]*time.Time, len(c.values))
		for i, v := range c.values {
			c.dates[i] = parseDate(v)
		}
	case c.op.kind == opIPAddress:
		c.nets = make([]*netip.Prefix, len(c.values))
		for i, v := range c.values {
			c.nets[i] = parseNet(v)
		}
	}
}

// parseNumber reads an integer or a decimal (AWS: "Numeric condition
// operators ... compare a key to an integer or decimal value"). Exact
// rationals keep large integers exact.
func parseNumber(s string) *big.Rat {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || strings.ContainsAny(s, "/eE") {
		// SetString accepts "1/2" and exponents; IAM's numbers are plain.
		return nil
	}
	return r
}

// dateLayouts are the ISO 8601 forms AWS accepts in date conditions and
// context values; epoch seconds are read too.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

func parseDate(s string) *time.Time {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return &t
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		t := time.Unix(n, 0).UTC()
		return &t
	}
	return nil
}

func parseNet(s string) *netip.Prefix {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		p = p.Masked()
		return &p
	}
	if a, err := netip.ParseAddr(s); err == nil {
		p := netip.PrefixFrom(a, a.BitLen())
		return &p
	}
	return nil
}

// condResult is a condition's outcome and, when maybe, the key it waits on.
func (c *cond) eval(ctx *Context, vars bool) tri {
	if c.invalid {
		return no
	}
	vals, st := ctx.lookup(c.key)
	if st == unknownKey {
		return maybe
	}
	if c.op.kind == opNull {
		// Null: "true" asks that the key be absent, "false" that it be
		// present (case-insensitive, as AWS reads booleans).
		want := len(c.values) > 0 && strings.EqualFold(c.values[0], "true")
		return triOf((st == absent) == want)
	}
	if st == absent {
		// AWS: a missing key makes the condition false, except for the
		// negated operators (StringNotEquals, ArnNotLike, NotIpAddress, …)
		// which are true; …IfExists is true; ForAllValues is true on an
		// absent key and ForAnyValue false.
		// A set operator decides before IfExists does:
		// ForAnyValue:StringLikeIfExists on an absent key is false.
		switch {
		case c.op.set == setForAll:
			return yes
		case c.op.set == setForAny:
			return no
		case c.op.ifExists:
			return yes
		default:
			return triOf(c.op.negated)
		}
	}
	pol, polState := c.policyValues(ctx, vars)
	switch polState {
	case unknownKey:
		return maybe
	case absent:
		return no // only under the rule nullVariableNoMatch (oracle_test.go)
	}
	switch c.op.set {
	case setForAll:
		// Every request value must satisfy the operator against the
		// policy's values; an empty set satisfies it.
		for _, v := range vals {
			if !c.single(v, pol) {
				return no
			}
		}
		return yes
	case setForAny:
		for _, v := range vals {
			if c.single(v, pol) {
				return yes
			}
		}
		return no
	}
	// A single-valued operator on a key with several values does not
	// match: AWS says to use ForAllValues or ForAnyValue with multivalued
	// keys, and a plain operator compares against one value.
	if len(vals) != 1 {
		return no
	}
	return triOf(c.single(vals[0], pol))
}

// policyValues returns the condition's values with policy variables
// substituted (String and Arn operators only, in 2012-10-17 documents).
// A value whose variable has no value in the request (its key absent, or
// with several values) is dropped. AWS: "the value is effectively null.
// There is no equal or like value": StringEquals or StringLike find no
// match in it, and "Inverted condition operators like StringNotEquals or
// StringNotLike do match against a null value"
// (reference_policies_variables.html#policy-vars-no-value). Dropping it
// gives both: a positive operator matches only the values left, a negated
// one is true unless a value left matches; a set operator applies its own
// rule to the values left (ForAllValues on an empty request set is true).
func (c *cond) policyValues(ctx *Context, vars bool) ([]string, keyState) {
	if !vars || !c.hasVars || !(c.op.kind <= opStringLike || c.op.kind == opArnLike) {
		return c.values, present
	}
	out := make([]string, 0, len(c.values))
	for _, v := range c.values {
		s, st := ctx.expand(v)
		switch st {
		case unknownKey:
			return nil, unknownKey
		case present:
			out = append(out, s)
		case absent:
			if c.op.negated && ctx.nullVariableNoMatch {
				return nil, absent
			}
		}
	}
	return out, present
}

// single applies the operator to one request value: true when the value
// matches one of the policy values, or for a negated operator when it
// matches none of them.
func (c *cond) single(v string, pol []string) bool {
	m := false
	for i, p := range pol {
		if c.compare(v, p, i) {
			m = true
			break
		}
	}
	return m != c.op.negated
}

func (c *cond) compare(v, p string, i int) bool {
	switch c.op.kind {
	case opStringEquals:
		return v == unescape(p)
	case opStringEqualsIgnoreCase:
		return strings.EqualFold(v, unescape(p))
	case opStringLike:
		return glob(p, v, false)
	case opBinaryEquals:
		return v == p
	case opBool:
		return (strings.EqualFold(v, "true") || strings.EqualFold(v, "false")) && strings.EqualFold(v, p)
	case opArnLike:
		return matchARNCondition(p, v)
	case opIPAddress:
		n := c.nets[i]
		if n == nil {
			return false
		}
		a, err := netip.ParseAddr(strings.TrimSpace(v))
		if err != nil {
			if pp, err := netip.ParsePrefix(strings.TrimSpace(v)); err == nil {
				a = pp.Addr()
			} else {
				return false
			}
		}
		return n.Contains(a.Unmap())
	}
	if c.nums != nil {
		pn := c.nums[i]
		vn := parseNumber(v)
		if pn == nil || vn == nil {
			return false
		}
		cmp := vn.Cmp(pn)
		switch c.op.kind {
		case opNumericEquals:
			return cmp == 0
		case opNumericLessThan:
			return cmp < 0
		case opNumericLessThanEquals:
			return cmp <= 0
		case opNumericGreaterThan:
			return cmp > 0
		case opNumericGreaterThanEquals:
			return cmp >= 0
		}
	}
	if c.dates != nil {
		pd := c.dates[i]
		vd := parseDate(v)
		if pd == nil || vd == nil {
			return false
		}
		cmp := vd.Compare(*pd)
		switch c.op.kind {
		case opDateEquals:
			return cmp == 0
		case opDateLessThan:
			return cmp < 0
		case opDateLessThanEquals:
			return cmp <= 0
		case opDateGreaterThan:
			return cmp > 0
		case opDateGreaterThanEquals:
			return cmp >= 0
		}
	}
	return false
}
