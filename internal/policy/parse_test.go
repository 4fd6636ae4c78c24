package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// bigManagedPolicy is shaped like a large AWS managed policy (ReadOnlyAccess).
var bigManagedPolicy = func() string {
	var b strings.Builder
	b.WriteString(`{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadOnlyActions",
            "Effect": "Allow",
            "Action": [`)
	for i := range 150 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n                \"svc%d:Describe*\",\n                \"svc%d:Get*\",\n                \"svc%d:List*\"", i, i, i)
	}
	b.WriteString(`
            ],
            "Resource": "*"
        },
        {
            "Sid": "DenyData",
            "Effect": "Deny",
            "Action": ["s3:GetObject", "dynamodb:GetItem"],
            "NotResource": ["arn:aws:s3:::public-*", "arn:aws:s3:::public-*/*"]
        }
    ]
}`)
	return b.String()
}()

// validDocs are well-formed policy documents Parse must read exactly as
// parseV1 does.
var validDocs = []string{
	// Empty and null forms.
	``,
	`   `,
	`null`,
	" \n\tnull\r\n",
	`{}`,
	`{"Statement":null}`,
	`{"Statement":[]}`,
	`{"Statement":{}}`,
	`{"Statement":[null]}`,
	`{"Statement":[{},null,{}]}`,
	`{"Version":null,"Id":null}`,
	`"null"`,
	`" null "`,
	`"{}"`,

	// Typical identity policies.
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Sid":"S3Read","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]}]}`,
	`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "ec2:Describe*"], "Resource": "*"}]}`,
	`{"Version":"2012-10-17","Id":"policy-id-1","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeOrganization"],"Resource":"*"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"s3:*","NotResource":["arn:aws:s3:::x","arn:aws:s3:::x/*"]}]}`,
	`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:123456789012:q"}}`,
	bigManagedPolicy,

	// Trust policies.
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","arn:aws:iam::222222222222:role/x","333333333333"]},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]},"Action":["sts:AssumeRole","sts:TagSession"]}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:saml-provider/okta"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":["arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"]},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":["repo:example/*:ref:refs/heads/main","repo:example/*:environment:prod"]},"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*","CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}`,
	`{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::1:user/admin","arn:aws:iam::1:root"]},"Action":"s3:*","Resource":"*"}]}`,
	`{"Statement":[{"Effect":"Deny","NotPrincipal":"*","Action":"s3:*"}]}`,
	`{"Statement":[{"Principal":{}}]}`,
	`{"Statement":[{"Principal":{"AWS":[]}}]}`,
	`{"Statement":[{"Principal":null,"NotPrincipal":null}]}`,

	// Conditions with nested operators and odd spacing (kept byte for byte).
	`{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"},"ForAnyValue:StringLike":{"aws:PrincipalTag/team":["a*","b?"]},"Bool":{"aws:SecureTransport":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":3600},"Null":{"aws:TokenIssueTime":false},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}}]}`,
	"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Condition\" :  {\n\t\"Bool\" : { \"aws:SecureTransport\" : \"false\" } \n}  ,\"Resource\":\"*\"}]}",
	`{"Statement":[{"Condition":{}},{"Condition":null},{"Condition":[]},{"Condition":"x"},{"Condition":12.5e3},{"Condition":true}]}`,
	`{"Statement":[{"Condition":{"a":{"b":{"c":[1,2,{"d":null}]}}}}]}`,

	// A document given as a JSON string.
	`"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"true\"}}}]}"`,
	`  "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":[\"iam:*\"],\"Principal\":{\"AWS\":[\"arn:aws:iam::1:root\",\"2\"],\"Service\":\"ec2.amazonaws.com\"}}}"  `,
	`"  {\"Statement\":[]}\n"`,
	`"{\"Statement\":[{\"Action\":\"\\u00e9\\n\"}]}"`,

	// Unicode and escapes.
	`{"Statement":[{"Sid":"Caf\u00e9\ud83d\ude00","Effect":"Allow","Action":["s3:Get\u002a","ec2:\"quoted\"","tab\there","slash\/back\\"],"Resource":"arn:aws:s3:::bücket/日本語/*"}]}`,
	`{"Statement":[{"Sid":"\ud800","Action":["\udc00x","\ud800\u0041","\ud83d"],"Resource":"é"}]}`,
	"{\"Statement\":[{\"Sid\":\"bad\xff\xfeutf8\",\"Action\":\"a\xc3\",\"Condition\":{\"k\xff\":\"v\xe2\x82\"}}]}",
	"{\"Statement\":[{\"Action\":\"\u2028\u2029\",\"Resource\":\"\\u0000\"}]}",
	"\"{\\\"Statement\\\":[{\\\"Action\\\":\\\"x\xffy\\\"}]}\"",

	// Case-variant member names.
	`{"version":"2012-10-17","statement":[{"effect":"Allow","action":"s3:*","resource":"*"}]}`,
	`{"VERSION":"v","ID":"i","STATEMENT":{"SID":"s","EFFECT":"Deny","NOTACTION":"x","NOTRESOURCE":["y"],"PRINCIPAL":"*","NOTPRINCIPAL":{"aws":"z"},"CONDITION":{}}}`,
	`{"Statement":[{"eFfEcT":"Allow","aCtIoN":["a"]}]}`,
	"{\"\u017ftatement\":[{\"\u017fid\":\"long s\",\"Re\u017fource\":\"r\"}]}",
	`{"Stat\u0065ment":[{"Eff\u0065ct":"Allow"}]}`,

	// Unknown members with nested values.
	`{"Version":"2012-10-17","Extra":{"a":[1,2,{"b":null}],"c":"d"},"Statement":[{"Effect":"Allow","Action":"x","Foo":[[],{},"s",1.5,true,false,null],"Bar":{"Statement":"nope"}}],"Trailer":[{"Statement":5}]}`,
	`{"Statements":[{"Effect":"Allow"}],"Statement ":5,"Id ":[]}`,

	// Duplicate members: the last one wins.
	`{"Version":"a","Version":"b","Statement":[{"Effect":"Allow","Effect":"Deny","Action":"a","Action":["b","c"]}]}`,
	`{"Statement":[{"Action":5}],"Statement":[{"Action":"ok"}]}`,
	`{"Statement":"bad","Statement":null}`,
	`{"statement":{"Action":[1]},"Statement":[]}`,
	`{"Statement":[{"Sid":"a","Sid":null,"Effect":"Allow","Effect":null}]}`,
	`{"Statement":[{"Principal":"*","Principal":{"AWS":"x"}}]}`,
	`{"Statement":[{"Principal":{"AWS":"x"},"Principal":"*"}]}`,
	`{"Statement":[{"Principal":{"AWS":"x"},"Principal":null}]}`,
	`{"Statement":[{"Principal":{"AWS":"x","AWS":["y","z"]}}]}`,
	`{"Statement":[{"Condition":{"a":1},"Condition":{"b":2}}]}`,

	// Nulls and empty values inside lists.
	`{"Statement":[{"Action":[],"Resource":[""],"NotAction":"","NotResource":["a",null,"b"]}]}`,
	`{"Statement":[{"Principal":{"AWS":null,"Service":[null]}}]}`,
}

