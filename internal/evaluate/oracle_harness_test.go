package evaluate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The oracle is @cloud-copilot/iam-simulate (AGPL-3.0-or-later), an
// independent TypeScript implementation of the evaluation logic. It runs only
// as a separate process (testdata/oracle/oracle.js, installed by `make deps`
// and .ci/run with npm ci); no code or fixture of it is copied here.

// oracleSim is the oracle's Simulation shape. Its field names are checked
// twice: against the oracle's own type declarations (TestOracleFieldNames)
// and, case by case, by oracle.js, which rejects any field the simulator
// does not know, because the simulator itself would silently ignore it.
type oracleSim struct {
	Request                    oracleRequest    `json:"request"`
	IdentityPolicies           []oracleNamed    `json:"identityPolicies"`
	ServiceControlPolicies     []oracleOrgLevel `json:"serviceControlPolicies"`
	ResourceControlPolicies    []oracleOrgLevel `json:"resourceControlPolicies"`
	ResourcePolicy             json.RawMessage  `json:"resourcePolicy,omitempty"`
	PermissionBoundaryPolicies []oracleNamed    `json:"permissionBoundaryPolicies,omitempty"`
	SessionPolicy              json.RawMessage  `json:"sessionPolicy,omitempty"`
}

type oracleRequest struct {
	Principal        string         `json:"principal"`
	Action           string         `json:"action"`
	Resource         oracleResource `json:"resource"`
	ContextVariables map[string]any `json:"contextVariables"`
}

type oracleResource struct {
	Resource  string `json:"resource"`
	AccountID string `json:"accountId"`
}

type oracleNamed struct {
	Name   string          `json:"name"`
	Policy json.RawMessage `json:"policy"`
}

type oracleOrgLevel struct {
	OrgIdentifier string        `json:"orgIdentifier"`
	Policies      []oracleNamed `json:"policies"`
}

type oracleAnswer struct {
	Decision string          `json:"decision"`
	Error    string          `json:"error"`
	Full     json.RawMessage `json:"full,omitempty"`
}

// toOracle converts a request in orgiam's input shape into the oracle's.
func toOracle(in *InputRequest) oracleSim {
	s := oracleSim{
		Request: oracleRequest{
			Principal: in.Principal, Action: in.Action,
			Resource:         oracleResource{Resource: in.Resource, AccountID: in.ResourceAccount},
			ContextVariables: map[string]any{},
		},
		IdentityPolicies:        []oracleNamed{},
		ServiceControlPolicies:  []oracleOrgLevel{},
		ResourceControlPolicies: []oracleOrgLevel{},
		ResourcePolicy:          in.ResourcePolicy,
		SessionPolicy:           in.SessionPolicy,
	}
	for k, v := range in.Context {
		var x any
		_ = json.Unmarshal(v, &x)
		s.Request.ContextVariables[k] = x
	}
	for i, p := range in.IdentityPolicies {
		s.IdentityPolicies = append(s.IdentityPolicies, oracleNamed{Name: fmt.Sprintf("identity%d", i), Policy: p})
	}
	if len(in.PermissionBoundary) > 0 {
		s.PermissionBoundaryPolicies = []oracleNamed{{Name: "boundary", Policy: in.PermissionBoundary}}
	}
	levels := func(kind string, ls [][]json.RawMessage) []oracleOrgLevel {
		out := []oracleOrgLevel{}
		for i, l := range ls {
			lvl := oracleOrgLevel{OrgIdentifier: fmt.Sprintf("%s-level%d", kind, i), Policies: []oracleNamed{}}
			for j, p := range l {
				lvl.Policies = append(lvl.Policies, oracleNamed{Name: fmt.Sprintf("%s%d-%d", kind, i, j), Policy: p})
			}
			out = append(out, lvl)
		}
		return out
	}
	// The oracle's Simulation (simulation_engine/simulation.d.ts of
	// @cloud-copilot/iam-simulate) has no management account: it applies
	// every SCP and RCP it is given. AWS exempts the management account's
	// principals from SCPs and its resources from RCPs ("SCPs don't affect
	// users or roles in the management account"; "RCPs don't affect
	// resources in the management account"), so the harness states the
	// exemption the one way the oracle understands: by not giving it the
	// policies that do not apply.
	mgmt := in.ManagementAccount
	if p, err := ParsePrincipal(in.Principal); mgmt == "" || err != nil || p.Account != mgmt {
		s.ServiceControlPolicies = levels("scp", in.SCPs)
	}
	resAcct := in.ResourceAccount
	if resAcct == "" {
		if p, err := ParsePrincipal(in.Principal); err == nil {
			resAcct = p.Account
		}
	}
	if mgmt == "" || resAcct != mgmt {
		s.ResourceControlPolicies = levels("rcp", in.RCPs)
	}
	return s
}

// oracleDir is where `make deps` installs the oracle.
const oracleDir = "testdata/oracle"

// requireOracle returns the node binary, skipping the test when node is not
// installed and failing it when the oracle is not.
func requireOracle(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the oracle comparison needs Node.js (installed by .ci/run)")
	}
	if _, err := os.Stat(filepath.Join(oracleDir, "node_modules", "@cloud-copilot", "iam-simulate")); err != nil {
		t.Fatalf("the oracle is not installed: run `make deps` (npm ci --prefix internal/evaluate/testdata/oracle)")
	}
	return node
}

// runOracle sends every simulation through one node process and returns
// the answers in order. It skips the test when node is not installed.
func runOracle(t *testing.T, sims []oracleSim) []oracleAnswer {
	t.Helper()
	cmd := exec.Command(requireOracle(t), "oracle.js")
	cmd.Dir = oracleDir
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	werr := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(stdin, 1<<20)
		enc := json.NewEncoder(w)
		for i := range sims {
			if err := enc.Encode(&sims[i]); err != nil {
				werr <- err
				return
			}
		}
		if err := w.Flush(); err != nil {
			werr <- err
			return
		}
		werr <- stdin.Close()
	}()
	out := make([]oracleAnswer, 0, len(sims))
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var a oracleAnswer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("oracle answer %d: %v: %s", len(out), err, sc.Text())
		}
		out = append(out, a)
	}
	if err := <-werr; err != nil {
		t.Fatalf("writing to the oracle: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("oracle: %v", err)
	}
	if len(out) != len(sims) {
		t.Fatalf("oracle answered %d of %d simulations", len(out), len(sims))
	}
	return out
}
