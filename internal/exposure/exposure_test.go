package exposure

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const (
	owner    = "111111111111"
	member   = "222222222222" // another account of the run's organization
	outsider = "999999999999"
	ourOrg   = "o-ours"
)

var org = Org{Accounts: map[string]bool{owner: true, member: true}, IDs: map[string]bool{ourOrg: true}}

// doc builds a policy of the given statements (JSON objects).
func doc(stmts ...string) json.RawMessage {
	return json.RawMessage(`{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`)
}

// allow is an Allow of sqs:SendMessage on the queue to principal, with cond
// ("" for none).
func allow(principal, cond string) string {
	s := `{"Sid":"A","Effect":"Allow","Principal":` + principal + `,"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:eu-west-1:111111111111:q"`
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return s + "}"
}

// summary renders a result's grants for comparison:
// "class[!cond][ denied][ blocked=…]" per grant, joined by "; ".
func summary(r Result) string {
	var parts []string
	for _, g := range r.Grants {
		s := string(g.Class)
		if g.Conditional {
			var cs []string
			for _, c := range g.Conditions {
				cs = append(cs, c.String())
			}
			s += "!" + strings.Join(cs, "&")
		}
		if g.DeniedBy >= 0 {
			s += fmt.Sprintf(" denied#%d", g.DeniedBy)
		}
		if g.BlockedBy != "" {
			s += " blocked=" + g.BlockedBy
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func TestAnalyze(t *testing.T) {
	queue := func(p json.RawMessage) Resource {
		return Resource{Service: "sqs", ARN: "arn:aws:sqs:eu-west-1:111111111111:q", Account: owner, Policy: p}
	}
	bucket := func(p json.RawMessage, bucketBlock, accountBlock *BlockPublicAccess, acl ...ACLGrant) Resource {
		return Resource{Service: "s3", ARN: "arn:aws:s3:::b", Account: owner, Policy: p, BucketBlock: bucketBlock, AccountBlock: accountBlock, ACLGrants: acl}
	}
	s3Public := `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`
	s3Member := `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`
	tests := []struct {
		name     string
		r        Resource
		want     string // summary
		exposure Class
		cond     bool
	}{
		{"no policy", queue(nil), "", "", false},
		{"star principal", queue(doc(allow(`"*"`, ""))), "public", ClassPublic, false},
		{"AWS star", queue(doc(allow(`{"AWS":"*"}`, ""))), "public", ClassPublic, false},
		{"own account root", queue(doc(allow(`{"AWS":"arn:aws:iam::111111111111:root"}`, ""))), "account", ClassAccount, false},
		{"own account id", queue(doc(allow(`{"AWS":"111111111111"}`, ""))), "account", ClassAccount, false},
		{"org member role", queue(doc(allow(`{"AWS":"arn:aws:iam::222222222222:role/r"}`, ""))), "cross-account", ClassCrossAccount, false},
		{"outside account", queue(doc(allow(`{"AWS":"999999999999"}`, ""))), "external", ClassExternal, false},
		{"unique id is external", queue(doc(allow(`{"AWS":"AIDAEXAMPLE1234567890"}`, ""))), "external", ClassExternal, false},
		{"wildcard account ARN", queue(doc(allow(`{"AWS":"arn:aws:iam::*:root"}`, ""))), "public", ClassPublic, false},
		{"widest of several principals", queue(doc(allow(`{"AWS":["111111111111","999999999999"]}`, ""))), "account; external", ClassExternal, false},
		{"service alone", queue(doc(allow(`{"Service":"sns.amazonaws.com"}`, ""))), "service", ClassService, false},
		{"service with own SourceAccount", queue(doc(allow(`{"Service":"sns.amazonaws.com"}`, `{"StringEquals":{"aws:SourceAccount":"111111111111"}}`))),
			"account!aws:SourceAccount StringEquals 111111111111", ClassAccount, true},
		{"service with foreign SourceArn", queue(doc(allow(`{"Service":"sns.amazonaws.com"}`, `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:eu-west-1:999999999999:t"}}`))),
			"external!aws:SourceArn ArnLike arn:aws:sns:eu-west-1:999999999999:t", ClassExternal, true},
		{"star with our PrincipalOrgID", queue(doc(allow(`"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-ours"}}`))),
			"cross-account!aws:PrincipalOrgID StringEquals o-ours", ClassCrossAccount, true},
		{"star with a foreign PrincipalOrgID", queue(doc(allow(`"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-theirs"}}`))),
			"external!aws:PrincipalOrgID StringEquals o-theirs", ClassExternal, true},
		{"PrincipalOrgID IfExists does not restrict", queue(doc(allow(`"*"`, `{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-ours"}}`))), "public", ClassPublic, false},
		{"PrincipalOrgID with a wildcard does not restrict", queue(doc(allow(`"*"`, `{"StringLike":{"aws:PrincipalOrgID":"o-*"}}`))), "public", ClassPublic, false},
		{"negated in an Allow does not restrict", queue(doc(allow(`"*"`, `{"StringNotEquals":{"aws:PrincipalOrgID":"o-theirs"}}`))), "public", ClassPublic, false},
		{"OrgPaths ForAnyValue with trailing wildcard", queue(doc(allow(`"*"`, `{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-ours/r-ab12/ou-ab12-11111111/*"}}`))),
			"cross-account!aws:PrincipalOrgPaths ForAnyValue:StringLike o-ours/r-ab12/ou-ab12-11111111/*", ClassCrossAccount, true},
		{"OrgPaths ForAllValues does not restrict", queue(doc(allow(`"*"`, `{"ForAllValues:StringLike":{"aws:PrincipalOrgPaths":"o-ours/*"}}`))), "public", ClassPublic, false},
		{"OrgPaths with wildcard org does not restrict", queue(doc(allow(`"*"`, `{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-*/r-ab12/*"}}`))), "public", ClassPublic, false},
		{"PrincipalAccount mixed values take the widest", queue(doc(allow(`"*"`, `{"StringEquals":{"aws:PrincipalAccount":["111111111111","999999999999"]}}`))),
			"external!aws:PrincipalAccount StringEquals 111111111111|999999999999", ClassExternal, true},
		{"PrincipalArn of a member role", queue(doc(allow(`"*"`, `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::222222222222:role/app"}}`))),
			"cross-account!aws:PrincipalArn ArnEquals arn:aws:iam::222222222222:role/app", ClassCrossAccount, true},
		{"SourceIp keeps public, conditional", queue(doc(allow(`"*"`, `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`))),
			"public!aws:SourceIp IpAddress 203.0.113.0/24", ClassPublic, true},
		{"SourceIp /0 does not restrict", queue(doc(allow(`"*"`, `{"IpAddress":{"aws:SourceIp":["0.0.0.0/0"]}}`))), "public", ClassPublic, false},
		{"SourceIp IfExists does not restrict", queue(doc(allow(`"*"`, `{"IpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}`))), "public", ClassPublic, false},
		{"SourceVpce keeps public, conditional", queue(doc(allow(`"*"`, `{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}`))),
			"public!aws:SourceVpce StringEquals vpce-1a2b3c4d", ClassPublic, true},
		{"SourceVpc with a variable does not restrict", queue(doc(allow(`"*"`, `{"StringEquals":{"aws:SourceVpc":"${aws:username}"}}`))), "public", ClassPublic, false},
		{"SourceOwner narrows", queue(doc(allow(`{"Service":"ses.amazonaws.com"}`, `{"StringEquals":{"aws:SourceOwner":"222222222222"}}`))),
			"cross-account!aws:SourceOwner StringEquals 222222222222", ClassCrossAccount, true},
		{"SourceOrgID narrows", queue(doc(allow(`{"Service":"sns.amazonaws.com"}`, `{"StringEquals":{"aws:SourceOrgID":"o-ours"}}`))),
			"cross-account!aws:SourceOrgID StringEquals o-ours", ClassCrossAccount, true},
		{"other condition keys are not restricting", queue(doc(allow(`"*"`, `{"Bool":{"aws:SecureTransport":"true"}}`))), "public", ClassPublic, false},
		{"keys are matched case-insensitively", queue(doc(allow(`"*"`, `{"StringEquals":{"AWS:principalorgid":"o-ours"}}`))),
			"cross-account!AWS:principalorgid StringEquals o-ours", ClassCrossAccount, true},
		{"AND of an org and a network key", queue(doc(allow(`"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-ours","aws:SourceVpce":"vpce-1"}}`))),
			"cross-account!aws:PrincipalOrgID StringEquals o-ours&aws:SourceVpce StringEquals vpce-1", ClassCrossAccount, true},
		{"NotPrincipal in an Allow is anyone", queue(doc(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sqs:*","Resource":"*"}`)),
			"public", ClassPublic, false},
		{"web identity provider is anyone", queue(doc(allow(`{"Federated":"accounts.google.com"}`, ""))), "public", ClassPublic, false},
		{"unconditioned Deny of everyone cancels", queue(doc(allow(`"*"`, ""), `{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"*"}`)),
			"public denied#1", "", false},
		{"Deny of fewer actions does not cancel", queue(doc(allow(`"*"`, ""), `{"Effect":"Deny","Principal":"*","Action":"sqs:DeleteQueue","Resource":"*"}`)),
			"public", ClassPublic, false},
		{"Deny of one principal does not cancel", queue(doc(allow(`"*"`, ""), `{"Effect":"Deny","Principal":{"AWS":"999999999999"},"Action":"*","Resource":"*"}`)),
			"public", ClassPublic, false},
		{"Deny on another resource does not cancel", queue(doc(allow(`"*"`, ""), `{"Effect":"Deny","Principal":"*","Action":"*","Resource":"arn:aws:sqs:eu-west-1:111111111111:other"}`)),
			"public", ClassPublic, false},
		{"Deny unless our org restricts the Allow", queue(doc(allow(`"*"`, ""), `{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-ours"}}}`)),
			"cross-account!aws:PrincipalOrgID StringNotEquals o-ours (deny #1)", ClassCrossAccount, true},
		{"Deny with two keys is ignored", queue(doc(allow(`"*"`, ""), `{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-ours"},"Bool":{"aws:SecureTransport":"false"}}}`)),
			"public", ClassPublic, false},
		{"Deny with ForAnyValue negation is ignored", queue(doc(allow(`"*"`, ""), `{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringNotLike":{"aws:PrincipalOrgPaths":"o-ours/*"}}}`)),
			"public", ClassPublic, false},
		{"KMS CallerAccount restricts", Resource{Service: "kms", ARN: "arn:aws:kms:eu-west-1:111111111111:key/k", Account: owner,
			Policy: doc(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111111111111","kms:ViaService":"s3.eu-west-1.amazonaws.com"}}}`)},
			"account!kms:CallerAccount StringEquals 111111111111&kms:ViaService StringEquals s3.eu-west-1.amazonaws.com", ClassAccount, true},
		{"S3 public policy without block", bucket(doc(s3Public), nil, nil), "public", ClassPublic, false},
		{"S3 RestrictPublicBuckets on the bucket", bucket(doc(s3Public, s3Member), &BlockPublicAccess{RestrictPublicBuckets: true}, nil),
			"public blocked=RestrictPublicBuckets (bucket); cross-account blocked=RestrictPublicBuckets (bucket)", "", false},
		{"S3 RestrictPublicBuckets on the account", bucket(doc(s3Public), nil, &BlockPublicAccess{RestrictPublicBuckets: true}),
			"public blocked=RestrictPublicBuckets (account)", "", false},
		{"S3 BlockPublicPolicy alone blocks nothing", bucket(doc(s3Public), &BlockPublicAccess{BlockPublicPolicy: true, BlockPublicAcls: true}, nil), "public", ClassPublic, false},
		{"S3 RestrictPublicBuckets leaves a non-public policy alone", bucket(doc(s3Member), &BlockPublicAccess{RestrictPublicBuckets: true}, nil), "cross-account", ClassCrossAccount, false},
		{"S3 RestrictPublicBuckets leaves a conditioned grant alone", bucket(doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"198.51.100.7"}}}`), &BlockPublicAccess{RestrictPublicBuckets: true}, nil),
			"public!aws:SourceIp IpAddress 198.51.100.7", ClassPublic, true},
		{"S3 public ACL", bucket(nil, nil, nil, ACLGrant{"AllUsers", "READ"}, ACLGrant{"AuthenticatedUsers", "WRITE"}), "public; public", ClassPublic, false},
		{"S3 public ACL ignored", bucket(nil, nil, &BlockPublicAccess{IgnorePublicAcls: true}, ACLGrant{"AllUsers", "READ"}), "public blocked=IgnorePublicAcls (account)", "", false},
		{"S3 ACL with only BlockPublicAcls stays public", bucket(nil, &BlockPublicAccess{BlockPublicAcls: true}, nil, ACLGrant{"AllUsers", "READ"}), "public", ClassPublic, false},
		{"public with condition and open external: widest is public conditional", queue(doc(allow(`"*"`, `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`), allow(`{"AWS":"999999999999"}`, ""))),
			"public!aws:SourceIp IpAddress 203.0.113.0/24; external", ClassPublic, true},
		{"string policy document", queue(json.RawMessage(`"{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sqs:*\",\"Resource\":\"*\"}}"`)), "public", ClassPublic, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Analyze(tt.r, org)
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			if got := summary(res); got != tt.want {
				t.Errorf("grants\n got %q\nwant %q", got, tt.want)
			}
			if res.Exposure != tt.exposure || res.Conditional != tt.cond {
				t.Errorf("exposure %q conditional %v, want %q %v", res.Exposure, res.Conditional, tt.exposure, tt.cond)
			}
		})
	}
	if len(tests) < 25 {
		t.Fatalf("%d cases", len(tests))
	}
}

func TestAnalyzeGrantDetails(t *testing.T) {
	r := Resource{Service: "sqs", ARN: "arn:aws:sqs:eu-west-1:111111111111:q", Account: owner,
		Policy: doc(`{"Sid":"Send","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::222222222222:role/app"]},"NotAction":"sqs:DeleteQueue","Resource":"*"}`)}
	res, err := Analyze(r, org)
	if err != nil || len(res.Grants) != 1 {
		t.Fatalf("%v %+v", err, res)
	}
	g := res.Grants[0]
	if g.Sid != "Send" || g.Statement != 0 || g.PrincipalType != "AWS" || g.Account != member || !g.NotAction || g.Actions[0] != "sqs:DeleteQueue" {
		t.Errorf("grant %+v", g)
	}
}

func TestAnalyzeErrors(t *testing.T) {
	for name, p := range map[string]string{
		"not JSON":            `{"Statement":`,
		"condition not a map": `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":"x"}]}`,
		"nested value":        `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"aws:SourceVpc":{"a":1}}}}]}`,
	} {
		if _, err := Analyze(Resource{Service: "sqs", Account: owner, Policy: json.RawMessage(p)}, org); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestKnownService(t *testing.T) {
	if !KnownService("s3") || !KnownService("secretsmanager") || KnownService("S3") || KnownService("dynamodb") {
		t.Fatal("KnownService")
	}
	if len(RestrictingKeys()) < 13 {
		t.Fatal(RestrictingKeys())
	}
}

// Exposure reads condition values with policy.ConditionValues: a list,
// number or boolean narrows the grant as written; null or an object is
// refused with the policy (IAM's grammar has no such value).
func TestAnalyzeConditionValueKinds(t *testing.T) {
	t.Parallel()
	queue := func(cond string) Resource {
		return Resource{Service: "sqs", ARN: "arn:aws:sqs:eu-west-1:111111111111:q", Account: owner, Policy: doc(allow(`"*"`, cond))}
	}
	for _, tt := range []struct {
		name, cond string
		refused    bool
		want       string // the grants' summary
	}{
		{"list", `{"StringEquals":{"aws:PrincipalOrgID":["o-ours"]}}`, false, "cross-account!aws:PrincipalOrgID StringEquals o-ours"},
		{"number", `{"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}`, false, "public"},
		{"bool", `{"Bool":{"aws:SecureTransport":true}}`, false, "public"},
		{"null", `{"StringEquals":{"aws:PrincipalOrgID":null}}`, true, ""},
		{"object", `{"StringEquals":{"aws:PrincipalOrgID":{"a":"o-ours"}}}`, true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Analyze(queue(tt.cond), org)
			if tt.refused {
				if err == nil {
					t.Fatalf("%s: analysed (%s); want a refusal", tt.cond, summary(r))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(r); got != tt.want {
				t.Fatalf("%s: grants %q, want %q", tt.cond, got, tt.want)
			}
		})
	}
}