// nullListDocs have a null Action, NotAction, Resource or NotResource: Parse
// gives a nil list where parseV1 gave [""].
var nullListDocs = []string{
	`{"Statement":[{"Effect":"Allow","Action":null,"Resource":null}]}`,
	`{"Statement":{"NotAction":null,"NotResource":null}}`,
	`{"Statement":[{"Action":["a"],"Action":null}]}`,
}

// invalidDocs must give an error from both Parse and parseV1.
var invalidDocs = []string{
	`{`,
	`}`,
	`{"Statement":[}`,
	`{"Statement":[{"Effect":"Allow",}]}`,
	`{"Statement":[{"Effect":"Allow"}]} x`,
	`{"Statement":[]}{}`,
	`{} {}`,
	`{}]`,
	`nul`,
	`null x`,
	`nullnull`,
	`[]`,
	`[{"Effect":"Allow"}]`,
	`5`,
	`true`,
	`{'a':1}`,
	`{"a" 1}`,
	"{\"a\":\"\x01\"}",
	`{"a":"\x"}`,
	`{"a":01}`,
	`{"a":NaN}`,
	`{"Version":5}`,
	`{"Version":["2012-10-17"]}`,
	`{"Id":{}}`,
	`{"Statement":5}`,
	`{"Statement":"x"}`,
	`{"Statement":true}`,
	`{"Statement":["x"]}`,
	`{"Statement":[{"Effect":"Allow"},5]}`,
	`{"Statement":[[]]}`,
	`{"Statement":[{"Effect":"Allow","Action":5}]}`,
	`{"Statement":[{"Effect":"Allow","Action":{"a":"b"}}]}`,
	`{"Statement":[{"Effect":"Allow","Action":true}]}`,
	`{"Statement":[{"Effect":"Allow","Resource":[1,2,3]}]}`,
	`{"Statement":[{"Effect":"Allow","Resource":["a",["b"]]}]}`,
	`{"Statement":[{"Effect":"Allow","NotResource":[{}]}]}`,
	`{"Statement":[{"Effect":1}]}`,
	`{"Statement":[{"Sid":[]}]}`,
	`{"Statement":[{"Principal":"foo"}]}`,
	`{"Statement":[{"Principal":""}]}`,
	`{"Statement":[{"NotPrincipal":"arn:aws:iam::1:root"}]}`,
	`{"Statement":[{"Principal":5}]}`,
	`{"Statement":[{"Principal":["*"]}]}`,
	`{"Statement":[{"Principal":{"AWS":5}}]}`,
	`{"Statement":[{"Principal":{"AWS":[5]}}]}`,
	`{"Statement":[{"Principal":{"AWS":{"x":"y"}}}]}`,
	`{"Statement":[{"Action":5}],"Statement":[{"Action":"ok"}],"statement":{"Resource":false}}`,
	`{"Statement":[{"Action":5}]} x`,
	`{"Statement":[{"Action":5,]}]}`,
	`{"Statement":[{"Action":[5,}]}]}`,
	`{"Statement":[],"Version":1}`,
	`{"Statement":[{"Action":5}],"Version":"v","Statement":null,"Id":[1]}`,
	`"{"`,
	`"\"x\""`,
	`"[]"`,
	`""`,
	`"   "`,
	`"{}" x`,
	`"{}"x`,
	`"{\"Statement\":[{\"Action\":5}]}"`,
	`"\u000b{}"`,
	`"{}`,
	"\"\\\"{}\\\"\"",
	"{\"Statement\":[]}\x00",
}

