package evaluate

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/orgiam/orgiam/internal/iamdata"
)

// gen builds random but valid requests and policy sets: every field is one
// the oracle validates and accepts (actions with resources of the right
// type, context values of the key's type), so that the two implementations
// are compared on the logic, not on input checking.
type gen struct {
	r *rand.Rand
	// m draws the management account, apart from r so that adding it left
	// every other part of the seeded cases as it was.
	m *rand.Rand
}

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

type genAction struct {
	name string
	res  func(g *gen, acct string) string
}

var genActions = []genAction{
	{"s3:GetObject", func(g *gen, _ string) string {
		return "arn:aws:s3:::" + g.pick("data", "logs") + "/" + g.pick("alice/a.txt", "bob/b.txt", "shared/c.txt", "x*y")
	}},
	{"s3:PutObject", func(g *gen, _ string) string {
		return "arn:aws:s3:::" + g.pick("data", "logs") + "/" + g.pick("alice/a.txt", "bob/b.txt")
	}},
	{"s3:ListBucket", func(g *gen, _ string) string { return "arn:aws:s3:::" + g.pick("data", "logs") }},
	{"sqs:SendMessage", func(g *gen, a string) string { return "arn:aws:sqs:us-east-1:" + a + ":" + g.pick("jobs", "events") }},
	{"sqs:ReceiveMessage", func(g *gen, a string) string { return "arn:aws:sqs:us-east-1:" + a + ":" + g.pick("jobs", "events") }},
	{"kms:Decrypt", func(g *gen, a string) string {
		return "arn:aws:kms:us-east-1:" + a + ":key/" + g.pick("1234abcd-12ab-34cd-56ef-1234567890ab", "0987dcba-09fe-87dc-65ba-ab0987654321")
	}},
	{"dynamodb:GetItem", func(g *gen, a string) string {
		return "arn:aws:dynamodb:us-east-1:" + a + ":table/" + g.pick("users", "orders")
	}},
	{"secretsmanager:GetSecretValue", func(g *gen, a string) string {
		return "arn:aws:secretsmanager:us-east-1:" + a + ":secret:" + g.pick("db-AbCdEf", "api-GhIjKl")
	}},
	{"ec2:DescribeInstances", func(*gen, string) string { return "*" }},
	{"iam:GetUser", func(g *gen, a string) string { return "arn:aws:iam::" + a + ":user/" + g.pick("alice", "bob") }},
	{"sts:AssumeRole", func(g *gen, a string) string { return "arn:aws:iam::" + a + ":role/" + g.pick("deploy", "audit") }},
	{"lambda:InvokeFunction", func(g *gen, a string) string {
		return "arn:aws:lambda:us-east-1:" + a + ":function:" + g.pick("api", "worker")
	}},
}

func (g *gen) pick(options ...string) string { return options[g.r.IntN(len(options))] }
func (g *gen) chance(p float64) bool         { return g.r.Float64() < p }

// principal returns a principal ARN, its account and, for users, its name.
func (g *gen) principal() (arn, acct, user string) {
	acct = acctA
	if g.chance(0.3) {
		acct = acctB
	}
	switch g.r.IntN(3) {
	case 0, 1:
		user = g.pick("alice", "bob")
		return "arn:aws:iam::" + acct + ":user/" + user, acct, user
	default:
		return "arn:aws:sts::" + acct + ":assumed-role/" + g.pick("dev", "ops") + "/" + g.pick("s1", "s2"), acct, ""
	}
}

// key generators: a condition key and valid values for it.
type genKey struct {
	key    string
	multi  bool
	family string // string, arn, ip, bool, date, num
	values []string
}

var genKeys = []genKey{
	{"aws:username", false, "string", []string{"alice", "bob", "Alice", "al*", "b?b"}},
	{"aws:PrincipalTag/team", false, "string", []string{"red", "blue", "RED", "r*"}},
	{"aws:ResourceTag/env", false, "string", []string{"prod", "dev", "pr*"}},
	{"aws:PrincipalOrgID", false, "string", []string{"o-aaaa1111", "o-bbbb2222"}},
	{"aws:PrincipalAccount", false, "string", []string{acctA, acctB}},
	{"aws:TagKeys", true, "string", []string{"env", "team", "cost", "t*"}},
	{"aws:PrincipalArn", false, "arn", []string{"arn:aws:iam::" + acctA + ":user/alice", "arn:aws:iam::" + acctA + ":role/dev", "arn:aws:iam::*:user/*", "arn:aws:iam::" + acctB + ":*"}},
	{"aws:SourceArn", false, "arn", []string{"arn:aws:s3:::data", "arn:aws:sns:us-east-1:" + acctA + ":topic", "arn:aws:s3:::*"}},
	{"aws:SourceIp", false, "ip", []string{"10.0.0.0/8", "192.168.1.0/24", "203.0.113.7/32", "2001:db8::/32"}},
	{"aws:SecureTransport", false, "bool", []string{"true", "false"}},
	{"aws:MultiFactorAuthPresent", false, "bool", []string{"true", "false"}},
	{"aws:CurrentTime", false, "date", []string{"2024-01-01T00:00:00Z", "2024-06-15T12:00:00Z", "2025-01-01"}},
	{"aws:MultiFactorAuthAge", false, "num", []string{"60", "3600", "86400"}},
}

