// Package exposure says who a resource-based policy grants access to:
// anyone, accounts of the organization, accounts outside it, or AWS
// services, with the conditions that narrow each grant. It is pure (no I/O):
// the index calls it for every stored resource.
//
// # Classes
//
// Every Allow statement × principal of a resource policy (and every S3 ACL
// grant to a public group) is a Grant with one Class:
//
//   - public: anyone (Principal "*", {"AWS": "*"}, an ARN with a wildcard
//     account, NotPrincipal in an Allow, a web identity provider, an ACL
//     grant to AllUsers or AuthenticatedUsers);
//   - external: an account that is in no organization of the run, or an
//     organization that is not one of the run's, or a principal whose
//     account cannot be told (a unique id, a canonical user): counted as
//     external, the conservative side;
//   - cross-account: another account of an organization of the run;
//   - account: the resource's own account;
//   - service: an AWS service principal with no condition naming the
//     account or organization it acts for.
//
// # Conditions
//
// A condition restricts a grant when its key is one of RestrictingKeys,
// its operator matches positively (StringEquals, StringEqualsIgnoreCase,
// StringLike, ArnEquals, ArnLike, IpAddress, with or without ForAnyValue:)
// and every value is fixed: no wildcard and no policy variable, as S3's
// definition of a public policy reads ("The meaning of public", Amazon S3
// User Guide). Exceptions: aws:PrincipalOrgPaths restricts when the
// organization id of every path (its first segment) is fixed, since paths
// end in wildcards by design; aws:SourceIp restricts unless a CIDR is /0.
// An operator ending in IfExists does not restrict (a request without the
// key passes), nor does ForAllValues: (true when the key is absent), nor a
// negated operator in an Allow (it widens, not narrows).
//
// Keys naming who calls (aws:PrincipalAccount, aws:PrincipalArn,
// aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:SourceAccount,
// aws:SourceOwner, aws:SourceOrgID, aws:SourceArn with a fixed account,
// kms:CallerAccount) narrow the class: a grant to "*" with
// aws:PrincipalOrgID of the run's organization is cross-account, with
// aws:SourceAccount of a foreign account external. Keys naming where the
// request comes from (aws:SourceIp, aws:SourceVpc, aws:SourceVpce,
// kms:ViaService, aws:SourceArn of a resource without account) keep the
// class. Either way the grant is Conditional and the condition is shown.
// Several keys of one statement all apply (AND); several values of one key
// are alternatives (OR): the widest value decides.
//
// # Deny statements
//
// A Deny is taken into account only when it surely applies to every
// principal of an Allow: its Principal is "*" (or {"AWS": "*"}), it has no
// NotPrincipal, NotAction or NotResource, each of the Allow's action and
// resource patterns lies within one of its patterns (equal, "*", or a
// trailing-"*" prefix), and its condition is either absent (the Allow is
// cancelled: DeniedBy) or one negated operator (StringNotEquals[IfExists],
// StringNotLike, ArnNotEquals, ArnNotLike, NotIpAddress, optionally with
// ForAllValues:) on one restricting key with fixed values: that is the
// canonical "deny unless from my organization" and restricts the Allow as
// the positive condition would. Any other Deny is ignored, which can only
// overstate exposure, never hide it.
//
// # S3 Block Public Access
//
// A bucket policy is public, in S3's sense, when it has a public grant that
// no restricting condition narrows. With RestrictPublicBuckets (the
// bucket's or the account's), S3 limits a bucket with a public policy to
// AWS service principals and the owner account: every public, external and
// cross-account grant of the policy is then BlockedBy it. BlockPublicPolicy
// and BlockPublicAcls only refuse new public policies and ACLs: they do not
// change what an existing one grants and block nothing here. ACL grants to
// AllUsers and AuthenticatedUsers are public unless IgnorePublicAcls.
package exposure

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/orgiam/orgiam/internal/iamarn"
	"github.com/orgiam/orgiam/internal/policy"
)

// Class is who a grant reaches.
type Class string

// The classes, narrowest first.
const (
	ClassAccount      Class = "account"
	ClassService      Class = "service"
	ClassCrossAccount Class = "cross-account"
	ClassExternal     Class = "external"
	ClassPublic       Class = "public"
)

// rank orders classes from narrowest to widest.
func (c Class) rank() int {
	switch c {
	case ClassAccount:
		return 0
	case ClassService:
		return 1
	case ClassCrossAccount:
		return 2
	case ClassExternal:
		return 3
	case ClassPublic:
		return 4
	}
	return -1
}

