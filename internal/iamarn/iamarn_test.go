package iamarn

import "testing"

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in               string
		ok               bool
		typ, path, name  string
		partition, accnt string
	}{
		{"arn:aws:iam::123456789012:role/ops/deploy/app", true, "role", "/ops/deploy/", "app", "aws", "123456789012"},
		{"arn:aws-cn:iam::123456789012:user/alice", true, "user", "/", "alice", "aws-cn", "123456789012"},
		{"arn:aws:iam::123456789012:root", true, "root", "", "", "aws", "123456789012"},
		{"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess", true, "policy", "/job-function/", "ViewOnlyAccess", "aws", "aws"},
		{"arn:aws:s3:::bucket/key", false, "", "", "", "", ""},
		{"not an arn", false, "", "", "", "", ""},
		{"arn:aws:iam::123456789012", false, "", "", "", "", ""},
	}
	for _, tt := range tests {
		a, ok := Parse(tt.in)
		if ok != tt.ok || a.Type != tt.typ || a.Path != tt.path || a.Name != tt.name || a.Partition != tt.partition || a.AccountID != tt.accnt {
			t.Errorf("Parse(%q) = %+v %v, want %v %s %s %s %s %s", tt.in, a, ok, tt.ok, tt.typ, tt.path, tt.name, tt.partition, tt.accnt)
		}
	}
}

func TestIsAWSManagedPolicy(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		"arn:aws:iam::aws:policy/AdministratorAccess":                  true,
		"arn:aws-us-gov:iam::aws:policy/service-role/AWSConfigRole":    true,
		"arn:aws:iam::123456789012:policy/AdministratorAccess":         false,
		"arn:aws:iam::aws:role/x":                                      false,
		"arn:aws:s3:::aws:policy/x":                                    false,
		"AdministratorAccess":                                          false,
		"arn:aws:iam::aws:policy":                                      false,
		"arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRo": true,
	} {
		if got := IsAWSManagedPolicy(in); got != want {
			t.Errorf("IsAWSManagedPolicy(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParseRole(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		"arn:aws:iam::123456789012:role/x":                true,
		"arn:aws-us-gov:iam::123456789012:role/path/x":    true,
		"arn:aws-cn:iam::123456789012:role/a+b=c,d.e@f-g": true,
		"arn:aws-xx:iam::123456789012:role/x":             false,
		"arn:aws:iam::123456789012:user/x":                false,
		"arn:aws:iam::1:role/x":                           false,
		"arn:aws:iam:us-east-1:123456789012:role/x":       false,
		"arn:aws:iam::123456789012:role/":                 false,
		"arn:aws:iam::123456789012:role/x y":              false,
		"arn:aws:sts::123456789012:role/x":                false,
	} {
		if _, got := ParseRole(in); got != want {
			t.Errorf("ParseRole(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestAccountAndPartition(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, account, partition string }{
		{"arn:aws:iam::123456789012:root", "123456789012", "aws"},
		{"arn:aws-cn:sts::123456789012:assumed-role/r/s", "123456789012", "aws-cn"},
		{"arn:aws:iam::aws:policy/ReadOnlyAccess", "", "aws"},
		{"arn:aws:s3:::bucket", "", "aws"},
		{"*", "", ""},
	}
	for _, tt := range tests {
		if got := Account(tt.in); got != tt.account {
			t.Errorf("Account(%q) = %q, want %q", tt.in, got, tt.account)
		}
		if got := Partition(tt.in); got != tt.partition {
			t.Errorf("Partition(%q) = %q, want %q", tt.in, got, tt.partition)
		}
	}
}

func TestSibling(t *testing.T) {
	t.Parallel()
	a, _ := Parse("arn:aws-cn:iam::123456789012:user/team/alice")
	if got, want := a.Sibling("group", "admins"), "arn:aws-cn:iam::123456789012:group/admins"; got != want {
		t.Errorf("Sibling = %q, want %q", got, want)
	}
}