var contextValues = map[string][]string{
	"aws:PrincipalTag/team":      {"red", "blue", "green"},
	"aws:ResourceTag/env":        {"prod", "dev"},
	"aws:PrincipalOrgID":         {"o-aaaa1111", "o-bbbb2222"},
	"aws:TagKeys":                {"env", "team", "cost", "owner"},
	"aws:SourceArn":              {"arn:aws:s3:::data", "arn:aws:sns:us-east-1:" + acctA + ":topic"},
	"aws:SourceIp":               {"10.1.2.3", "192.168.1.20", "203.0.113.7", "2001:db8::5"},
	"aws:SecureTransport":        {"true", "false"},
	"aws:MultiFactorAuthPresent": {"true", "false"},
	"aws:CurrentTime":            {"2024-03-01T00:00:00Z", "2024-06-15T12:00:00Z", "2025-02-01T08:30:00Z"},
	"aws:MultiFactorAuthAge":     {"30", "3600", "90000"},
}

var contextKeyOrder = func() []string {
	var ks []string
	for k := range contextValues {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}()

// supportsResourceTag reports whether the catalogue lists aws:ResourceTag
// for the action or one of its resource types.
func supportsResourceTag(action string) bool {
	c := iamdata.MustLoad()
	a, ok := c.Action(action)
	if !ok {
		return false
	}
	has := func(keys []string) bool {
		for _, k := range keys {
			if strings.EqualFold(k, "aws:ResourceTag/${TagKey}") {
				return true
			}
		}
		return false
	}
	if has(a.Keys) {
		return true
	}
	svc, _ := c.Service(action[:strings.IndexByte(action, ':')])
	for _, r := range a.Resources {
		for _, rt := range svc.ResourceTypes {
			if rt.Name == r.Type && has(rt.Keys) {
				return true
			}
		}
	}
	return false
}

var familyOps = map[string][]string{
	"string": {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"},
	"arn":    {"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "StringLike"},
	"ip":     {"IpAddress", "NotIpAddress"},
	"bool":   {"Bool"},
	"date":   {"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"},
	"num":    {"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"},
}

func (g *gen) condition() map[string]map[string]any {
	out := map[string]map[string]any{}
	n := 1 + g.r.IntN(2)
	for range n {
		k := genKeys[g.r.IntN(len(genKeys))]
		if g.chance(0.1) {
			out["Null"] = map[string]any{k.key: g.pick("true", "false")}
			continue
		}
		ops := familyOps[k.family]
		op := ops[g.r.IntN(len(ops))]
		if k.multi {
			op = g.pick("ForAllValues:", "ForAnyValue:") + op
		}
		if g.chance(0.15) {
			op += "IfExists"
		}
		var vals []string
		for range 1 + g.r.IntN(2) {
			vals = append(vals, k.values[g.r.IntN(len(k.values))])
		}
		if k.family == "string" && g.chance(0.15) {
			vals[0] = g.pick("${aws:username}", "${aws:PrincipalTag/team}", "${aws:username, 'bob'}")
		}
		if out[op] == nil {
			out[op] = map[string]any{}
		}
		if len(vals) == 1 {
			out[op][k.key] = vals[0]
		} else {
			out[op][k.key] = vals
		}
	}
	return out
}

func (g *gen) actionPattern(action string) string {
	svc, name, _ := strings.Cut(action, ":")
	switch g.r.IntN(10) {
	case 0:
		return "*"
	case 1:
		return svc + ":*"
	case 2:
		return svc + ":" + name[:3] + "*"
	case 3:
		return strings.ToUpper(svc) + ":" + strings.ToLower(name)
	case 4:
		return svc + ":" + name[:1] + "?" + name[2:]
	case 5:
		other := genActions[g.r.IntN(len(genActions))].name
		return other
	}
	return action
}

func (g *gen) resourcePattern(res, acct string) string {
	if res == "*" {
		return "*"
	}
	switch g.r.IntN(9) {
	case 0:
		return "*"
	case 1:
		if i := strings.LastIndexAny(res, "/:"); i > 0 {
			return res[:i+1] + "*"
		}
	case 2:
		return strings.Replace(res, acct, "*", 1)
	case 3:
		if strings.HasPrefix(res, "arn:aws:s3:::") {
			return "arn:aws:s3:::" + g.pick("data", "logs") + "/${aws:username}/*"
		}
	case 4:
		if i := strings.LastIndexAny(res, "/:"); i > 0 && i+2 < len(res) {
			return res[:i+1] + "?" + res[i+2:]
		}
	case 5:
		if strings.HasPrefix(res, "arn:aws:s3:::") {
			return "arn:aws:s3:::" + g.pick("data", "logs") + "/x${*}y"
		}
	case 6:
		return genActions[g.r.IntN(len(genActions))].res(g, acct)
	}
	return res
}

type stmt = map[string]any

func (g *gen) statement(action, res, acct string, effect string) stmt {
	s := stmt{"Effect": effect}
	if g.chance(0.2) {
		s["Sid"] = fmt.Sprintf("S%d", g.r.IntN(100))
	}
	acts := []string{g.actionPattern(action)}
	if g.chance(0.3) {
		acts = append(acts, g.actionPattern(action))
	}
	if g.chance(0.15) {
		s["NotAction"] = acts
	} else if len(acts) == 1 {
		s["Action"] = acts[0]
	} else {
		s["Action"] = acts
	}
	rs := []string{g.resourcePattern(res, acct)}
	if g.chance(0.15) {
		s["NotResource"] = rs
	} else {
		s["Resource"] = rs
	}
	if g.chance(0.45) {
		s["Condition"] = g.condition()
	}
	return s
}

func (g *gen) doc(stmts ...stmt) json.RawMessage {
	return g.docVersion(true, stmts...)
}

func (g *gen) docVersion(old bool, stmts ...stmt) json.RawMessage {
	version := "2012-10-17"
	if old && g.chance(0) {
		version = "2008-10-17"
	}
	b, _ := json.Marshal(map[string]any{"Version": version, "Statement": stmts})
	return b
}

func (g *gen) identityDoc(action, res, acct string) json.RawMessage {
	var ss []stmt
	for range 1 + g.r.IntN(3) {
		effect := "Allow"
		if g.chance(0.2) {
			effect = "Deny"
		}
		ss = append(ss, g.statement(action, res, acct, effect))
	}
	return g.doc(ss...)
}

func (g *gen) principalElement(pARN, pAcct string) any {
	role := ""
	if strings.Contains(pARN, ":assumed-role/") {
		parts := strings.Split(pARN, "/")
		role = "arn:aws:iam::" + pAcct + ":role/" + parts[1]
	}
	options := []any{
		"*",
		map[string]any{"AWS": pAcct},
		map[string]any{"AWS": "arn:aws:iam::" + pAcct + ":root"},
		map[string]any{"AWS": pARN},
		map[string]any{"AWS": "arn:aws:iam::" + acctB + ":user/carol"},
		map[string]any{"AWS": []string{"arn:aws:iam::" + acctA + ":user/alice", "arn:aws:iam::" + acctB + ":root"}},
		map[string]any{"Service": "lambda.amazonaws.com"},
	}
	if role != "" {
		options = append(options, map[string]any{"AWS": role}, map[string]any{"AWS": role})
	}
	return options[g.r.IntN(len(options))]
}

func (g *gen) resourceDoc(action, res, resAcct, pARN, pAcct string) json.RawMessage {
	var ss []stmt
	trust := action == "sts:AssumeRole"
	for range 1 + g.r.IntN(2) {
		effect := "Allow"
		if g.chance(0.2) {
			effect = "Deny"
		}
		s := g.statement(action, res, resAcct, effect)
		if trust {
			// Trust policies have no Resource element.
			delete(s, "Resource")
			delete(s, "NotResource")
			s["Action"] = g.pick("sts:AssumeRole", "sts:*", "sts:Assume*")
			delete(s, "NotAction")
		}
		if effect == "Deny" && g.chance(0.2) {
			np := []string{pARN}
			if g.chance(0.7) {
				np = append(np, "arn:aws:iam::"+pAcct+":root")
			}
			if i := strings.Index(pARN, ":assumed-role/"); i > 0 && g.chance(0.6) {
				np = append(np, "arn:aws:iam::"+pAcct+":role/"+strings.Split(pARN[i+len(":assumed-role/"):], "/")[0])
			}
			if g.chance(0.2) {
				np = []string{"arn:aws:iam::" + acctB + ":user/carol"}
			}
			s["NotPrincipal"] = map[string]any{"AWS": np}
		} else {
			s["Principal"] = g.principalElement(pARN, pAcct)
		}
		ss = append(ss, s)
	}
	return g.doc(ss...)
}

var rcpActions = []string{"s3:*", "s3:GetObject", "sqs:*", "kms:*", "kms:Decrypt", "sts:AssumeRole", "dynamodb:GetItem", "secretsmanager:*"}

func (g *gen) rcpDoc() json.RawMessage {
	s := stmt{"Effect": "Deny", "Principal": "*", "Action": rcpActions[g.r.IntN(len(rcpActions))], "Resource": "*"}
	if g.chance(0.7) {
		s["Condition"] = g.condition()
	}
	return g.docVersion(false, s)
}

func (g *gen) scpLevel(action, res, acct string) []json.RawMessage {
	var docs []json.RawMessage
	if g.chance(0.85) {
		docs = append(docs, json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	} else {
		docs = append(docs, g.doc(g.statement(action, res, acct, "Allow")))
	}
	if g.chance(0.3) {
		docs = append(docs, g.doc(g.statement(action, res, acct, "Deny")))
	}
	return docs
}

// request builds one random request in orgiam's input shape.
func (g *gen) request() *InputRequest {
	pARN, pAcct, user := g.principal()
	act := genActions[g.r.IntN(len(genActions))]
	resAcct := pAcct
	if g.chance(0.35) {
		resAcct = map[string]string{acctA: acctB, acctB: acctA}[pAcct]
	}
	res := act.res(g, resAcct)
	in := &InputRequest{Principal: pARN, Action: act.name, Resource: res, ResourceAccount: resAcct, Context: map[string]json.RawMessage{}}
	set := func(k string, v any) { b, _ := json.Marshal(v); in.Context[k] = b }
	// The keys AWS always sets, consistent with the principal (the oracle
	// does not derive them).
	set("aws:PrincipalAccount", pAcct)
	if user != "" {
		set("aws:PrincipalArn", pARN)
		set("aws:username", user)
		set("aws:PrincipalType", "User")
	} else {
		parts := strings.Split(pARN, "/")
		set("aws:PrincipalArn", "arn:aws:iam::"+pAcct+":role/"+parts[1])
		set("aws:PrincipalType", "AssumedRole")
	}
	set("aws:ResourceAccount", resAcct)
	for _, k := range contextKeyOrder {
		vals := contextValues[k]
		if !g.chance(0.5) {
			continue
		}
		if k == "aws:ResourceTag/env" && (!supportsResourceTag(act.name) || strings.HasPrefix(act.name, "s3:")) {
			// The oracle drops keys the action does not support, as AWS
			// never sends them; keep the context to keys AWS would send.
			// S3 sends aws:ResourceTag only for buckets with ABAC enabled.
			continue
		}
		if k == "aws:TagKeys" {
			n := g.r.IntN(3)
			var vs []string
			for range n {
				vs = append(vs, vals[g.r.IntN(len(vals))])
			}
			if vs == nil {
				vs = []string{}
			}
			set(k, vs)
			continue
		}
		set(k, vals[g.r.IntN(len(vals))])
	}
	for range g.r.IntN(3) {
		in.IdentityPolicies = append(in.IdentityPolicies, g.identityDoc(act.name, res, resAcct))
	}
	if g.chance(0.25) {
		in.PermissionBoundary = g.identityDoc(act.name, res, resAcct)
	}
	if user == "" && g.chance(0.2) {
		in.SessionPolicy = g.identityDoc(act.name, res, resAcct)
	}
	if act.name == "sts:AssumeRole" || g.chance(0.5) {
		in.ResourcePolicy = g.resourceDoc(act.name, res, resAcct, pARN, pAcct)
	}
	if g.chance(0.3) {
		for range 1 + g.r.IntN(3) {
			in.SCPs = append(in.SCPs, g.scpLevel(act.name, res, resAcct))
		}
	}
	if g.chance(0.2) {
		for range 1 + g.r.IntN(2) {
			in.RCPs = append(in.RCPs, []json.RawMessage{g.rcpDoc()})
		}
	}
	// A management account: the principal's (SCPs exempt), the
	// resource's (RCPs exempt), or a third account (neither). toOracle
	// applies the exemption for the oracle, which cannot be told of it.
	if g.m != nil && (len(in.SCPs) > 0 || len(in.RCPs) > 0) && g.m.Float64() < 0.4 {
		in.ManagementAccount = []string{pAcct, resAcct, "999999999999"}[g.m.IntN(3)]
	}
	return in
}