// checkSame parses in with Parse and with the reference and reports any
// difference. Condition bytes must be identical, not just equivalent.
func checkSame(in []byte, ref func([]byte) (Document, error)) error {
	got, gerr := Parse(in)
	want, werr := ref(in)
	switch {
	case gerr != nil && werr != nil:
		return nil
	case gerr != nil:
		return fmt.Errorf("Parse failed, reference did not: %v\nreference: %#v", gerr, want)
	case werr != nil:
		return fmt.Errorf("reference failed, Parse did not: %v\nParse: %#v", werr, got)
	}
	if len(got.Statement) != len(want.Statement) {
		return fmt.Errorf("%d statements, reference has %d\nParse: %#v\nreference: %#v", len(got.Statement), len(want.Statement), got, want)
	}
	for i := range got.Statement {
		g, w := got.Statement[i], want.Statement[i]
		if g.HasCondition() != w.HasCondition() {
			return fmt.Errorf("statement %d: HasCondition %v, reference %v", i, g.HasCondition(), w.HasCondition())
		}
		if (g.Condition == nil) != (w.Condition == nil) || !bytes.Equal(g.Condition, w.Condition) {
			return fmt.Errorf("statement %d: Condition %q, reference %q", i, g.Condition, w.Condition)
		}
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("documents differ\nParse:     %#v\nreference: %#v", got, want)
	}
	return nil
}

func TestParseMatchesV1(t *testing.T) {
	for _, doc := range validDocs {
		if _, err := parseV1([]byte(doc)); err != nil {
			t.Errorf("parseV1(%q) failed, the case belongs in invalidDocs: %v", doc, err)
			continue
		}
		if err := checkSame([]byte(doc), parseV1); err != nil {
			t.Errorf("Parse(%q): %v", doc, err)
		}
		in := []byte(doc)
		_, _ = Parse(in)
		if string(in) != doc {
			t.Errorf("Parse modified its input %q to %q", doc, in)
		}
	}
	for _, doc := range invalidDocs {
		_, werr := parseV1([]byte(doc))
		_, gerr := Parse([]byte(doc))
		if werr == nil || gerr == nil {
			t.Errorf("%q: want two errors, Parse gave %v and parseV1 %v", doc, gerr, werr)
		}
	}
}

