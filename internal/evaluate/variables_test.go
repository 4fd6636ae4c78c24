package evaluate

import "testing"

// TestPolicyVariableWithNoValue: a policy variable whose key is not in the
// request (aws:username for a role session or the root, an absent tag).
// AWS, reference_policies_variables.html#policy-vars-no-value: "the value is
// effectively null. There is no equal or like value"; "condition operators
// like StringEquals or StringLike do not match", and "Inverted condition
// operators like StringNotEquals or StringNotLike do match against a null
// value, as the value of the condition key they are testing against is not
// equal to or like the effectively null value". aws:username is "(not
// present)" for an assumed role (the page's table of principal key values).
func TestPolicyVariableWithNoValue(t *testing.T) {
	t.Parallel()
	const obj = "arn:aws:s3:::b/k"
	cond := func(c string) []*Policy {
		return []*Policy{pol(allowDoc("s3:GetObject", "*", `,"Condition":`+c))}
	}
	team := func(v string) map[string][]string { return map[string][]string{"aws:PrincipalTag/team": {v}} }
	tagKeys := func(vs ...string) map[string][]string {
		if vs == nil {
			vs = []string{}
		}
		return map[string][]string{"aws:TagKeys": vs}
	}
	tests := []struct {
		name      string
		principal string
		context   map[string][]string
		identity  []*Policy
		scps      []Level
		want      string
	}{
		// The inverted operators match the null value.
		{"StringNotEquals matches", sessDev, team("red"), cond(`{"StringNotEquals":{"aws:PrincipalTag/team":"${aws:username}"}}`), nil, Allowed},
		{"StringNotLike matches", sessDev, team("red"), cond(`{"StringNotLike":{"aws:PrincipalTag/team":"${aws:username}*"}}`), nil, Allowed},
		{"StringNotEqualsIgnoreCase matches", sessDev, team("red"), cond(`{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/team":"${aws:username}"}}`), nil, Allowed},
		// "You can use a policy variable for Condition values in any
		// condition that involves the string operators or the ARN operators."
		{"ArnNotLike matches", sessDev, nil, cond(`{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/${aws:username}"}}`), nil, Allowed},
		// The other values of the condition still count: "not equal" to
		// red fails whatever the null value does.
		{"StringNotEquals: a value left matches", sessDev, team("red"), cond(`{"StringNotEquals":{"aws:PrincipalTag/team":["${aws:username}","red"]}}`), nil, ImplicitlyDenied},
		// The positive operators find no equal or like value.
		{"StringEquals does not match", sessDev, team("red"), cond(`{"StringEquals":{"aws:PrincipalTag/team":"${aws:username}"}}`), nil, ImplicitlyDenied},
		{"StringLike: another value matches", sessDev, team("red"), cond(`{"StringLike":{"aws:PrincipalTag/team":["${aws:username}","r*"]}}`), nil, Allowed},
		// Set operators apply their own rule to the values left.
		{"ForAllValues:StringNotLike on a set", sessDev, tagKeys("env"), cond(`{"ForAllValues:StringNotLike":{"aws:TagKeys":"${aws:username}"}}`), nil, Allowed},
		{"ForAllValues:StringNotEquals on an empty set", sessDev, tagKeys(), cond(`{"ForAllValues:StringNotEquals":{"aws:TagKeys":"${aws:username}"}}`), nil, Allowed},
		{"ForAnyValue:StringNotEquals on a set", sessDev, tagKeys("env"), cond(`{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"${aws:username}"}}`), nil, Allowed},
		{"ForAnyValue:StringEquals on a set", sessDev, tagKeys("env"), cond(`{"ForAnyValue:StringEquals":{"aws:TagKeys":"${aws:username}"}}`), nil, ImplicitlyDenied},
		// Policy variables work in SCPs as anywhere ("Variables can be
		// used in identity-based policies, resource policies, service
		// control policies, session policies, and VPC endpoint policies"):
		// a Deny on "not the caller's own name" denies a role session.
		{"an SCP's StringNotEquals denies a role session", sessDev, team("red"), []*Policy{pol(allowAll)},
			[]Level{{Policies: []*Policy{pol(allowAll), pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"${aws:username}"}}}]}`)}}},
			ExplicitlyDenied},
		// Controls: with a value, or a default, nothing is null.
		{"a user has aws:username", userAlice, team("alice"), cond(`{"StringNotEquals":{"aws:PrincipalTag/team":"${aws:username}"}}`), nil, ImplicitlyDenied},
		{"a default value is not null", sessDev, team("red"), cond(`{"StringNotEquals":{"aws:PrincipalTag/team":"${aws:username, 'red'}"}}`), nil, ImplicitlyDenied},
		// AWS's own example on that page: "Access is explicitly denied when
		// aws:principaltag/Team is not set."
		{"the page's example: denied when the principal tag is not set", userAlice, map[string][]string{"s3:ExistingObjectTag/Team": {"blue"}},
			[]*Policy{pol(allowAll), pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}}]}`)},
			nil, ExplicitlyDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := Evaluate(&Request{Principal: tt.principal, Action: "s3:GetObject", Resource: obj, Context: tt.context,
				IdentityPolicies: tt.identity, SCPs: tt.scps})
			if err != nil {
				t.Fatal(err)
			}
			if d.Decision != tt.want {
				t.Fatalf("decision %s, want %s\n  %v", d.Decision, tt.want, d.Explain)
			}
		})
	}
}
