package evaluate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// oracleWrongCases are requests on which the oracle gives an answer AWS's
// documentation contradicts. The random generator keeps away from them; this
// test shows, case by case, that the oracle still answers so (if it stops,
// the entry goes) and that this package answers as documented.
var oracleWrongCases = []struct {
	name, why, request string
	aws, oracle        string
}{
	{
		name: "policy variables without a Version",
		why: "\"If you do not include the Version element, the value defaults to 2008-10-17\" and \"policy variables ... are not " +
			"supported\" in that version: ${aws:username} is literal text (reference_policies_elements_version.html, reference_policies_variables.html)",
		request: `{"principal":"arn:aws:iam::111111111111:user/alice","action":"s3:GetObject","resource":"arn:aws:s3:::b/alice","resourceAccount":"111111111111",
			"context":{"aws:username":"alice"},"identityPolicies":[{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}"}]}]}`,
		aws: ImplicitlyDenied, oracle: Allowed,
	},
	{
		name: "a role cannot be assumed without a trust policy that allows it",
		why: "assuming a role needs both the caller's permission and the role's trust policy, \"the resource-based policy that " +
			"defines who can assume the role\"; with no trust policy nobody is trusted (id_roles.html, id_roles_use_permissions-to-switch.html)",
		request: `{"principal":"arn:aws:iam::111111111111:user/alice","action":"sts:AssumeRole","resource":"arn:aws:iam::111111111111:role/r","resourceAccount":"111111111111",
			"identityPolicies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}]}`,
		aws: ImplicitlyDenied, oracle: Allowed,
	},
	{
		name:    "session policy and a grant to the session ARN",
		why:     oracleWrong[0].why,
		request: `{"principal":"arn:aws:sts::111111111111:assumed-role/dev/s1","action":"s3:PutObject","resource":"arn:aws:s3:::b/k","resourceAccount":"111111111111","sessionPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]},"resourcePolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111111111111:assumed-role/dev/s1"},"Action":"s3:*","Resource":"*"}]}}`,
		aws:     Allowed, oracle: ImplicitlyDenied,
	},
	{
		name:    "NotPrincipal naming the user but not its account",
		why:     oracleWrong[1].why,
		request: `{"principal":"arn:aws:iam::111111111111:user/alice","action":"s3:GetObject","resource":"arn:aws:s3:::b/k","resourceAccount":"111111111111","identityPolicies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}],"resourcePolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"s3:*","Resource":"*"}]}}`,
		aws:     ExplicitlyDenied, oracle: Allowed,
	},
	{
		// AWS's own example on the policy-variables page: "Access is
		// explicitly denied when aws:principaltag/Team is not set."
		name:    "StringNotEquals against a policy variable with no value",
		why:     oracleWrong[2].why,
		request: `{"principal":"arn:aws:iam::111111111111:user/alice","action":"s3:GetObject","resource":"arn:aws:s3:::amzn-s3-demo-bucket/report.csv","resourceAccount":"111111111111","context":{"s3:ExistingObjectTag/Team":"blue"},"identityPolicies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*","Condition":{"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}}]}]}`,
		aws:     ExplicitlyDenied, oracle: Allowed,
	},
	{
		name:    "a Deny naming with ${*} the resource whose key has a '*'",
		why:     literalStarWhy,
		request: `{"principal":"arn:aws:iam::111111111111:user/alice","action":"s3:GetObject","resource":"arn:aws:s3:::b/x*y","resourceAccount":"111111111111","identityPolicies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/x${*}y"}]}]}`,
		aws:     ExplicitlyDenied, oracle: Allowed,
	},
}

