package policy

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, value string
		fold, want     bool
	}{
		{"s3:Get*", "s3:GetObject", true, true},
		{"s3:get*", "S3:GETOBJECT", true, true},
		{"s3:Get*", "s3:PutObject", true, false},
		{"*", "anything:at-all", true, true},
		{"iam:?etUser", "iam:GetUser", true, true},
		{"iam:?etUser", "iam:GetUsers", true, false},
		{"ec2:*Instances", "ec2:DescribeInstances", true, true},
		{"ec2:*Instances", "ec2:DescribeInstance", true, false},
		{"a*b*c", "axxbyyc", false, true},
		{"a*b*c", "axxbyy", false, false},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/key", false, true},
		{"arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/key", false, false},
		{"", "", false, true},
		{"**", "", false, true},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.value, tt.fold); got != tt.want {
			t.Errorf("Match(%q, %q, %v) = %v", tt.pattern, tt.value, tt.fold, got)
		}
	}
}

func TestParseShapes(t *testing.T) {
	doc, err := Parse([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}}`))
	if err != nil || len(doc.Statement) != 1 || doc.Statement[0].Action[0] != "s3:*" || !doc.Statement[0].Principal.Wildcard {
		t.Fatalf("single statement: %+v %v", doc, err)
	}
	doc, err = Parse([]byte(`"{\"Statement\":[{\"Effect\":\"Deny\",\"NotAction\":[\"iam:*\"],\"Resource\":[\"a\",\"b\"],\"Principal\":{\"AWS\":[\"arn:aws:iam::1:root\",\"2\"],\"Service\":\"ec2.amazonaws.com\"},\"Condition\":{\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}}}]}"`))
	if err != nil {
		t.Fatal(err)
	}
	s := doc.Statement[0]
	if s.Allow() || len(s.NotAction) != 1 || len(s.Resource) != 2 || !s.HasCondition() || len(s.Principal.All()) != 3 {
		t.Fatalf("string-encoded document: %+v", s)
	}
	if _, err := Parse([]byte(`{"Statement":[{"Effect":"Allow","Action":5}]}`)); err == nil {
		t.Fatal("a number as Action must be an error")
	}
	if _, err := Parse([]byte(`{"Statement":[{"Principal":"someone"}]}`)); err == nil {
		t.Fatal("a plain-string principal other than * must be an error")
	}
}

func TestEvaluate(t *testing.T) {
	doc, err := Parse([]byte(`{"Statement":[
		{"Effect":"Allow","Action":"s3:*","Resource":"*"},
		{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"},
		{"Effect":"Allow","NotAction":"iam:*","Resource":"arn:aws:ec2:*"},
		{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3"}}}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		action, resource           string
		allowed, denied, condition bool
	}{
		{"s3:GetObject", "", true, false, false},
		{"s3:DeleteBucket", "", true, true, false},
		{"ec2:RunInstances", "arn:aws:ec2:us-east-1:1:instance/i-1", true, false, false},
		{"iam:CreateUser", "arn:aws:ec2:us-east-1:1:instance/i-1", false, false, false},
		{"kms:Decrypt", "", true, false, true},
		{"sqs:SendMessage", "*", false, false, false},
	}
	for _, tt := range tests {
		d := Evaluate(doc.Statement, tt.action, tt.resource)
		if d.Allowed != tt.allowed || d.Denied != tt.denied || d.Conditional != tt.condition {
			t.Errorf("%s on %q: %+v", tt.action, tt.resource, d)
		}
	}
	if !(Document{Statement: []Statement{{Effect: "Allow", Action: []string{"*:*"}, Resource: []string{"*"}}}}).IsAdmin() {
		t.Error("*:* on * is admin")
	}
	if (Document{Statement: []Statement{{Effect: "Allow", Action: []string{"*"}, Resource: []string{"*"}, Condition: []byte(`{"Bool":{"x":"y"}}`)}}}).IsAdmin() {
		t.Error("a conditional * is not admin")
	}
}

func TestMatchQuestionMarkIsOneCharacter(t *testing.T) {
	for _, tc := range []struct {
		pattern, value string
		want           bool
	}{
		{"arn:aws:s3:::caf?", "arn:aws:s3:::café", true},
		{"arn:aws:s3:::caf??", "arn:aws:s3:::café", false},
		{"arn:aws:s3:::?-bucket", "arn:aws:s3:::日-bucket", true},
		{"arn:aws:s3:::*é", "arn:aws:s3:::xé", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a??c", "aéc", false},
		{"a*?", "aé", true},
	} {
		if got := Match(tc.pattern, tc.value, false); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.value, got, tc.want)
		}
	}
}
