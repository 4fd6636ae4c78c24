package policygen

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/iamdata"
)

func TestBuildMergeDenyWildcard(t *testing.T) {
	cat := iamdata.MustLoad()
	deny, err := ParseRules(cat, "deny.json", []byte(`{"Version":"2012-10-17","Statement":[
 {"Effect":"Deny","Action":"s3:Delete*","Resource":"*"},
 {"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::logs/*"},
 {"Sid":"NoKmsOutsideVpc","Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}}]}`), "Deny")
	if err != nil {
		t.Fatal(err)
	}
	allow, err := ParseRules(cat, "allow.json", []byte(`["iam:PassRole", "s3:DeleteBucket"]`), "Allow")
	if err != nil {
		t.Fatal(err)
	}
	g := Grants{
		"s3:DeleteObject": {"arn:aws:s3:::data/*": true},
		"s3:GetObject":    {"arn:aws:s3:::data/*": true},
		"s3:PutObject":    {"arn:aws:s3:::logs/*": true, "arn:aws:s3:::data/*": true},
		"kms:Decrypt":     {"*": true},
	}
	doc, removed := Build(g, Rules{Allow: allow, Deny: deny})
	if !reflect.DeepEqual(removed, []string{"s3:DeleteBucket", "s3:DeleteObject"}) {
		t.Errorf("removed %v", removed)
	}
	if got := resourcesOf([]Document{doc}, "s3:PutObject"); !reflect.DeepEqual(got, []string{"arn:aws:s3:::data/*"}) {
		t.Errorf("s3:PutObject on %v: the denied bucket should be gone", got)
	}
	if got := doc.Actions(); !reflect.DeepEqual(got, []string{"iam:PassRole", "kms:Decrypt", "s3:GetObject", "s3:PutObject"}) {
		t.Errorf("allowed %v (a conditional deny must not remove kms:Decrypt)", got)
	}
	var denies []Statement
	for _, s := range doc.Statement {
		if s.Effect == "Deny" {
			denies = append(denies, s)
		}
	}
	if len(denies) != 3 || string(denies[2].Condition) != `{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}` || denies[1].Resource[0] != "arn:aws:s3:::logs/*" {
		t.Errorf("denies kept as written: %+v", denies)
	}
	// Valid JSON and deterministic.
	a, b := Marshal(doc), Marshal(func() Document { d, _ := Build(g, Rules{Allow: allow, Deny: deny}); return d }())
	if string(a) != string(b) || !json.Valid(a) {
		t.Error("not deterministic or not valid JSON")
	}
}

func TestParseRulesErrors(t *testing.T) {
	cat := iamdata.MustLoad()
	for _, c := range []struct{ in, want string }{
		{"{\n \"Statement\": [\n  {\"Effect\": \"Allow\",\n   \"Action\": \"s3:GetObjekt\"}]}", "allow.json line 4: action \"s3:GetObjekt\": no such action"},
		{"{\n \"Statement\": [\n  {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\",}\n]}", "allow.json line 3: not valid JSON"},
		{`{"Version":"2012-10-17"}`, "not an IAM policy document"},
		{`42`, "not an IAM policy document nor a JSON list"},
		{"[\n\"s3:GetObject\",\n\"GetObject\"]", "allow.json line 3: action \"GetObject\": expected service:Action"},
		{`{"Statement":{"Effect":"Deny","Action":"s3:*"}}`, "Effect \"Deny\" in a file of allow rules"},
		{`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*"}}`, "Principal is not allowed"},
	} {
		_, err := ParseRules(cat, "allow.json", []byte(c.in), "Allow")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.in, err, c.want)
		}
	}
}

func TestSplitAtLimit(t *testing.T) {
	cat := iamdata.MustLoad()
	g := Grants{}
	// Every EC2 action on a long ARN each: far over one policy.
	s, _ := cat.Service("ec2")
	for i, a := range s.Actions {
		g["ec2:"+a.Name] = map[string]bool{fmt.Sprintf("arn:aws:ec2:eu-west-1:111122223333:instance/i-%017d", i%40): true}
	}
	doc, _ := Build(g, Rules{})
	parts, err := Split(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 3 {
		t.Fatalf("%d parts", len(parts))
	}
	var all []string
	for _, p := range parts {
		b, _ := json.Marshal(p)
		if len(b) > MaxPolicySize {
			t.Errorf("part of %d characters", len(b))
		}
		sids := map[string]bool{}
		for _, s := range p.Statement {
			if sids[s.Sid] {
				t.Errorf("duplicate Sid %s", s.Sid)
			}
			sids[s.Sid] = true
		}
		all = append(all, p.Actions()...)
	}
	if !reflect.DeepEqual(dedupe(all), doc.Actions()) {
		t.Error("splitting lost or added actions")
	}
}