func TestParseNullLists(t *testing.T) {
	for _, doc := range nullListDocs {
		if err := checkSame([]byte(doc), parseV1NullAsNil); err != nil {
			t.Errorf("Parse(%q): %v", doc, err)
		}
		got, err := Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		s := got.Statement[0]
		if s.Action != nil || s.NotAction != nil || s.Resource != nil || s.NotResource != nil {
			t.Errorf("Parse(%q): null must give nil lists: %#v", doc, s)
		}
		old, _ := parseV1([]byte(doc))
		if reflect.DeepEqual(got, old) {
			t.Errorf("Parse(%q): parseV1 gives the same; the case does not show the difference", doc)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"Statement":[{"Effect":"Allow","Action":5}]}`, `policy statement 0: Action: expected a string or a list of strings: 5`},
		{`{"Statement":[{},{"Resource":["a",2]}]}`, `policy statement 1: Resource: expected a string or a list of strings: 2`},
		{`{"Statement":[{"Principal":"foo"}]}`, `policy statement 0: Principal "foo": only "*" may be a plain string`},
		{`{"Statement":{"NotPrincipal":[1]}}`, `policy statement 0: NotPrincipal: expected "*" or an object: [1]`},
		{`{"Statement":[{"Effect":"Allow"},"x"]}`, `policy statement 1: expected an object: "x"`},
		{`{"Statement":5}`, `policy statements: expected an object or a list of objects: 5`},
		{`{"Version":5}`, `policy document: Version: expected a string: 5`},
		{`[1]`, `policy document: expected a JSON object: [1]`},
		{`""`, `policy document: unexpected EOF`},
		{`{} {}`, `policy document: unexpected data after the top-level value`},
		{`{"Statement":[}`, `policy document: jsontext: invalid character '}'`},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.in))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want prefix %q", tt.in, err, tt.want)
		}
	}
}

func TestParseDepth(t *testing.T) {
	// encoding/json and jsontext both allow 10000 levels of nesting.
	for _, depth := range []int{9998, 9999, 10000, 10001} {
		n := depth - 1 // the document object is one level
		doc := `{"x":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
		if err := checkSame([]byte(doc), parseV1); err != nil {
			t.Errorf("depth %d: %v", depth, err)
		}
	}
}

// TestParseConditionCopied checks that Condition does not alias the input.
func TestParseConditionCopied(t *testing.T) {
	in := []byte(`{"Statement":[{"Condition":{"Bool":{"a":"true"}}}]}`)
	doc, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i] = 'x'
	}
	if got := string(doc.Statement[0].Condition); got != `{"Bool":{"a":"true"}}` {
		t.Fatalf("Condition changed with the input: %q", got)
	}
}

