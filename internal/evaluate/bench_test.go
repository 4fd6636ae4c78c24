package evaluate

import "testing"

// typicalRequest is a role session in a member account reading an object
// of another account's bucket: three identity policies (one with
// conditions), a boundary, a bucket policy with conditions, three SCP
// levels with a deny, one RCP level.
func typicalRequest(tb testing.TB) *Request {
	c := func(doc string) *Policy {
		p, err := Compile("p", []byte(doc))
		if err != nil {
			tb.Fatal(err)
		}
		return p
	}
	return &Request{
		Principal: "arn:aws:sts::111111111111:assumed-role/app/i-0abc", Action: "s3:GetObject",
		Resource: "arn:aws:s3:::shared-data/reports/2026/q4.csv", ResourceAccount: "222222222222",
		Context: map[string][]string{"aws:PrincipalOrgID": {"o-abc123"}, "aws:SourceIp": {"10.2.3.4"}, "aws:SecureTransport": {"true"},
			"aws:PrincipalTag/team": {"analytics"}, "aws:CurrentTime": {"2026-11-30T10:00:00Z"}},
		IdentityPolicies: []*Policy{
			c(`{"Version":"2012-10-17","Statement":[
				{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:ListBucket"],"Resource":["arn:aws:s3:::shared-data","arn:aws:s3:::shared-data/*"]},
				{"Sid":"Logs","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:111111111111:log-group:/app/*"},
				{"Sid":"Queue","Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:us-east-1:111111111111:app-*"}]}`),
			c(`{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}},
				{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::app-output/${aws:PrincipalTag/team}/*"},
				{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}`),
			c(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","cloudwatch:Get*","cloudwatch:List*"],"Resource":"*"}]}`),
		},
		PermissionBoundary: c(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]}`),
		ResourcePolicy: c(`{"Version":"2012-10-17","Statement":[
			{"Sid":"OrgRead","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::shared-data","arn:aws:s3:::shared-data/*"],"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}},
			{"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::shared-data","arn:aws:s3:::shared-data/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`),
		SCPs: []Level{
			{ID: "r-root", Policies: []*Policy{c(allowAll)}},
			{ID: "ou-workloads", Policies: []*Policy{c(allowAll), c(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["organizations:LeaveOrganization","account:*"],"Resource":"*"},{"Effect":"Deny","NotAction":["iam:*","sts:*","s3:*","cloudfront:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}}]}`)}},
			{ID: "111111111111", Policies: []*Policy{c(allowAll)}},
		},
		RCPs: []Level{{ID: "r-root", Policies: []*Policy{c(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":["s3:*","sqs:*","kms:*"],"Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abc123"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`)}}},
	}
}

func TestTypicalRequest(t *testing.T) {
	d, err := Evaluate(typicalRequest(t))
	if err != nil {
		t.Fatal(err)
	}
	// The SCP's region condition is on a key absent from the context
	// (aws:RequestedRegion): StringNotEquals on an absent key holds, so the
	// NotAction deny applies to everything but iam, sts, s3 and cloudfront —
	// s3:GetObject is spared, and both sides allow.
	if d.Decision != Allowed {
		t.Fatalf("decision %s: %v", d.Decision, d.Explain)
	}
}

// BenchmarkSimulate is one evaluation of compiled policies (the target:
// ≤ 50 µs median; run with -count to see the spread).
func BenchmarkSimulate(b *testing.B) {
	r := typicalRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Evaluate(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSimulateWithCompile includes parsing every policy document, as
// `orgiam simulate --input` does once per request.
func BenchmarkSimulateWithCompile(b *testing.B) {
	raw := []byte(`{"principal":"arn:aws:sts::111111111111:assumed-role/app/i-0abc","action":"s3:GetObject","resource":"arn:aws:s3:::shared-data/reports/q4.csv","resourceAccount":"222222222222",
	"context":{"aws:PrincipalOrgID":"o-abc123","aws:SecureTransport":"true"},
	"identityPolicies":[{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::shared-data","arn:aws:s3:::shared-data/*"]},{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:us-east-1:111111111111:app-*"}]}],
	"permissionBoundary":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}]},
	"resourcePolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared-data/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}]},
	"scps":[[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}],[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]},{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"account:*","Resource":"*"}]}]]}`)
	b.ReportAllocs()
	for b.Loop() {
		r, err := ParseRequest(raw)
		if err != nil {
			b.Fatal(err)
		}
		if d, err := Evaluate(r); err != nil || d.Decision != Allowed {
			b.Fatal(err, d)
		}
	}
}
