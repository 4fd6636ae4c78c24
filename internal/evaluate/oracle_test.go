package evaluate

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// oracleSeeds are the seeds TestOracle runs when ORACLE_SEEDS (or
// ORACLE_SEED) is not set: the normal test run, CI's included, compares
// 2 × 10,000 cases. Under -race the second seed costs about 25 s of CPU;
// with a core free, a few seconds of wall time, as orgiam decides while
// the oracle runs (go test -race, 2 cores).
var oracleSeeds = []uint64{20261201, 7}

// TestOracle runs seeded random requests through this package and through
// the oracle, one subtest per seed, and fails on any disagreement that is
// not one of the documented ones (oracleWrong, literalStarWhy), printing the
// case as a request `orgiam simulate --input` reads. Documented divergences
// are counted and logged per seed, never dropped.
//
// ORACLE_SEEDS replaces the seeds: a comma-separated list of seeds and
// ranges ("1-20,77"); ORACLE_SEED (one seed) is the older spelling.
// ORACLE_CASES sets the number of cases per seed (default 10,000).
func TestOracle(t *testing.T) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("ORACLE_CASES")); err == nil {
		n = v
	}
	seeds, err := seedsFromEnv(os.Getenv("ORACLE_SEEDS"), os.Getenv("ORACLE_SEED"))
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { compareWithOracle(t, seed, n) })
	}
}

// seedsFromEnv reads ORACLE_SEEDS ("1-20,77"), else ORACLE_SEED, else
// returns oracleSeeds.
func seedsFromEnv(list, one string) ([]uint64, error) {
	if list == "" {
		list = one
	}
	if list == "" {
		return oracleSeeds, nil
	}
	var out []uint64
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("ORACLE_SEEDS %q: %q is not a seed or a range of seeds", list, part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 64); err != nil || b < a {
				return nil, fmt.Errorf("ORACLE_SEEDS %q: %q is not a range of seeds", list, part)
			}
		}
		for s := a; s <= b; s++ {
			out = append(out, s)
		}
	}
	return out, nil
}