// TestParseConcurrent exercises the parser pool from several goroutines.
func TestParseConcurrent(t *testing.T) {
	done := make(chan error)
	for g := range 8 {
		go func() {
			for i := range 200 {
				doc := validDocs[(g*31+i)%len(validDocs)]
				if err := checkSame([]byte(doc), parseV1); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func FuzzParseMatchesV1(f *testing.F) {
	for _, docs := range [][]string{validDocs, nullListDocs, invalidDocs} {
		for _, d := range docs {
			f.Add([]byte(d))
		}
	}
	// Also seed each valid document as a JSON string.
	for _, d := range validDocs[:40] {
		f.Add([]byte(strconv.Quote(d)))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if err := checkSame(in, parseV1NullAsNil); err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		// parseV1 itself differs from Parse only where a list is null.
		got, gerr := Parse(in)
		want, werr := parseV1(in)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("Parse(%q): error %v, parseV1 error %v", in, gerr, werr)
		}
		if gerr == nil && !reflect.DeepEqual(got, want) && !onlyNullListsDiffer(got, want) {
			t.Fatalf("Parse(%q) differs from parseV1 beyond null lists\nParse:  %#v\nparseV1: %#v", in, got, want)
		}
	})
}

// onlyNullListsDiffer reports whether got and want differ only in lists that
// Parse left nil where parseV1 gave [""].
func onlyNullListsDiffer(got, want Document) bool {
	if len(got.Statement) != len(want.Statement) {
		return false
	}
	fix := func(g, w []string) []string {
		if g == nil && len(w) == 1 && w[0] == "" {
			return nil
		}
		return w
	}
	want.Statement = append([]Statement(nil), want.Statement...)
	for i := range want.Statement {
		g, w := &got.Statement[i], &want.Statement[i]
		w.Action, w.NotAction = fix(g.Action, w.Action), fix(g.NotAction, w.NotAction)
		w.Resource, w.NotResource = fix(g.Resource, w.Resource), fix(g.NotResource, w.NotResource)
	}
	return reflect.DeepEqual(got, want)
}

// benchDocs is a realistic mix for an index build: many trust policies and
// small inline policies, some customer managed policies and a few large AWS
// managed ones.
var benchDocs = func() [][]byte {
	trust := []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"f00d"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111111111111:saml-provider/okta"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":["sts:AssumeRole","sts:TagSession"]}]}`,
	}
	inline := []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::x/*"},{"Effect":"Allow","NotAction":"iam:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}}`,
		"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"Logs\",\n      \"Effect\": \"Allow\",\n      \"Action\": [\n        \"logs:CreateLogGroup\",\n        \"logs:CreateLogStream\",\n        \"logs:PutLogEvents\"\n      ],\n      \"Resource\": \"arn:aws:logs:*:*:*\"\n    }\n  ]\n}",
		`"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"s3:DeleteBucket\",\"Resource\":\"*\"}]}"`,
	}
	managed := []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"AllowDescribe","Effect":"Allow","Action":["ec2:Describe*","elasticloadbalancing:Describe*","cloudwatch:ListMetrics","cloudwatch:GetMetricStatistics","cloudwatch:Describe*","autoscaling:Describe*"],"Resource":"*"},{"Sid":"DenyOutsideRegions","Effect":"Deny","NotAction":["iam:*","sts:*","support:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}}]}`,
	}
	var out [][]byte
	for i := range 20 {
		out = append(out, []byte(trust[i%len(trust)]))
		if i%2 == 0 {
			out = append(out, []byte(inline[i%len(inline)]))
		}
		if i%5 == 0 {
			out = append(out, []byte(managed[i%len(managed)]))
		}
	}
	return append(out, []byte(bigManagedPolicy))
}()