func TestOracleKnownWrong(t *testing.T) {
	var sims []oracleSim
	for _, c := range oracleWrongCases {
		var in InputRequest
		if err := json.Unmarshal([]byte(c.request), &in); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		sims = append(sims, toOracle(&in))
	}
	answers := runOracle(t, sims)
	for i, c := range oracleWrongCases {
		req, err := ParseRequest([]byte(c.request))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		d, err := Evaluate(req)
		if err != nil {
			t.Fatal(err)
		}
		if d.Decision != c.aws {
			t.Errorf("%s: orgiam %s, AWS documents %s (%s)", c.name, d.Decision, c.aws, c.why)
		}
		if answers[i].Decision != c.oracle {
			t.Errorf("%s: the oracle now answers %s %s (was %s): review the entry", c.name, answers[i].Decision, answers[i].Error, c.oracle)
		}
	}
}

// TestOracleFieldNames checks the harness's field names against the
// oracle's own type declarations, since the oracle ignores unknown fields.
func TestOracleFieldNames(t *testing.T) {
	decl := filepath.Join(oracleDir, "node_modules", "@cloud-copilot", "iam-simulate", "dist", "cjs", "simulation_engine", "simulation.d.ts")
	src, err := os.ReadFile(decl)
	if os.IsNotExist(err) {
		if _, err := os.Stat(filepath.Join(oracleDir, "node_modules")); err != nil {
			t.Skip("the oracle is not installed (make deps)")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []reflect.Type{reflect.TypeOf(oracleSim{}), reflect.TypeOf(oracleRequest{}), reflect.TypeOf(oracleResource{}), reflect.TypeOf(oracleNamed{}), reflect.TypeOf(oracleOrgLevel{})} {
		for i := 0; i < typ.NumField(); i++ {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if !strings.Contains(string(src), name+":") && !strings.Contains(string(src), name+"?:") {
				t.Errorf("%s.%s: field %q is not in the oracle's Simulation type (%s)", typ.Name(), typ.Field(i).Name, name, decl)
			}
		}
	}
}

// TestAssumeRoleNeedsTrust: with no trust policy at all the oracle lets an
// identity policy alone assume a role; orgiam always passes the role's
// trust policy (every role has one), so the two agree where it matters.
func TestAssumeRoleNeedsTrust(t *testing.T) {
	d, err := Evaluate(&Request{Principal: userAlice, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111111111111:role/r",
		IdentityPolicies: []*Policy{pol(allowAll)},
		ResourcePolicy:   pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Decision != ImplicitlyDenied {
		t.Fatalf("decision %s", d.Decision)
	}
}

// TestOracleRespelt: respelling the literal '*' of a request's resource (and
// the ${*} that names it) leaves orgiam's answer as it was and brings the
// oracle to it, which is what the harness relies on for literalStarWhy.
func TestOracleRespelt(t *testing.T) {
	c := oracleWrongCases[len(oracleWrongCases)-1]
	if c.why != literalStarWhy {
		t.Fatalf("the last entry of oracleWrongCases is %q, not the literal '*' case", c.name)
	}
	var in InputRequest
	if err := json.Unmarshal([]byte(c.request), &in); err != nil {
		t.Fatal(err)
	}
	re, ok := respellStar(&in)
	if !ok {
		t.Fatal("respellStar refused the request")
	}
	if re.Resource != "arn:aws:s3:::b/x"+respellChar+"y" || strings.Contains(string(re.IdentityPolicies[0]), "${*}") {
		t.Fatalf("respelt resource %q, policy %s", re.Resource, re.IdentityPolicies[0])
	}
	if ours := decide(re); ours.err != nil || ours.d.Decision != c.aws {
		t.Errorf("orgiam on the respelt request: %+v %v, want %s as before", ours.d, ours.err, c.aws)
	}
	if a := runOracle(t, []oracleSim{toOracle(re)}); a[0].Decision != c.aws {
		t.Errorf("oracle on the respelt request: %s %s, want %s", a[0].Decision, a[0].Error, c.aws)
	}
	if _, ok := respellStar(&InputRequest{Principal: userAlice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/x*y!"}); ok {
		t.Errorf("respellStar accepted a request that already holds %q", respellChar)
	}
}
