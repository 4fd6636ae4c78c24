package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/orgiam/orgiam/internal/collect"
	"github.com/orgiam/orgiam/internal/discover"
	"github.com/orgiam/orgiam/internal/lambdarunner"
)

// lambdaHandlers are the values of ORGIAM_HANDLER the state machine
// invokes: one function each. config-report runs on its own schedule, outside
// the state machine (deploy/terraform/orgiam/config_report.tf).
var lambdaHandlers = lambdarunner.StateMachineNames()

// standaloneHandlers are handlers deployed beside the state machine, each
// with the module file that deploys it.
var standaloneHandlers = map[string]string{
	"config-report":      "config_report.tf",
	"policygen":          "policygen.tf",
	"operations-items":   "operations_fanout.tf",
	"operations-results": "operations_fanout.tf",
}

// placeholderVars gives every template variable of the state machine a
// value of the right shape, as Terraform's templatefile would.
func placeholderVars() map[string]string {
	v := map[string]string{
		"sns_topic_arn":                  "arn:aws:sns:us-east-1:123456789012:orgiam-notifications",
		"max_concurrency":                "50",
		"tolerated_failure_percentage":   "5",
		"credential_report_max_attempts": "50",
	}
	for _, h := range lambdaHandlers {
		v[strings.ReplaceAll(h, "-", "_")+"_function_arn"] = "arn:aws:lambda:us-east-1:123456789012:function:orgiam-" + h
	}
	return v
}

type state = map[string]any

// renderDefinition reads a definition template, substitutes placeholders and
// parses it.
func renderDefinition(t *testing.T, path string) ([]byte, state) {
	t.Helper()
	tmpl, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(tmpl, placeholderVars())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var def state
	if err := json.Unmarshal(out, &def); err != nil {
		t.Fatalf("%s after substitution: %v", path, err)
	}
	return out, def
}

func TestDefinitionTemplateVariables(t *testing.T) {
	all := sortedKeys(placeholderVars())
	var inline []string // the inline Map has no ToleratedFailurePercentage
	for _, v := range all {
		if v != "tolerated_failure_percentage" {
			inline = append(inline, v)
		}
	}
	for path, want := range map[string][]string{DistributedDefinitionPath: all, InlineDefinitionPath: inline} {
		tmpl, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := TemplateVars(tmpl); !reflect.DeepEqual(got, want) {
			t.Errorf("%s uses template variables %v, want %v (update the README, the Terraform templatefile call and this test together)", path, got, want)
		}
	}
	if _, err := Render([]byte(`{"a":"${nope}"}`), placeholderVars()); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("Render of an unknown variable: err = %v, want one naming it", err)
	}
}

func aslValidator(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join("node_modules", ".bin", "asl-validator"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is missing: run `npm ci --prefix deploy` (or make deps) first", bin)
	}
	return bin
}

func TestDefinitionsValidate(t *testing.T) {
	bin := aslValidator(t)
	dir := t.TempDir()
	cases := []struct {
		name    string
		path    string
		wantErr bool
		mutate  func(state)
	}{
		{name: "distributed", path: DistributedDefinitionPath},
		{name: "inline", path: InlineDefinitionPath},
		{name: "broken transition is rejected", path: DistributedDefinitionPath, wantErr: true, mutate: func(d state) {
			d["States"].(state)["Index"].(state)["Next"] = "NoSuchState"
		}},
		{name: "unknown field is rejected", path: InlineDefinitionPath, wantErr: true, mutate: func(d state) {
			d["States"].(state)["Plan"].(state)["Retries"] = []any{}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, def := renderDefinition(t, tc.path)
			if tc.mutate != nil {
				tc.mutate(def)
				var err error
				if out, err = json.Marshal(def); err != nil {
					t.Fatal(err)
				}
			}
			file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".json")
			if err := os.WriteFile(file, out, 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := exec.Command(bin, "--json-path", file).CombinedOutput()
			if tc.wantErr && err == nil {
				t.Fatalf("asl-validator accepted a broken definition:\n%s", res)
			}
			if !tc.wantErr && err != nil {
				t.Fatalf("asl-validator %s: %v\n%s", tc.path, err, res)
			}
		})
	}
}