func BenchmarkParse(b *testing.B) {
	var size int64
	for _, d := range benchDocs {
		size += int64(len(d))
	}
	for _, impl := range []struct {
		name  string
		parse func([]byte) (Document, error)
	}{{"new", Parse}, {"v1", parseV1}} {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(size)
			for b.Loop() {
				for _, d := range benchDocs {
					if _, err := impl.parse(d); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// randomDoc builds a random policy-like document: mostly well-formed, with
// case-variant, escaped, duplicate and unknown member names, nulls, values of
// the wrong type, escapes and invalid UTF-8 in strings.
func randomDoc(r *rand.Rand) []byte {
	var b []byte
	ws := func() {
		if r.IntN(4) == 0 {
			b = append(b, " \t\n\r"[r.IntN(4)])
		}
	}
	strs := []string{`"*"`, `"Allow"`, `"Deny"`, `"s3:Get*"`, `"arn:aws:iam::1:root"`, `""`, `"caf\u00e9"`,
		`"\ud83d\ude00"`, `"\ud800"`, `"a\"b"`, "\"\xff\"", "\"\xe2\x82\"", `"ec2.amazonaws.com"`, `"\/x\\"`, `"\u002a"`}
	str := func() { b = append(b, strs[r.IntN(len(strs))]...) }
	var junk func(depth int)
	junk = func(depth int) {
		switch n := r.IntN(8); {
		case n == 0:
			b = append(b, "null"...)
		case n == 1:
			b = append(b, []string{"1", "-0.5e3", "true", "false"}[r.IntN(4)]...)
		case n < 4 || depth > 3:
			str()
		case n < 6:
			b = append(b, '[')
			for i := range r.IntN(3) {
				if i > 0 {
					b = append(b, ',')
				}
				ws()
				junk(depth + 1)
			}
			b = append(b, ']')
		default:
			b = append(b, '{')
			for i := range r.IntN(3) {
				if i > 0 {
					b = append(b, ',')
				}
				str()
				b = append(b, ':')
				junk(depth + 1)
			}
			b = append(b, '}')
		}
	}
	name := func(n string) {
		switch r.IntN(10) {
		case 0:
			n = strings.ToLower(n)
		case 1:
			n = strings.ToUpper(n)
		case 2:
			n = strings.Replace(n, "s", "\u017f", 1)
		case 3:
			n = strings.Replace(n, "e", `\u0065`, 1)
		case 4:
			n += "x"
		}
		b = append(b, '"')
		b = append(b, n...)
		b = append(b, '"')
		ws()
		b = append(b, ':')
		ws()
	}
	list := func() {
		switch r.IntN(8) {
		case 0:
			junk(0)
		case 1, 2:
			str()
		default:
			b = append(b, '[')
			for i := range r.IntN(4) {
				if i > 0 {
					b = append(b, ',')
				}
				if r.IntN(12) == 0 {
					junk(1)
				} else {
					str()
				}
			}
			b = append(b, ']')
		}
	}
	principal := func() {
		switch r.IntN(8) {
		case 0:
			junk(0)
		case 1:
			b = append(b, `"*"`...)
		case 2:
			b = append(b, "null"...)
		default:
			b = append(b, '{')
			for i := range r.IntN(3) {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, []string{`"AWS"`, `"Service"`, `"Federated"`, `"aws"`}[r.IntN(4)]...)
				b = append(b, ':')
				list()
			}
			b = append(b, '}')
		}
	}
	statement := func() {
		if r.IntN(20) == 0 {
			junk(1)
			return
		}
		b = append(b, '{')
		fields := []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition", "Other"}
		for i := range r.IntN(7) {
			if i > 0 {
				b = append(b, ',')
			}
			ws()
			f := fields[r.IntN(len(fields))]
			name(f)
			switch {
			case f == "Sid" || f == "Effect":
				if r.IntN(10) == 0 {
					junk(1)
				} else {
					str()
				}
			case strings.HasSuffix(f, "Principal"):
				principal()
			case f == "Condition" || f == "Other":
				junk(0)
			default:
				list()
			}
		}
		b = append(b, '}')
	}
	b = append(b, '{')
	for i := range r.IntN(5) {
		if i > 0 {
			b = append(b, ',')
		}
		ws()
		switch f := []string{"Version", "Id", "Statement", "Statement", "Statement", "Extra"}[r.IntN(6)]; f {
		case "Statement":
			name(f)
			switch r.IntN(6) {
			case 0:
				junk(0)
			case 1:
				statement()
			default:
				b = append(b, '[')
				for j := range r.IntN(4) {
					if j > 0 {
						b = append(b, ',')
					}
					statement()
				}
				b = append(b, ']')
			}
		case "Extra":
			name(f)
			junk(0)
		default:
			name(f)
			if r.IntN(10) == 0 {
				junk(1)
			} else {
				str()
			}
		}
	}
	b = append(b, '}')
	switch r.IntN(20) {
	case 0:
		q, _ := json.Marshal(string(b))
		b = q
	case 1:
		b[r.IntN(len(b))] = "{}[]\",: x\\"[r.IntN(10)]
	case 2:
		b = b[:r.IntN(len(b))]
	}
	return b
}

// TestParseRandomDocuments compares Parse with the reference on generated
// documents, which reach shapes byte-level fuzzing rarely builds.
func TestParseRandomDocuments(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 50000
	if testing.Short() {
		n = 5000
	}
	var valid int
	for range n {
		doc := randomDoc(r)
		if err := checkSame(doc, parseV1NullAsNil); err != nil {
			t.Fatalf("Parse(%q): %v", doc, err)
		}
		if _, err := parseV1(doc); err == nil {
			valid++
		}
	}
	t.Logf("%d of %d generated documents were valid", valid, n)
}