// Wider reports whether c reaches more principals than d.
func (c Class) Wider(d Class) bool { return c.rank() > d.rank() }

// Services are the services whose resources orgiam collects (and those
// whose resource shape is ready); `query resources --service` accepts these.
var Services = []string{"s3", "kms", "sqs", "sns", "lambda", "secretsmanager", "ecr", "apigateway", "events", "glacier", "es", "backup"}

// KnownService reports whether s is one of Services.
func KnownService(s string) bool {
	for _, v := range Services {
		if v == s {
			return true
		}
	}
	return false
}

// Org is what the run knows of its organizations.
type Org struct {
	// Accounts are the accounts of every organization of the run.
	Accounts map[string]bool
	// IDs are the run's organization ids (o-…).
	IDs map[string]bool
}

// BlockPublicAccess is S3's PublicAccessBlockConfiguration.
type BlockPublicAccess struct {
	BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets bool
}

// ACLGrant is an S3 ACL grant to AllUsers or AuthenticatedUsers.
type ACLGrant struct{ Grantee, Permission string }

// Resource is what Analyze reads of one resource.
type Resource struct {
	Service string
	ARN     string
	Account string // the owner account
	// Policy is the resource policy document (nil: none).
	Policy json.RawMessage
	// BucketBlock and AccountBlock are S3's settings (nil: none set).
	BucketBlock, AccountBlock *BlockPublicAccess
	ACLGrants                 []ACLGrant
}

// Condition is one restricting condition of a grant.
type Condition struct {
	Operator string   // as written: "StringEquals", "ForAnyValue:StringLike", …
	Key      string   // as written: "aws:PrincipalOrgID"
	Values   []string // the values
	// Deny is the index of the Deny statement it comes from (negated
	// there), -1 when it is the Allow's own.
	Deny int
}

// String is "aws:SourceIp IpAddress 203.0.113.0/24" (values joined by
// "|"), with " (deny #N)" when it comes from a Deny statement.
func (c Condition) String() string {
	s := c.Key + " " + c.Operator + " " + strings.Join(c.Values, "|")
	if c.Deny >= 0 {
		s += fmt.Sprintf(" (deny #%d)", c.Deny)
	}
	return s
}

// Grant is one principal an Allow statement (or an ACL grant) reaches.
type Grant struct {
	Statement int    // statement index; -1 for an ACL grant
	Sid       string // the statement's Sid
	// PrincipalType is AWS, Service, Federated, CanonicalUser, "*" or ACL;
	// PrincipalValue the value ("AllUsers:READ" for an ACL grant).
	PrincipalType, PrincipalValue string
	NotPrincipal                  bool
	// Account is the principal's account when known ("*" for anyone).
	Account string
	Class   Class
	// Conditional is true when Conditions holds at least one condition.
	Conditional bool
	Conditions  []Condition
	Actions     []string
	NotAction   bool
	// DeniedBy is the Deny statement that cancels this grant (-1: none).
	DeniedBy int
	// BlockedBy names the S3 setting that neutralises the grant
	// ("RestrictPublicBuckets (bucket)", "IgnorePublicAcls (account)"), or "".
	BlockedBy string
}

// Effective reports whether the grant is neither denied nor blocked.
func (g Grant) Effective() bool { return g.DeniedBy < 0 && g.BlockedBy == "" }

// Result is the analysis of one resource.
type Result struct {
	Grants []Grant
	// Exposure is the widest class of the effective grants ("" when none).
	Exposure Class
	// Conditional: every effective grant of the Exposure class is conditional.
	Conditional bool
	// PublicPolicy: the policy is public in S3's sense (see the package doc).
	PublicPolicy bool
}

// keyKind is what a restricting key names.
type keyKind int

const (
	kindAccount keyKind = iota // values are account ids
	kindOrg                    // organization ids
	kindOrgPath                // o-…/r-…/ou-…/ paths
	kindArn                    // ARNs: their account field
	kindNetwork                // where from: no class change
	kindIP                     // CIDRs: no class change
)

// RestrictingKeys are the condition keys that can restrict a grant,
// lower-cased, with what they name.
var restrictingKeys = map[string]keyKind{
	"aws:principalaccount":  kindAccount,
	"aws:sourceaccount":     kindAccount,
	"aws:sourceowner":       kindAccount,
	"kms:calleraccount":     kindAccount,
	"aws:principalorgid":    kindOrg,
	"aws:sourceorgid":       kindOrg,
	"aws:principalorgpaths": kindOrgPath,
	"aws:principalarn":      kindArn,
	"aws:sourcearn":         kindArn,
	"aws:sourcevpc":         kindNetwork,
	"aws:sourcevpce":        kindNetwork,
	"kms:viaservice":        kindNetwork,
	"aws:sourceip":          kindIP,
}