func TestOracleSeeds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		list, one string
		want      []uint64 // nil: an error
	}{
		{"", "", oracleSeeds},
		{"", "42", []uint64{42}},
		{"1-3,7", "42", []uint64{1, 2, 3, 7}},
		{" 5 , 9-9", "", []uint64{5, 9}},
		{"3-1", "", nil},
		{"x", "", nil},
		{"1-", "", nil},
	} {
		got, err := seedsFromEnv(tt.list, tt.one)
		if tt.want == nil {
			if err == nil {
				t.Errorf("ORACLE_SEEDS=%q: seeds %v, want an error", tt.list, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ORACLE_SEEDS=%q ORACLE_SEED=%q: %v %v, want %v", tt.list, tt.one, got, err, tt.want)
		}
	}
}

// compareWithOracle compares n cases of one seed.
func compareWithOracle(t *testing.T, seed uint64, n int) {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x5eed)), m: rand.New(rand.NewPCG(seed, seed^0x3a9e))}
	ins := make([]*InputRequest, n)
	sims := make([]oracleSim, n)
	for i := range ins {
		ins[i] = g.request()
		sims[i] = toOracle(ins[i])
	}
	// orgiam decides every case while the oracle runs: under -race its
	// side takes as long as the oracle's.
	requireOracle(t)
	ours := make([]ourCase, n)
	decided := make(chan struct{})
	go func() {
		defer close(decided)
		for i, in := range ins {
			ours[i] = decide(in)
		}
	}()
	answers := runOracle(t, sims)
	<-decided
	var errs, fails, exempted int
	counts := map[string]int{}
	divergences := map[string]int{}
	var divergenceOrder []string
	diverge := func(names string) {
		if divergences[names] == 0 {
			divergenceOrder = append(divergenceOrder, names)
		}
		divergences[names]++
	}
	fail := func(i int, d *Decision, oracle string, raw []byte, note string) {
		fails++
		if fails <= 10 {
			t.Errorf("case %d: orgiam %s, oracle %s%s\n%s\nexplain:\n  %s", i, d.Decision, oracle, note, raw, strings.Join(d.Explain, "\n  "))
		}
	}
	type starred struct {
		i   int
		raw []byte
		d   *Decision
		in  *InputRequest // respelt
	}
	var stars []starred
	for i, a := range answers {
		if a.Error != "" {
			errs++
			if errs <= 3 {
				t.Logf("oracle rejected case %d: %s", i, a.Error)
			}
			continue
		}
		raw, req, d := ours[i].raw, ours[i].req, ours[i].d
		if ours[i].err != nil {
			t.Fatalf("case %d: %v\n%s", i, ours[i].err, raw)
		}
		counts[d.Decision]++
		if ours[i].exempted {
			exempted++
		}
		if d.Decision == a.Decision {
			continue
		}
		if hasLiteralStar(ins[i].Resource) {
			// The oracle answered for every resource the name stands
			// for: ask it again about the one resource, respelt.
			if re, ok := respellStar(ins[i]); ok {
				stars = append(stars, starred{i, raw, d, re})
				continue
			}
			fail(i, d, a.Decision, raw, " (its resource has a literal '*' the harness cannot respell)")
			continue
		}
		if names := documentedDivergence(req, d.Decision, a.Decision); names != "" {
			diverge(names)
			continue
		}
		fail(i, d, a.Decision, raw, "")
	}
	if len(stars) > 0 {
		sims := make([]oracleSim, len(stars))
		for k, c := range stars {
			sims[k] = toOracle(c.in)
		}
		again := runOracle(t, sims)
		for k, c := range stars {
			raw, _ := json.Marshal(c.in)
			req, err := ParseRequest(raw)
			if err != nil {
				t.Fatalf("case %d respelt: %v\n%s", c.i, err, raw)
			}
			d, err := Evaluate(req)
			if err != nil {
				t.Fatalf("case %d respelt: %v\n%s", c.i, err, raw)
			}
			a := again[k]
			switch {
			case d.Decision != c.d.Decision:
				fail(c.i, c.d, a.Decision, c.raw, fmt.Sprintf(" (respelling its literal '*' changed orgiam's answer to %s: the respelling is not neutral)", d.Decision))
			case a.Error != "":
				fail(c.i, c.d, a.Error, c.raw, " (on the respelt request)")
			case a.Decision == d.Decision:
				diverge(literalStar)
			default:
				if names := documentedDivergence(req, d.Decision, a.Decision); names != "" {
					diverge(literalStar + " + " + names)
					continue
				}
				fail(c.i, c.d, a.Decision, c.raw, " (also on the respelt request: "+string(raw)+")")
			}
		}
	}
	t.Logf("seed %d, %d cases: %v; %d rejected by the oracle, %d disagreements not documented, %d documented; %d decided otherwise by the management account's exemption",
		seed, n, counts, errs, fails, sum(divergences), exempted)
	if n >= 1000 && exempted == 0 {
		t.Error("no case where the management account's exemption changes the decision: the comparison does not test it")
	}
	for _, names := range divergenceOrder {
		t.Logf("%d cases differ as documented: %s", divergences[names], names)
	}
	if len(divergenceOrder) > 0 {
		t.Logf("the documented rules: %s: %s", literalStar, literalStarWhy)
		for _, w := range oracleWrong {
			t.Logf("  %s: %s", w.name, w.why)
		}
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

// ourCase is orgiam's side of one case.
type ourCase struct {
	raw []byte // the request as `orgiam simulate --input` reads it
	req *Request
	d   *Decision
	// exempted: the management account's exemption changes the decision.
	exempted bool
	err      error
}

func decide(in *InputRequest) ourCase {
	raw, _ := json.Marshal(in)
	c := ourCase{raw: raw}
	if c.req, c.err = ParseRequest(raw); c.err != nil {
		return c
	}
	if c.d, c.err = Evaluate(c.req); c.err != nil {
		return c
	}
	if c.req.ManagementAccount != "" {
		without := *c.req
		without.ManagementAccount = ""
		if d2, err := Evaluate(&without); err == nil && d2.Decision != c.d.Decision {
			c.exempted = true
		}
	}
	return c
}

func sum(m map[string]int) int {
	k := 0
	for _, v := range m {
		k += v
	}
	return k
}

// literalStarWhy is the divergence on requests whose resource has a '*' in
// its name (an S3 object key may hold one: "arn:aws:s3:::data/x*y"). AWS
// authorizes a request against the one resource it names, and a policy
// writes that character ${*}: "${*} - use where you need an * (asterisk)
// character" (reference_policies_variables.html#policy-vars-specialchars).
// The oracle reads a '*' in the request's resource as a wildcard and
// answers for every resource it could stand for (its resource.js:
// "Request resources support asterisks as wildcards"; a Deny then applies
// only if it covers them all). The harness checks the case precisely: it
// respells that '*' and every ${*} of the policies as one character that
// is nowhere else in the request (respellStar); orgiam's answer must not
// change, and the oracle's answer on the respelt request must be orgiam's
// (or differ from it only by oracleWrong rules).
const literalStar = "literal-star"

const literalStarWhy = "a '*' in the request's resource is a character of its name, which a policy matches with ${*} " +
	"(reference_policies_variables.html#policy-vars-specialchars: \"${*} - use where you need an * (asterisk) character\"); " +
	"the oracle reads it as a wildcard over many resources. Respelt as another character, the oracle answers as orgiam does"

// respellChar stands for a request resource's literal '*' in respellStar:
// a character S3 keys allow and that neither implementation treats as
// special.
const respellChar = "!"

func hasLiteralStar(resource string) bool {
	return resource != "*" && strings.Contains(resource, "*")
}

// respellStar returns the request with each '*' of its resource and each
// ${*} of its policies replaced by respellChar: the same request to AWS, as
// both stand for one character that nothing else in the request names.
// ok is false if respellChar is already in the request.
func respellStar(in *InputRequest) (*InputRequest, bool) {
	raw, err := json.Marshal(in)
	if err != nil || strings.Contains(string(raw), respellChar) {
		return nil, false
	}
	out := *in
	out.Resource = strings.ReplaceAll(in.Resource, "*", respellChar)
	re := func(doc json.RawMessage) json.RawMessage {
		if doc == nil {
			return nil
		}
		return json.RawMessage(strings.ReplaceAll(string(doc), "${*}", respellChar))
	}
	out.IdentityPolicies = nil
	for _, p := range in.IdentityPolicies {
		out.IdentityPolicies = append(out.IdentityPolicies, re(p))
	}
	out.PermissionBoundary, out.SessionPolicy, out.ResourcePolicy = re(in.PermissionBoundary), re(in.SessionPolicy), re(in.ResourcePolicy)
	levels := func(ls [][]json.RawMessage) [][]json.RawMessage {
		var o [][]json.RawMessage
		for _, l := range ls {
			var lv []json.RawMessage
			for _, p := range l {
				lv = append(lv, re(p))
			}
			o = append(o, lv)
		}
		return o
	}
	out.SCPs, out.RCPs = levels(in.SCPs), levels(in.RCPs)
	return &out, true
}

// oracleWrong are the rules on which the oracle departs from AWS's
// documentation. A disagreement counts as documented only if evaluating
// with one of these rules, or a few together, switched to the oracle's
// reading gives the oracle's answer; any other disagreement fails the test. (A request whose resource
// has a literal '*' is first respelt: literalStarWhy.)
var oracleWrong = []struct {
	name, why string
	rules     rules
}{
	{"session-arn-grant", "a session policy does not limit a resource-based policy that names the session itself: the STS AssumeRole " +
		"reference says that when a resource-based policy specifically references the role session ARN in its Principal element, " +
		"the session has the permissions it allows, granted in addition to those the session policies allow " +
		"(https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html, and access_policies.html#policies_session)",
		rules{sessionPolicyLimitsSessionGrants: true}},
	{"notprincipal-account", "NotPrincipal with Deny must also list the account of the principal it spares, or the account — and so the principal — " +
		"may be denied; for an assumed-role session AWS may check the account, then the role, then the session. AWS's text is " +
		"hedged (\"might\"); orgiam takes the reading that denies " +
		"(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html, key points)",
		rules{notPrincipalSelfOnly: true}},
	{"null-variable", "a negated condition operator (StringNotEquals, StringNotLike, ArnNotLike…) whose value holds a policy variable with no " +
		"value in the request matches: \"Inverted condition operators like StringNotEquals or StringNotLike do match against a null " +
		"value\"; the oracle makes the condition false (reference_policies_variables.html#policy-vars-no-value)",
		rules{nullVariableNoMatch: true}},
}

// documentedDivergence returns the names of the fewest oracleWrong rules
// that, switched to the oracle's reading together, give the oracle's answer
// ("null-variable", "notprincipal-account + session-arn-grant"), or "".
// Two rules can meet in one case: a session policy whose condition holds
// such a variable, beside a grant to the session's ARN.
func documentedDivergence(req *Request, ours, oracle string) string {
	best := ""
	bestSize := len(oracleWrong) + 1
	for set := 1; set < 1<<len(oracleWrong); set++ {
		size := bits.OnesCount(uint(set))
		if size >= bestSize {
			continue
		}
		var rl rules
		var names []string
		for i, w := range oracleWrong {
			if set&(1<<i) == 0 {
				continue
			}
			rl = rl.or(w.rules)
			names = append(names, w.name)
		}
		if d, err := evaluateWith(req, rl); err == nil && d.Decision == oracle {
			best, bestSize = strings.Join(names, " + "), size
		}
	}
	return best
}

// or is the union of two sets of rules: every field of rules is listed.
func (r rules) or(o rules) rules {
	return rules{
		sessionPolicyLimitsSessionGrants: r.sessionPolicyLimitsSessionGrants || o.sessionPolicyLimitsSessionGrants,
		notPrincipalSelfOnly:             r.notPrincipalSelfOnly || o.notPrincipalSelfOnly,
		nullVariableNoMatch:              r.nullVariableNoMatch || o.nullVariableNoMatch,
	}
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
