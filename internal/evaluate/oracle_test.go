package evaluate

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestOracle runs seeded random requests through this package and through
// the oracle and fails on any disagreement, printing the case as a request
// `orgiam simulate --input` reads. ORACLE_CASES and ORACLE_SEED change the
// number of cases (default 10,000) and the seed.
func TestOracle(t *testing.T) {
	n, seed := 10000, uint64(20261201)
	if v, err := strconv.Atoi(os.Getenv("ORACLE_CASES")); err == nil {
		n = v
	}
	if v, err := strconv.ParseUint(os.Getenv("ORACLE_SEED"), 10, 64); err == nil {
		seed = v
	}
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x5eed)), m: rand.New(rand.NewPCG(seed, seed^0x3a9e))}
	ins := make([]*InputRequest, n)
	sims := make([]oracleSim, n)
	for i := range ins {
		ins[i] = g.request()
		sims[i] = toOracle(ins[i])
	}
	answers := runOracle(t, sims)
	var errs, fails, exempted int
	counts := map[string]int{}
	divergences := map[string]int{}
	for i, a := range answers {
		if a.Error != "" {
			errs++
			if errs <= 3 {
				t.Logf("oracle rejected case %d: %s", i, a.Error)
			}
			continue
		}
		raw, _ := json.Marshal(ins[i])
		req, err := ParseRequest(raw)
		if err != nil {
			t.Fatalf("case %d: %v\n%s", i, err, raw)
		}
		d, err := Evaluate(req)
		if err != nil {
			t.Fatalf("case %d: %v\n%s", i, err, raw)
		}
		counts[d.Decision]++
		if req.ManagementAccount != "" {
			without := *req
			without.ManagementAccount = ""
			if d2, err := Evaluate(&without); err == nil && d2.Decision != d.Decision {
				exempted++
			}
		}
		if d.Decision != a.Decision {
			if why := documentedDivergence(req, d.Decision, a.Decision); why != "" {
				divergences[why]++
				continue
			}
			fails++
			if fails <= 10 {
				t.Errorf("case %d: orgiam %s, oracle %s\n%s\nexplain:\n  %s", i, d.Decision, a.Decision, raw, strings.Join(d.Explain, "\n  "))
			}
		}
	}
	t.Logf("%d cases: %v; %d rejected by the oracle, %d disagreements; %d decided otherwise by the management account's exemption", n, counts, errs, fails, exempted)
	if n >= 1000 && exempted == 0 {
		t.Error("no case where the management account's exemption changes the decision: the comparison does not test it")
	}
	for why, k := range divergences {
		t.Logf("%d cases differ as documented: %s", k, why)
	}
	if fails > 0 {
		t.Errorf("%d of %d cases disagree", fails, n-errs)
	}
	if errs > n/100 {
		t.Errorf("the oracle rejected %d of %d generated cases: the generator makes invalid requests", errs, n)
	}
	// The generator must exercise every outcome, or the comparison proves little.
	for _, dec := range []string{Allowed, ImplicitlyDenied, ExplicitlyDenied} {
		if counts[dec] < n/20 {
			t.Errorf("only %d %s cases of %d", counts[dec], dec, n)
		}
	}
}

// oracleWrong are the rules on which the oracle departs from AWS's
// documentation. A disagreement counts as documented only if evaluating
// with that one rule switched to the oracle's reading gives the oracle's
// answer; any other disagreement fails the test.
var oracleWrong = []struct {
	why   string
	rules rules
}{
	{"a session policy does not limit a resource-based policy that names the session itself: the STS AssumeRole " +
		"reference says that when a resource-based policy specifically references the role session ARN in its Principal element, " +
		"the session has the permissions it allows, granted in addition to those the session policies allow " +
		"(https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html, and access_policies.html#policies_session)",
		rules{sessionPolicyLimitsSessionGrants: true}},
	{"NotPrincipal with Deny must also list the account of the principal it spares, or the account — and so the principal — " +
		"may be denied; for an assumed-role session AWS may check the account, then the role, then the session. AWS's text is " +
		"hedged (\"might\"); orgiam takes the reading that denies " +
		"(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html, key points)",
		rules{notPrincipalSelfOnly: true}},
	{"policy variables and the ${*} escape apply in NotResource as in Resource (the policy-variables page lists the Resource " +
		"element, and NotResource is its complement); ${*} stands for a literal '*', and an element whose variable has no value " +
		"in the request does not match (reference_policies_variables.html, policy-vars-specialchars, policy-vars-no-key)",
		rules{notResourceLiteral: true}},
	{"not an oracle error but an undocumented point: orgiam substitutes policy variables and ${*} in SCPs as in every 2012-10-17 " +
		"policy, the oracle does not; AWS's SCP syntax page neither lists nor excludes them. Only the kind of denial differs",
		rules{scpLiteral: true}},
	{"a negated condition operator (StringNotEquals, StringNotLike, ArnNotLike…) whose value holds a policy variable with no " +
		"value in the request matches: \"Inverted condition operators like StringNotEquals or StringNotLike do match against a null " +
		"value\"; the oracle makes the condition false (reference_policies_variables.html#policy-vars-no-value)",
		rules{nullVariableNoMatch: true}},
}

func documentedDivergence(req *Request, ours, oracle string) string {
	for _, w := range oracleWrong {
		if w.rules.scpLiteral && (ours == Allowed || oracle == Allowed) {
			continue // that entry covers the kind of denial only
		}
		d, err := evaluateWith(req, w.rules)
		if err == nil && d.Decision == oracle {
			return w.why
		}
	}
	return ""
}

// TestOracleOne prints what the oracle and this package say about the
// request in the file ORACLE_INPUT (for looking into a disagreement).
func TestOracleOne(t *testing.T) {
	path := os.Getenv("ORACLE_INPUT")
	if path == "" {
		t.Skip("set ORACLE_INPUT to a request file")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var in InputRequest
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	a := runOracle(t, []oracleSim{toOracle(&in)})
	req, err := ParseRequest(raw)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Evaluate(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.MarshalIndent(d, "", "  ")
	t.Logf("oracle: %+v\norgiam: %s", a[0], out)
}