// RestrictingKeys lists the keys that can restrict a grant, sorted.
func RestrictingKeys() []string {
	out := make([]string, 0, len(restrictingKeys))
	for k := range restrictingKeys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Analyze classifies every grant of r's policy and ACL grants.
func Analyze(r Resource, org Org) (Result, error) {
	var res Result
	d, err := policy.Parse(r.Policy)
	if err != nil {
		return res, err
	}
	conds := make([]parsedCondition, len(d.Statement))
	for i, s := range d.Statement {
		pc, err := parseCondition(s.Condition)
		if err != nil {
			return res, fmt.Errorf("statement %d: %w", i, err)
		}
		conds[i] = pc
	}
	for i, s := range d.Statement {
		if !s.Allow() {
			continue
		}
		res.Grants = append(res.Grants, allowGrants(r, org, d.Statement, conds, i)...)
	}
	for _, g := range res.Grants {
		if g.Effective() && g.Class == ClassPublic && !g.Conditional {
			res.PublicPolicy = true
		}
	}
	if r.Service == "s3" {
		if src := setting(r, func(b *BlockPublicAccess) bool { return b.RestrictPublicBuckets }); src != "" && res.PublicPolicy {
			for i := range res.Grants {
				g := &res.Grants[i]
				if g.DeniedBy < 0 && (g.Class == ClassPublic || g.Class == ClassExternal || g.Class == ClassCrossAccount) {
					g.BlockedBy = "RestrictPublicBuckets (" + src + ")"
				}
			}
		}
		ignore := setting(r, func(b *BlockPublicAccess) bool { return b.IgnorePublicAcls })
		for _, a := range r.ACLGrants {
			g := Grant{Statement: -1, PrincipalType: "ACL", PrincipalValue: a.Grantee + ":" + a.Permission, Account: "*",
				Class: ClassPublic, Actions: []string{a.Permission}, DeniedBy: -1}
			if ignore != "" {
				g.BlockedBy = "IgnorePublicAcls (" + ignore + ")"
			}
			res.Grants = append(res.Grants, g)
		}
	}
	res.Exposure, res.Conditional = Summarize(res.Grants)
	return res, nil
}

// Summarize returns the widest class of the effective grants and whether
// every effective grant of that class is conditional.
func Summarize(grants []Grant) (Class, bool) {
	var widest Class
	for _, g := range grants {
		if g.Effective() && (widest == "" || g.Class.Wider(widest)) {
			widest = g.Class
		}
	}
	if widest == "" {
		return "", false
	}
	conditional := true
	for _, g := range grants {
		if g.Effective() && g.Class == widest && !g.Conditional {
			conditional = false
		}
	}
	return widest, conditional
}

// setting says which level ("bucket", "account") has the flag on ("" none).
func setting(r Resource, on func(*BlockPublicAccess) bool) string {
	if r.BucketBlock != nil && on(r.BucketBlock) {
		return "bucket"
	}
	if r.AccountBlock != nil && on(r.AccountBlock) {
		return "account"
	}
	return ""
}

// allowGrants is statement i's grants, one per principal.
func allowGrants(r Resource, org Org, stmts []policy.Statement, conds []parsedCondition, i int) []Grant {
	s := stmts[i]
	actions, notAction := s.Action, false
	if len(s.NotAction) > 0 {
		actions, notAction = s.NotAction, true
	}
	// The statement's own restricting conditions, and those its Denies add.
	restr := conds[i].restricting()
	deniedBy := -1
	for j, ds := range stmts {
		if ds.Allow() || !denyAppliesToAll(ds, s) {
			continue
		}
		if !ds.HasCondition() {
			deniedBy = j
			break
		}
		if c, ok := conds[j].singleNegated(j); ok {
			restr = append(restr, c)
		}
	}
	type principal struct {
		typ, value string
		not        bool
	}
	var ps []principal
	switch {
	case s.NotPrincipal != nil:
		// Everyone but the listed principals: anyone, as far as reach goes.
		for _, p := range s.NotPrincipal.All() {
			ps = append(ps, principal{p[0], p[1], true})
		}
		if len(ps) == 0 {
			ps = append(ps, principal{"*", "*", true})
		}
	case s.Principal != nil:
		for _, p := range s.Principal.All() {
			ps = append(ps, principal{p[0], p[1], false})
		}
	}
	if len(ps) == 0 {
		// A resource policy statement without a principal grants nothing
		// by itself (AWS refuses such a policy; some services add it).
		return nil
	}
	var out []Grant
	for _, p := range ps {
		g := Grant{Statement: i, Sid: s.Sid, PrincipalType: p.typ, PrincipalValue: p.value, NotPrincipal: p.not,
			Actions: actions, NotAction: notAction, DeniedBy: deniedBy}
		if p.not {
			g.Account, g.Class = "*", ClassPublic
		} else {
			g.Account, g.Class = principalClass(p.typ, p.value, r.Account, org)
		}
		g.Conditions = restr
		g.Conditional = len(restr) > 0
		for _, c := range restr {
			if cc, ok := conditionClass(c, r.Account, org); ok {
				if g.Class == ClassService {
					g.Class = cc
				} else if g.Class.Wider(cc) {
					g.Class = cc
				}
			}
		}
		out = append(out, g)
	}
	return out
}

// principalClass classifies one principal value.
func principalClass(typ, value, owner string, org Org) (string, Class) {
	switch typ {
	case "*":
		return "*", ClassPublic
	case "AWS":
		if value == "*" {
			return "*", ClassPublic
		}
		acct := value
		if !iamarn.ValidAccount(value) {
			if a, ok := arnAccount(value); ok {
				acct = a
			} else if strings.HasPrefix(value, "arn:") && strings.ContainsAny(accountField(value), "*?") {
				return "*", ClassPublic
			} else {
				return "", ClassExternal // a unique id or a malformed value: account unknown
			}
		}
		return acct, accountClass(acct, owner, org)
	case "Service":
		return "", ClassService
	case "Federated":
		if a, ok := arnAccount(value); ok {
			return a, accountClass(a, owner, org)
		}
		return "*", ClassPublic // a web identity provider: anyone with an identity there
	}
	return "", ClassExternal // CanonicalUser and anything else: account unknown
}

// accountClass classifies an account id against the owner and the run's
// organizations.
func accountClass(acct, owner string, org Org) Class {
	switch {
	case acct == owner:
		return ClassAccount
	case org.Accounts[acct]:
		return ClassCrossAccount
	}
	return ClassExternal
}

// conditionClass is the class a condition narrows a grant to (ok false when
// it names no caller: a network condition).
func conditionClass(c Condition, owner string, org Org) (Class, bool) {
	kind := restrictingKeys[strings.ToLower(c.Key)]
	var widest Class
	widen := func(x Class) {
		if widest == "" || x.Wider(widest) {
			widest = x
		}
	}
	switch kind {
	case kindAccount:
		for _, v := range c.Values {
			widen(accountClass(v, owner, org))
		}
	case kindOrg, kindOrgPath:
		for _, v := range c.Values {
			id, _, _ := strings.Cut(v, "/")
			if org.IDs[id] {
				widen(ClassCrossAccount)
			} else {
				widen(ClassExternal)
			}
		}
	case kindArn:
		for _, v := range c.Values {
			a, ok := arnAccount(v)
			if !ok {
				return "", false // an ARN without account (an S3 bucket): where, not who
			}
			widen(accountClass(a, owner, org))
		}
	default:
		return "", false
	}
	return widest, widest != ""
}

// arnAccount is the 12-digit account of an ARN.
func arnAccount(s string) (string, bool) {
	a := iamarn.Account(s)
	return a, a != ""
}

// accountField is the fifth field of an ARN-like string. A condition value
// is a pattern, and arn.Parse refuses one with fewer than six fields
// ("arn:aws:iam::*", a prefix IAM matches with wildcards): such a pattern's
// account field is read by hand.
func accountField(s string) string {
	if a, err := arn.Parse(s); err == nil {
		return a.AccountID
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}

// denyAppliesToAll reports whether Deny d surely applies to every principal,
// action and resource of Allow a (see the package doc).
func denyAppliesToAll(d, a policy.Statement) bool {
	if d.NotPrincipal != nil || len(d.NotAction) > 0 || len(d.NotResource) > 0 || d.Principal == nil {
		return false
	}
	everyone := d.Principal.Wildcard
	for _, p := range d.Principal.All() {
		if p[0] == "AWS" && p[1] == "*" {
			everyone = true
		}
	}
	if !everyone {
		return false
	}
	if len(a.NotAction) > 0 {
		if !slicesHas(d.Action, "*") {
			return false
		}
	} else if !allWithin(a.Action, d.Action, true) {
		return false
	}
	if len(a.NotResource) > 0 {
		return slicesHas(d.Resource, "*")
	}
	if len(a.Resource) == 0 {
		return len(d.Resource) == 0 || slicesHas(d.Resource, "*")
	}
	return allWithin(a.Resource, d.Resource, false)
}

func slicesHas(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// allWithin reports whether every pattern of inner lies within a pattern of
// outer: equal, "*", or a trailing-"*" prefix of it ("s3:*" holds "s3:Get*").
func allWithin(inner, outer []string, fold bool) bool {
	for _, in := range inner {
		ok := false
		for _, out := range outer {
			if patternWithin(in, out, fold) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return len(inner) > 0
}

func patternWithin(in, out string, fold bool) bool {
	if fold {
		in, out = strings.ToLower(in), strings.ToLower(out)
	}
	if out == "*" || in == out {
		return true
	}
	prefix, ok := strings.CutSuffix(out, "*")
	return ok && !strings.ContainsAny(prefix, "*?") && strings.HasPrefix(in, prefix)
}

// parsedCondition is a statement's Condition block: operator → key → values.
type parsedCondition []condEntry

type condEntry struct {
	op, key string
	values  []string
}

func parseCondition(raw json.RawMessage) (parsedCondition, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" || s == "{}" {
		return nil, nil
	}
	var m map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("condition: %w", err)
	}
	var out parsedCondition
	for op, kv := range m {
		for k, v := range kv {
			vals, err := policy.ConditionValues(v)
			if err != nil {
				return nil, fmt.Errorf("condition %s %s: %w", op, k, err)
			}
			out = append(out, condEntry{op, k, vals})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].key != out[j].key {
			return out[i].key < out[j].key
		}
		return out[i].op < out[j].op
	})
	return out, nil
}

// splitOperator splits "ForAnyValue:StringLikeIfExists" into its qualifier
// ("foranyvalue"), base operator ("stringlike") and IfExists.
func splitOperator(op string) (qualifier, base string, ifExists bool) {
	o := strings.ToLower(op)
	if q, rest, ok := strings.Cut(o, ":"); ok {
		qualifier, o = q, rest
	}
	base, ifExists = strings.CutSuffix(o, "ifexists")
	return qualifier, base, ifExists
}

var positiveOps = map[string]bool{"stringequals": true, "stringequalsignorecase": true, "stringlike": true, "arnequals": true, "arnlike": true, "ipaddress": true}
var negatedOps = map[string]bool{"stringnotequals": true, "stringnotequalsignorecase": true, "stringnotlike": true, "arnnotequals": true, "arnnotlike": true, "notipaddress": true}

// restricting returns the entries of an Allow's condition that restrict it.
func (pc parsedCondition) restricting() []Condition {
	var out []Condition
	for _, e := range pc {
		q, base, ifExists := splitOperator(e.op)
		if ifExists || q == "forallvalues" || !positiveOps[base] {
			continue
		}
		if fixedValues(e.key, base, e.values) {
			out = append(out, Condition{Operator: e.op, Key: e.key, Values: e.values, Deny: -1})
		}
	}
	return out
}

// singleNegated returns the restriction a Deny statement's condition adds:
// exactly one negated operator on one restricting key with fixed values.
func (pc parsedCondition) singleNegated(stmt int) (Condition, bool) {
	if len(pc) != 1 {
		return Condition{}, false
	}
	e := pc[0]
	q, base, _ := splitOperator(e.op)
	if q == "foranyvalue" || !negatedOps[base] {
		return Condition{}, false
	}
	if !fixedValues(e.key, base, e.values) {
		return Condition{}, false
	}
	return Condition{Operator: e.op, Key: e.key, Values: e.values, Deny: stmt}, true
}

// fixedValues reports whether key is a restricting key and every value is
// fixed for it (see the package doc).
func fixedValues(key, base string, values []string) bool {
	kind, ok := restrictingKeys[strings.ToLower(key)]
	if !ok || len(values) == 0 {
		return false
	}
	for _, v := range values {
		switch kind {
		case kindIP:
			if base != "ipaddress" && base != "notipaddress" {
				return false
			}
			p, err := netip.ParsePrefix(v)
			if err != nil {
				a, err2 := netip.ParseAddr(v)
				if err2 != nil {
					return false
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			if p.Bits() == 0 {
				return false
			}
		case kindOrgPath:
			id, _, _ := strings.Cut(v, "/")
			if id == "" || strings.ContainsAny(id, "*?") || strings.Contains(id, "${") {
				return false
			}
		default:
			if base == "ipaddress" || base == "notipaddress" {
				return false
			}
			if v == "" || strings.ContainsAny(v, "*?") || strings.Contains(v, "${") {
				return false
			}
		}
	}
	return true
}