// states returns the States of a definition and of every Map iterator in
// it, with the name of the Map ("" for the top level).
func allStates(def state) map[string]state {
	out := map[string]state{}
	var walk func(prefix string, d state)
	walk = func(prefix string, d state) {
		for name, s := range d["States"].(state) {
			st := s.(state)
			out[prefix+name] = st
			if p, ok := st["ItemProcessor"].(state); ok {
				walk(prefix+name+"/", p)
			}
		}
	}
	walk("", def)
	return out
}

var lambdaRetryErrors = []any{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"}

func TestDefinitionShape(t *testing.T) {
	for _, path := range []string{DistributedDefinitionPath, InlineDefinitionPath} {
		t.Run(path, func(t *testing.T) {
			_, def := renderDefinition(t, path)
			states := allStates(def)
			invoked := map[string]bool{}
			for name, st := range states {
				if st["Type"] != "Task" {
					continue
				}
				catches, _ := st["Catch"].([]any)
				if len(catches) == 0 || !reflect.DeepEqual(catches[0].(state)["ErrorEquals"], []any{"States.ALL"}) {
					t.Errorf("%s: task without a Catch on States.ALL", name)
				}
				if st["Resource"] != "arn:aws:states:::lambda:invoke" {
					continue
				}
				params := st["Parameters"].(state)
				invoked[fmt.Sprint(params["FunctionName"])] = true
				if params["Payload"] == nil && params["Payload.$"] == nil {
					t.Errorf("%s: no Payload", name)
				}
				if st["OutputPath"] != "$.Payload" && st["ResultSelector"] == nil {
					t.Errorf("%s: neither OutputPath $.Payload nor a ResultSelector", name)
				}
				retry, _ := st["Retry"].([]any)
				if len(retry) == 0 {
					t.Errorf("%s: no Retry", name)
					continue
				}
				r := retry[0].(state)
				want := state{"ErrorEquals": lambdaRetryErrors, "IntervalSeconds": 2.0, "BackoffRate": 2.0, "MaxAttempts": 6.0, "JitterStrategy": "FULL"}
				if !reflect.DeepEqual(r, want) {
					t.Errorf("%s: Retry[0] = %v, want %v", name, r, want)
				}
			}
			for _, h := range lambdaHandlers {
				if arn := placeholderVars()[strings.ReplaceAll(h, "-", "_")+"_function_arn"]; !invoked[arn] {
					t.Errorf("no task invokes the %s function", h)
				}
			}

			// Inside the map every failure ends the account's branch
			// successfully after a publish to SNS.
			for name, st := range states {
				if !strings.HasPrefix(name, ScanMapState+"/") || st["Type"] != "Task" {
					continue
				}
				for _, c := range st["Catch"].([]any) {
					if !reachesSNSThenSucceeds(states, ScanMapState+"/", c.(state)["Next"].(string)) && st["Resource"] != "arn:aws:states:::sns:publish" {
						t.Errorf("%s: Catch does not lead to an SNS publish then Succeed", name)
					}
				}
			}
			m := states[ScanMapState]
			if m["Type"] != "Map" {
				t.Fatalf("%s is not a Map", ScanMapState)
			}
			proc := m["ItemProcessor"].(state)["ProcessorConfig"].(state)
			if path == DistributedDefinitionPath {
				if !reflect.DeepEqual(proc, state{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}) {
					t.Errorf("ProcessorConfig = %v", proc)
				}
				reader := m["ItemReader"].(state)
				if reader["Resource"] != "arn:aws:states:::s3:getObject" || reader["ReaderConfig"].(state)["InputType"] != "JSON" {
					t.Errorf("ItemReader = %v", reader)
				}
				if m["ResultWriter"] == nil || m["ToleratedFailurePercentage"] != 5.0 {
					t.Errorf("Map needs ResultWriter and the templated ToleratedFailurePercentage: %v", m)
				}
			}
			if m["MaxConcurrency"] != 50.0 {
				t.Errorf("MaxConcurrency = %v, want the templated 50", m["MaxConcurrency"])
			}
		})
	}
}

// reachesSNSThenSucceeds follows Next from a state (through Pass states) to
// an SNS publish Task whose Next is a Succeed state.
func reachesSNSThenSucceeds(states map[string]state, prefix, name string) bool {
	for range 10 {
		st, ok := states[prefix+name]
		if !ok {
			return false
		}
		switch {
		case st["Type"] == "Pass":
			name, _ = st["Next"].(string)
		case st["Type"] == "Task" && st["Resource"] == "arn:aws:states:::sns:publish":
			next := states[prefix+fmt.Sprint(st["Next"])]
			return next != nil && next["Type"] == "Succeed"
		default:
			return false
		}
	}
	return false
}

func TestInlineDefinitionInSync(t *testing.T) {
	src, err := os.ReadFile(DistributedDefinitionPath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := InlineDefinition(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(InlineDefinitionPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: run `go generate ./deploy`", InlineDefinitionPath)
	}

	_, dist := renderDefinition(t, DistributedDefinitionPath)
	_, inline := renderDefinition(t, InlineDefinitionPath)
	loads := map[string]string{} // Map → the Load state before it
	for _, m := range InlineMaps {
		loads[m.Map] = m.Load
		dm := dist["States"].(state)[m.Map].(state)
		im := inline["States"].(state)[m.Map].(state)
		dp, ip := dm["ItemProcessor"].(state), im["ItemProcessor"].(state)
		for _, k := range []string{"StartAt", "States"} {
			if !reflect.DeepEqual(dp[k], ip[k]) {
				t.Errorf("%s: iterator differs between the variants in ItemProcessor.%s", m.Map, k)
			}
		}
		if !reflect.DeepEqual(dm["ItemSelector"], im["ItemSelector"]) {
			t.Errorf("%s: ItemSelector differs: %v vs %v", m.Map, dm["ItemSelector"], im["ItemSelector"])
		}
	}
	// Outside the maps, the variants differ only by the Load states and the
	// transitions into them.
	for name, s := range dist["States"].(state) {
		if loads[name] != "" {
			continue
		}
		d, i := s.(state), inline["States"].(state)[name]
		if i == nil {
			t.Errorf("state %s missing from the inline variant", name)
			continue
		}
		if l := loads[fmt.Sprint(d["Next"])]; l != "" {
			d = cloneWith(d, "Next", l)
		}
		if !reflect.DeepEqual(d, i) {
			t.Errorf("state %s differs between the variants", name)
		}
	}
	if len(inline["States"].(state)) != len(dist["States"].(state))+len(InlineMaps) {
		t.Errorf("inline variant has %d states, want %d", len(inline["States"].(state)), len(dist["States"].(state))+len(InlineMaps))
	}
}

func cloneWith(s state, k string, v any) state {
	c := state{}
	for kk, vv := range s {
		c[kk] = vv
	}
	c[k] = v
	return c
}

// requiredCollectActions are the actions of every collector: the collect
// role grants them and nothing else (TestIAMPolicies).
var requiredCollectActions = collect.RoleActions()

// requiredListActions are the Organizations actions discover calls, one per
// method of its client interface: the list-accounts role grants them. The
// check is not exact: the role also keeps organizations:ListChildren, which
// discover no longer calls, so that roles deployed earlier stay valid.
var requiredListActions = discover.RoleActions()

type policyDoc struct {
	Version   string
	Statement []map[string]any
}

func readPolicy(t *testing.T, path string) policyDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p policyDoc
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if p.Version != "2012-10-17" || len(p.Statement) == 0 {
		t.Fatalf("%s: Version %q with %d statements", path, p.Version, len(p.Statement))
	}
	return p
}

func allowedActions(p policyDoc) map[string]bool {
	out := map[string]bool{}
	for _, s := range p.Statement {
		if s["Effect"] != "Allow" {
			continue
		}
		switch a := s["Action"].(type) {
		case string:
			out[a] = true
		case []any:
			for _, x := range a {
				out[fmt.Sprint(x)] = true
			}
		}
	}
	return out
}

func TestIAMPolicies(t *testing.T) {
	cases := []struct {
		path     string
		required []string
		prefixes []string // every allowed action starts with one of these
		exact    bool     // and none is allowed that is not required
	}{
		{"iam/collect-role-policy.json", requiredCollectActions, []string{"iam:Get", "iam:List", "iam:GenerateCredentialReport", "account:GetAlternateContact",
			"ec2:DescribeRegions", "access-analyzer:ListAnalyzers", "s3:Get", "s3:List", "kms:List", "kms:Describe", "kms:Get", "sqs:List", "sqs:Get",
			"sns:List", "sns:Get", "lambda:List", "lambda:Get", "secretsmanager:List", "secretsmanager:GetResourcePolicy",
			"ecr:Describe", "ecr:Get"}, true},
		{"iam/list-accounts-role-policy.json", requiredListActions, []string{"organizations:List", "organizations:Describe"}, false},
		{"iam/collect-role-trust.json", []string{"sts:AssumeRole"}, []string{"sts:AssumeRole"}, false},
		{"iam/list-accounts-role-trust.json", []string{"sts:AssumeRole"}, []string{"sts:AssumeRole"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			got := allowedActions(readPolicy(t, tc.path))
			for _, a := range tc.required {
				if !got[a] {
					t.Errorf("%s does not allow %s", tc.path, a)
				}
			}
			for a := range got {
				ok := false
				for _, p := range tc.prefixes {
					ok = ok || strings.HasPrefix(a, p)
				}
				if !ok || strings.Contains(a, "*") {
					t.Errorf("%s allows %s: not a read-only action of its role", tc.path, a)
				}
				if tc.exact && !slices.Contains(tc.required, a) {
					t.Errorf("%s allows %s, which no collector calls (collect.List)", tc.path, a)
				}
			}
		})
	}
}

// TestCloudFormationMatchesIAMFiles checks that the templates grant exactly
// the policies of deploy/iam.
func TestCloudFormationMatchesIAMFiles(t *testing.T) {
	cases := []struct{ template, resource, policy string }{
		{"cloudformation/collect-role.yaml", "CollectRole", "iam/collect-role-policy.json"},
		{"cloudformation/list-accounts-role.yaml", "ListAccountsRole", "iam/list-accounts-role-policy.json"},
	}
	for _, tc := range cases {
		t.Run(tc.template, func(t *testing.T) {
			b, err := os.ReadFile(tc.template)
			if err != nil {
				t.Fatal(err)
			}
			var tmpl struct {
				Resources map[string]struct {
					Type       string `yaml:"Type"`
					Properties struct {
						Policies []struct {
							PolicyName     string    `yaml:"PolicyName"`
							PolicyDocument yaml.Node `yaml:"PolicyDocument"`
						} `yaml:"Policies"`
					} `yaml:"Properties"`
				} `yaml:"Resources"`
			}
			if err := yaml.Unmarshal(b, &tmpl); err != nil {
				t.Fatalf("%s: %v", tc.template, err)
			}
			res, ok := tmpl.Resources[tc.resource]
			if !ok || res.Type != "AWS::IAM::Role" || len(res.Properties.Policies) != 1 {
				t.Fatalf("%s: resource %s is not an AWS::IAM::Role with one inline policy", tc.template, tc.resource)
			}
			var doc any
			if err := res.Properties.Policies[0].PolicyDocument.Decode(&doc); err != nil {
				t.Fatalf("%s: PolicyDocument: %v", tc.template, err)
			}
			j, _ := json.Marshal(doc)
			var inCFN, inFile any
			_ = json.Unmarshal(j, &inCFN)
			fb, _ := os.ReadFile(tc.policy)
			if err := json.Unmarshal(fb, &inFile); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(inCFN, inFile) {
				t.Errorf("%s: the policy of %s differs from %s", tc.template, tc.resource, tc.policy)
			}
		})
	}
}

func TestCloudFormationLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatal("cfn-lint is not on PATH: install it with `pip install cfn-lint` (the Python package; the npm one is outdated)")
	}
	files, _ := filepath.Glob("cloudformation/*.yaml")
	if len(files) == 0 {
		t.Fatal("no templates under deploy/cloudformation")
	}
	sort.Strings(files)
	out, err := exec.Command(bin, files...).CombinedOutput()
	if err != nil {
		t.Fatalf("cfn-lint %v: %v\n%s", files, err, out)
	}
}
