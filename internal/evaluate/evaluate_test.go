package evaluate

import (
	"strings"
	"testing"
)

const (
	userAlice = "arn:aws:iam::111111111111:user/alice"
	sessDev   = "arn:aws:sts::111111111111:assumed-role/dev/s1"
	roleDev   = "arn:aws:iam::111111111111:role/dev"
	allowAll  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
)

func pol(doc string) *Policy { return MustCompile("p", doc) }

func allowDoc(action, resource string, extra string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"` + extra + `}]}`
}

// Each case is an example or a rule from AWS's documentation of policy
// evaluation; the name says which.
func TestEvaluateDocumented(t *testing.T) {
	s3obj := "arn:aws:s3:::bucket/key"
	tests := []struct {
		name string
		req  Request
		want string
		keys []string
	}{
		{"implicit deny without any policy", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj}, ImplicitlyDenied, nil},
		{"identity policy allows within the account", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj,
			IdentityPolicies: []*Policy{pol(allowDoc("s3:Get*", "arn:aws:s3:::bucket/*", ""))}}, Allowed, nil},
		{"an explicit deny overrides any allow", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj,
			IdentityPolicies: []*Policy{pol(allowAll), pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`)}}, ExplicitlyDenied, nil},
		{"NotAction allows everything else", Request{Principal: userAlice, Action: "iam:CreateUser", Resource: "arn:aws:iam::111111111111:user/x",
			IdentityPolicies: []*Policy{pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`)}}, ImplicitlyDenied, nil},
		{"NotResource denies everything but the named bucket", Request{Principal: userAlice, Action: "s3:GetObject", Resource: "arn:aws:s3:::other/k",
			IdentityPolicies: []*Policy{pol(allowAll), pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]}]}`)}}, ExplicitlyDenied, nil},
		{"SCP: every level must allow", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj,
			IdentityPolicies: []*Policy{pol(allowAll)},
			SCPs:             []Level{{ID: "r-root", Policies: []*Policy{pol(allowAll)}}, {ID: "ou-1", Policies: []*Policy{pol(allowDoc("ec2:*", "*", ""))}}}}, ImplicitlyDenied, nil},
		{"SCP: all levels allow", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj,
			IdentityPolicies: []*Policy{pol(allowAll)},
			SCPs:             []Level{{ID: "r-root", Policies: []*Policy{pol(allowAll)}}, {ID: "ou-1", Policies: []*Policy{pol(allowDoc("s3:*", "*", ""))}}}}, Allowed, nil},
		{"SCPs do not grant: identity policy still needed", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj,
			SCPs: []Level{{Policies: []*Policy{pol(allowAll)}}}}, ImplicitlyDenied, nil},
		{"SCPs do not affect the management account", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, ManagementAccount: "111111111111",
			IdentityPolicies: []*Policy{pol(allowAll)}, SCPs: []Level{{Policies: nil}}}, Allowed, nil},
		{"SCPs do not affect service-linked roles", Request{Principal: "arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForSupport/s", Action: "s3:GetObject", Resource: s3obj,
			IdentityPolicies: []*Policy{pol(allowAll)}, SCPs: []Level{{Policies: nil}}}, Allowed, nil},
		{"RCP denies access from outside the organization", Request{Principal: "arn:aws:iam::999999999999:user/x", Action: "s3:GetObject", Resource: s3obj, ResourceAccount: "111111111111",
			Context:          map[string][]string{"aws:PrincipalOrgID": {"o-other"}},
			IdentityPolicies: []*Policy{pol(allowAll)},
			ResourcePolicy:   pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`),
			RCPs:             []Level{{Policies: []*Policy{pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-mine"}}}]}`)}}}}, ExplicitlyDenied, nil},
		{"RCPs do not apply to services they do not support", Request{Principal: userAlice, Action: "ec2:DescribeInstances", Resource: "*",
			IdentityPolicies: []*Policy{pol(allowAll)},
			RCPs:             []Level{{Policies: []*Policy{pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"ec2:*","Resource":"*"}]}`)}}}}, Allowed, nil},
		{"same account: resource policy alone allows a named user", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj,
			ResourcePolicy: pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + userAlice + `"},"Action":"s3:GetObject","Resource":"*"}]}`)}, Allowed, nil},
		{"same account: a grant to the account defers to IAM", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj,
			ResourcePolicy: pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"s3:GetObject","Resource":"*"}]}`)}, ImplicitlyDenied, nil},
		{"cross account: identity policy alone is not enough", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, ResourceAccount: "222222222222",
			IdentityPolicies: []*Policy{pol(allowAll)}}, ImplicitlyDenied, nil},
		{"cross account: resource policy alone is not enough", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, ResourceAccount: "222222222222",
			ResourcePolicy: pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:GetObject","Resource":"*"}]}`)}, ImplicitlyDenied, nil},
		{"cross account: both sides allow", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, ResourceAccount: "222222222222",
			IdentityPolicies: []*Policy{pol(allowAll)},
			ResourcePolicy:   pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:GetObject","Resource":"*"}]}`)}, Allowed, nil},
		{"role trust policy naming the account needs the caller's permission", Request{Principal: userAlice, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111111111111:role/r",
			ResourcePolicy: pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}`)}, ImplicitlyDenied, nil},
		{"role trust policy naming the user allows on its own", Request{Principal: userAlice, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111111111111:role/r",
			ResourcePolicy: pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + userAlice + `"},"Action":"sts:AssumeRole"}]}`)}, Allowed, nil},
		{"role trust policy that does not name the caller: identity permission is not enough", Request{Principal: userAlice, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111111111111:role/r",
			IdentityPolicies: []*Policy{pol(allowAll)},
			ResourcePolicy:   pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}, ImplicitlyDenied, nil},
		{"KMS: the key policy must allow the account for IAM policies to count", Request{Principal: userAlice, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:111111111111:key/k",
			IdentityPolicies: []*Policy{pol(allowAll)}}, ImplicitlyDenied, nil},
		{"KMS: key policy enabling IAM policies", Request{Principal: userAlice, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:111111111111:key/k",
			IdentityPolicies: []*Policy{pol(allowAll)},
			ResourcePolicy:   pol(`{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}]}`)}, Allowed, nil},
		{"permissions boundary limits identity policies", Request{Principal: userAlice, Action: "iam:CreateUser", Resource: "arn:aws:iam::111111111111:user/x",
			IdentityPolicies:   []*Policy{pol(allowAll)},
			PermissionBoundary: pol(allowDoc("s3:*", "*", ""))}, ImplicitlyDenied, nil},
		{"permissions boundary does not limit a resource policy naming the user", Request{Principal: userAlice, Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:111111111111:q",
			PermissionBoundary: pol(allowDoc("s3:*", "*", "")),
			ResourcePolicy:     pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + userAlice + `"},"Action":"sqs:*","Resource":"*"}]}`)}, Allowed, nil},
		{"permissions boundary limits a resource policy naming the role", Request{Principal: sessDev, Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:111111111111:q",
			PermissionBoundary: pol(allowDoc("s3:*", "*", "")),
			ResourcePolicy:     pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + roleDev + `"},"Action":"sqs:*","Resource":"*"}]}`)}, ImplicitlyDenied, nil},
		{"a resource policy naming the role allows its sessions", Request{Principal: sessDev, Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:111111111111:q",
			ResourcePolicy: pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/team/dev"},"Action":"sqs:*","Resource":"*"}]}`)}, Allowed, nil},
		{"session policy limits the role's identity policies", Request{Principal: sessDev, Action: "s3:PutObject", Resource: s3obj,
			IdentityPolicies: []*Policy{pol(allowAll)}, SessionPolicy: pol(allowDoc("s3:GetObject", "*", ""))}, ImplicitlyDenied, nil},
		{"session policy does not limit a grant to the session ARN", Request{Principal: sessDev, Action: "s3:PutObject", Resource: s3obj,
			SessionPolicy:  pol(allowDoc("s3:GetObject", "*", "")),
			ResourcePolicy: pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + sessDev + `"},"Action":"s3:*","Resource":"*"}]}`)}, Allowed, nil},
		{"NotPrincipal Deny denies a principal with a permissions boundary", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj,
			IdentityPolicies: []*Policy{pol(allowAll)}, PermissionBoundary: pol(allowAll),
			ResourcePolicy: pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["` + userAlice + `","arn:aws:iam::111111111111:root"]},"Action":"s3:*","Resource":"*"}]}`)}, ExplicitlyDenied, nil},
		{"NotPrincipal Deny spares the listed user and account", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj,
			IdentityPolicies: []*Policy{pol(allowAll)},
			ResourcePolicy:   pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["` + userAlice + `","arn:aws:iam::111111111111:root"]},"Action":"s3:*","Resource":"*"}]}`)}, Allowed, nil},
		{"anonymous request allowed by a public bucket policy", Request{Principal: "anonymous", Action: "s3:GetObject", Resource: s3obj, ResourceAccount: "111111111111",
			ResourcePolicy: pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}`)}, Allowed, nil},
		{"service principal allowed by the resource policy", Request{Principal: "cloudtrail.amazonaws.com", Action: "s3:PutObject", Resource: s3obj, ResourceAccount: "111111111111",
			ResourcePolicy: pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"}]}`)}, Allowed, nil},
		{"policy variable ${aws:username} in Resource", Request{Principal: userAlice, Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/f",
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*", ""))}}, Allowed, nil},
		{"policy variables are literal in a 2008-10-17 document", Request{Principal: userAlice, Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/f",
			IdentityPolicies: []*Policy{pol(`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}`)}}, ImplicitlyDenied, nil},
		{"policy variables are literal without a Version", Request{Principal: userAlice, Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/f",
			IdentityPolicies: []*Policy{pol(`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}]}`)}}, ImplicitlyDenied, nil},
		{"${*} is a literal asterisk", Request{Principal: userAlice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/anything",
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "arn:aws:s3:::b/${*}", ""))}}, ImplicitlyDenied, nil},
		{"${*} matches an asterisk", Request{Principal: userAlice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*",
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "arn:aws:s3:::b/${*}", ""))}}, Allowed, nil},
		{"policy variable default value", Request{Principal: sessDev, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/shared/f",
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared'}/*", ""))}}, Allowed, nil},
		{"? matches one character, not one byte", Request{Principal: userAlice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/é",
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "arn:aws:s3:::b/?", ""))}}, Allowed, nil},
		{"actions match case-insensitively", Request{Principal: userAlice, Action: "S3:getobject", Resource: s3obj,
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", ""))}}, Allowed, nil},
		{"resources match case-sensitively", Request{Principal: userAlice, Action: "s3:GetObject", Resource: "arn:aws:s3:::Bucket/key",
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "arn:aws:s3:::bucket/*", ""))}}, ImplicitlyDenied, nil},
		{"a wildcard does not span ARN segments", Request{Principal: userAlice, Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:111111111111:q",
			IdentityPolicies: []*Policy{pol(allowDoc("sqs:SendMessage", "arn:aws:sqs:*:q", ""))}}, ImplicitlyDenied, nil},
		{"condition: key names are case-insensitive", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:principaltag/TEAM": {"red"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}`))}}, Allowed, nil},
		{"condition: values are case-sensitive", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:PrincipalTag/team": {"Red"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}`))}}, ImplicitlyDenied, nil},
		{"condition: StringEqualsIgnoreCase", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:PrincipalTag/team": {"Red"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"red"}}`))}}, Allowed, nil},
		{"condition: a missing key fails StringEquals", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj,
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}`))}}, ImplicitlyDenied, nil},
		{"condition: a missing key satisfies StringNotEquals", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj,
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"red"}}`))}}, Allowed, nil},
		{"condition: IfExists on a missing key", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj,
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"StringEqualsIfExists":{"aws:PrincipalTag/team":"red"}}`))}}, Allowed, nil},
		{"condition: several values are ORed", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:PrincipalTag/team": {"blue"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"StringEquals":{"aws:PrincipalTag/team":["red","blue"]}}`))}}, Allowed, nil},
		{"condition: a negated operator's values are NORed", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:PrincipalTag/team": {"blue"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"StringNotEquals":{"aws:PrincipalTag/team":["red","blue"]}}`))}}, ImplicitlyDenied, nil},
		{"condition: keys and operators are ANDed", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:PrincipalTag/team": {"red"}, "aws:SecureTransport": {"false"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"},"Bool":{"aws:SecureTransport":"true"}}`))}}, ImplicitlyDenied, nil},
		{"condition: ForAllValues on the request's tag keys", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:TagKeys": {"env", "cost"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","cost","team"]}}`))}}, Allowed, nil},
		{"condition: ForAllValues fails on an extra value", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:TagKeys": {"env", "owner"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","cost"]}}`))}}, ImplicitlyDenied, nil},
		{"condition: ForAnyValue", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:TagKeys": {"env", "owner"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":"own*"}}`))}}, Allowed, nil},
		{"condition: Null true on a missing key", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj,
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"Null":{"aws:TokenIssueTime":"true"}}`))}}, Allowed, nil},
		{"condition: IpAddress with a CIDR", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:SourceIp": {"203.0.113.9"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}`))}}, Allowed, nil},
		{"condition: NotIpAddress", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:SourceIp": {"203.0.113.9"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`))}}, ImplicitlyDenied, nil},
		{"condition: DateGreaterThan", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:CurrentTime": {"2020-04-01T00:00:01Z"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"}}`))}}, Allowed, nil},
		{"condition: date as epoch seconds", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:CurrentTime": {"2020-04-01T00:00:01Z"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"DateLessThan":{"aws:CurrentTime":"1585699200"}}`))}}, ImplicitlyDenied, nil},
		{"condition: NumericLessThanEquals with a decimal", Request{Principal: userAlice, Action: "s3:ListBucket", Resource: "arn:aws:s3:::bucket", Context: map[string][]string{"s3:max-keys": {"10"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:ListBucket", "*", `,"Condition":{"NumericLessThanEquals":{"s3:max-keys":"10.5"}}`))}}, Allowed, nil},
		{"condition: Bool compares case-insensitively", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:SecureTransport": {"TRUE"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"Bool":{"aws:SecureTransport":true}}`))}}, Allowed, nil},
		{"condition: ArnLike on each segment", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:SourceArn": {"arn:aws:sns:us-east-1:111111111111:topic"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:*"}}`))}}, Allowed, nil},
		{"condition: BinaryEquals", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:username": {"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"BinaryEquals":{"aws:username":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`))}}, Allowed, nil},
		{"condition: variable in a condition value", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Context: map[string][]string{"aws:ResourceTag/owner": {"alice"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"StringEquals":{"aws:ResourceTag/owner":"${aws:username}"}}`))}}, Allowed, nil},
		{"aws:PrincipalArn of a session is its role", Request{Principal: sessDev, Action: "s3:GetObject", Resource: s3obj,
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"ArnEquals":{"aws:PrincipalArn":"`+roleDev+`"}}`))}}, Allowed, nil},
		{"unknown condition operator never holds", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj,
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"StringFuzzy":{"aws:username":"alice"}}`))}}, ImplicitlyDenied, nil},
		{"unknown key makes an allow conditional", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Unknown: []string{"aws:SourceIp", "aws:MultiFactorAuthPresent"},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`))}}, Conditional, []string{"aws:SourceIp"}},
		{"unknown key in a deny makes an allow conditional", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Unknown: []string{"*"},
			IdentityPolicies: []*Policy{pol(allowAll), pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`)}}, Conditional, []string{"aws:MultiFactorAuthPresent"}},
		{"known keys are not unknown", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Unknown: []string{"*"}, Context: map[string][]string{"aws:SourceIp": {"10.1.1.1"}},
			IdentityPolicies: []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}},"Sid":"x"`))}}, Allowed, nil},
		{"unknown key does not rescue a request nothing allows", Request{Principal: userAlice, Action: "s3:GetObject", Resource: s3obj, Unknown: []string{"*"},
			IdentityPolicies: []*Policy{pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`)}}, ImplicitlyDenied, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Evaluate(&tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if d.Decision != tt.want {
				t.Fatalf("decision %s, want %s\n  %s", d.Decision, tt.want, strings.Join(d.Explain, "\n  "))
			}
			if strings.Join(d.UnknownKeys, ",") != strings.Join(tt.keys, ",") {
				t.Errorf("unknown keys %v, want %v", d.UnknownKeys, tt.keys)
			}
			if len(d.Explain) == 0 {
				t.Error("no explanation")
			}
		})
	}
}

func TestExplainNamesStatements(t *testing.T) {
	d, err := Evaluate(&Request{Principal: userAlice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k",
		IdentityPolicies: []*Policy{MustCompile("arn:aws:iam::111111111111:policy/reader", allowAll)},
		SCPs: []Level{{ID: "r-abcd", Policies: []*Policy{MustCompile("FullAWSAccess", allowAll)}},
			{ID: "ou-abcd-1", Policies: []*Policy{MustCompile("DenyS3", `{"Version":"2012-10-17","Statement":[{"Sid":"NoS3","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`)}}}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Decision != ExplicitlyDenied {
		t.Fatalf("decision %s", d.Decision)
	}
	var deny *Match
	for i := range d.Matches {
		if d.Matches[i].Effect == "Deny" {
			deny = &d.Matches[i]
		}
	}
	if deny == nil || deny.Type != "scp" || deny.Level != 1 || deny.LevelID != "ou-abcd-1" || deny.Policy != "DenyS3" || deny.Sid != "NoS3" {
		t.Fatalf("deny match = %+v", deny)
	}
	if !strings.Contains(strings.Join(d.Explain, "\n"), "SCP level 1 (ou-abcd-1)") {
		t.Errorf("explain does not name the level: %v", d.Explain)
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		p, v string
		fold bool
		want bool
	}{
		{"*", "", false, true},
		{"a*", "abc", false, true},
		{"a?c", "abc", false, true},
		{"a?c", "aéc", false, true},
		{"a?c", "aéxc", false, false},
		{"?", "日", false, true},
		{"*b*", "aaabaaa", false, true},
		{"a*b*c", "axxbyyc", false, true},
		{"a*b*c", "axxbyy", false, false},
		{"S3:Get*", "s3:getobject", true, true},
		{"S3:Get*", "s3:getobject", false, false},
		{"x" + litStr + "*y", "x*y", false, true},
		{"x" + litStr + "*y", "xay", false, false},
		{"***a", "bbba", false, true},
	}
	for _, tt := range tests {
		if got := glob(tt.p, tt.v, tt.fold); got != tt.want {
			t.Errorf("glob(%q, %q, %v) = %v", tt.p, tt.v, tt.fold, got)
		}
	}
}

func TestParseRequestErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"principal":"` + userAlice + `","action":"s3:GetObject","bogus":1}`, `unknown field "bogus"`},
		{`{"principal":"` + userAlice + `","action":"s3:GetObject",` + "\n" + `"resource": }`, "line 2, column 13"},
		{`{"principal":"not-an-arn:x","action":"s3:GetObject"}`, "principal: "},
		{`{"principal":"accounts.google.com","action":"sts:AssumeRoleWithWebIdentity"}`, ""},
		{`{"principal":"arn:aws:iam::12:user/x","action":"s3:GetObject"}`, "principal: "},
		{`{"principal":"` + userAlice + `","action":"GetObject"}`, "action: "},
		{`{"principal":"` + userAlice + `","action":"s3:GetObject","resource":"bucket"}`, "resource: "},
		{`{"principal":"` + userAlice + `","action":"s3:GetObject","identityPolicies":[{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}]}`, "identityPolicies[0]: statement 0: Effect"},
		{`{"principal":"` + userAlice + `","action":"s3:GetObject","scps":[[{"Statement":[{"Effect":"Allow","Resource":"*"}]}]]}`, "scps[0][0]: statement 0: neither Action"},
		{`{"principal":"` + userAlice + `","action":"s3:GetObject","context":{"aws:SourceIp":{"a":1}}}`, "context.aws:SourceIp"},
	}
	for _, tt := range tests {
		_, err := ParseRequest([]byte(tt.in))
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestUnknownOperatorWarns(t *testing.T) {
	p := MustCompile("p", allowDoc("s3:GetObject", "*", `,"Condition":{"StringFuzzy":{"aws:username":"alice"}}`))
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], `"StringFuzzy"`) {
		t.Fatalf("warnings = %v", p.Warnings)
	}
}
