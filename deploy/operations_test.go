package deploy

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/lambdarunner"
	"github.com/orgiam/orgiam/internal/pipeline"
)

// operationsVars gives every template variable of the operations machine a
// value of the right shape.
func operationsVars() map[string]string {
	return map[string]string{
		"operations_items_function_arn":   "arn:aws:lambda:us-east-1:123456789012:function:orgiam-operations-items",
		"operations_results_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:orgiam-operations-results",
		"target_function_arn":             "arn:aws:lambda:us-east-1:123456789012:function:rotate-keys",
		"max_concurrency":                 "40",
		"tolerated_failure_percentage":    "100",
	}
}

func renderOperations(t *testing.T) []byte {
	t.Helper()
	tmpl, err := os.ReadFile(OperationsDefinitionPath)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(tmpl, operationsVars())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOperationsDefinition: the template's variables are exactly those the
// module's templatefile call passes; asl-validator accepts it; the Map reads
// its items from S3 and writes its results there.
func TestOperationsDefinition(t *testing.T) {
	tmpl, err := os.ReadFile(OperationsDefinitionPath)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := os.ReadFile("terraform/orgiam/operations_fanout.tf")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`(?s)templatefile\("\$\{path\.module\}/templates/operations\.asl\.json", \{(.*?)\n  \}\)`).FindSubmatch(tf)
	if call == nil {
		t.Fatal("operations_fanout.tf has no templatefile call of templates/operations.asl.json")
	}
	var passed []string
	for _, m := range regexp.MustCompile(`(?m)^\s+([a-z_]+)\s+=`).FindAllSubmatch(call[1], -1) {
		passed = append(passed, string(m[1]))
	}
	sort.Strings(passed)
	if got := TemplateVars(tmpl); !reflect.DeepEqual(got, passed) || !reflect.DeepEqual(got, sortedKeys(operationsVars())) {
		t.Errorf("template variables %v, templatefile passes %v", got, passed)
	}

	out := renderOperations(t)
	file := filepath.Join(t.TempDir(), "operations.json")
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if res, err := exec.Command(aslValidator(t), "--json-path", file).CombinedOutput(); err != nil {
		t.Fatalf("asl-validator: %v\n%s", err, res)
	}
	var def state
	if err := json.Unmarshal(out, &def); err != nil {
		t.Fatal(err)
	}
	m := def["States"].(state)["FanOut"].(state)
	if m["ItemReader"] == nil || m["ResultWriter"] == nil || m["MaxConcurrency"] != 40.0 || m["ToleratedFailurePercentage"] != 100.0 {
		t.Errorf("FanOut: %v", m)
	}
	invoke := m["ItemProcessor"].(state)["States"].(state)["Invoke"].(state)
	payload := invoke["Parameters"].(state)["Payload"].(state)
	var fields []string
	for k := range payload {
		fields = append(fields, strings.TrimSuffix(k, ".$"))
	}
	sort.Strings(fields)
	if !reflect.DeepEqual(fields, []string{"AccountId", "AccountName", "Params", "Region", "RoleArn", "Run"}) {
		t.Errorf("the user's function gets %v", fields)
	}
	if c := invoke["Catch"].([]any)[0].(state); c["Next"] != "ItemFailed" {
		t.Errorf("a failing item is not caught: %v", c)
	}
}

// localOperations is the operations machine as the local interpreter runs
// it: the FanOut Map inline over the items read by a Load task, and its
// ResultWriter a Task that run-local.mjs answers with the same manifest and
// result file (writeMapResults).
func localOperations(t *testing.T) []byte {
	t.Helper()
	var def map[string]any
	if err := json.Unmarshal(renderOperations(t), &def); err != nil {
		t.Fatal(err)
	}
	states := def["States"].(map[string]any)
	m := states["FanOut"].(map[string]any)
	writer := m["ResultWriter"].(map[string]any)
	if err := inlineMap(def, states, "FanOut", "LoadFanOutItems"); err != nil {
		t.Fatal(err)
	}
	delete(m, "ResultSelector")
	m["ResultPath"] = "$.mapResults"
	m["Next"] = "WriteFanOutResults"
	wp := writer["Parameters"].(map[string]any)
	states["WriteFanOutResults"] = map[string]any{
		"Type": "Task", "Resource": writer["Resource"],
		"Parameters": map[string]any{"Bucket.$": wp["Bucket.$"], "Prefix.$": wp["Prefix.$"], "Results.$": "$.mapResults"},
		"ResultPath": "$.map", "Catch": m["Catch"], "Next": "Results",
	}
	out, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOperationsExecutesLocally runs the operations machine with
// aws-local-stepfunctions: operations-items and operations-results are the
// real handlers (fakeaws for Organizations and S3), the user's function a
// stub that fails for one account. Every item is invoked once with the
// shared parameters, the failing ones do not stop the others, and
// results.csv in S3 says which is which.
func TestOperationsExecutesLocally(t *testing.T) {
	node, err := filepath.Abs(filepath.Join("node_modules", ".bin", "node"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(node); err != nil {
		t.Fatalf("%s is missing: run `npm ci --prefix deploy` (or make deps) first", node)
	}
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	world := fakeaws.NewWorld(fakeaws.Options{Seed: 6, Orgs: 1, AccountsPerOrg: 5, Size: fakeaws.Size{Users: 1, Roles: 1, Groups: 1, Policies: 1}, Now: now})
	srv := fakeaws.New(world, fakeaws.Knobs{})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.CreateBucket("orgiam-data")
	var active []string
	for _, a := range world.Accounts() {
		if a.Status == "ACTIVE" {
			active = append(active, a.ID)
		}
	}
	failing := active[len(active)-1]
	vars := map[string]string{
		"ORGIAM_STORE":             "s3://orgiam-data/inventory",
		"ORGIAM_ORG_ROLES":         world.CollectRoleArn(world.Orgs()[0].ManagementAccountID),
		"ORGIAM_LIST_INITIAL_ROLE": "",
		"ORGIAM_INITIAL_ROLE":      "",
	}
	b := &lambdarunner.EnvBuilder{
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Auth: awsauth.Options{Region: "us-east-1", Endpoint: url,
			Credentials: credentials.NewStaticCredentialsProvider("AKIAOPSLOCALTEST0001", "x", "")},
		Now: func() time.Time { return now },
	}
	all := lambdarunner.Handlers(b)
	var mu sync.Mutex
	var got []map[string]any
	inv := &lambdarunner.InvokeServer{Handlers: map[string]lambdarunner.Func{
		"operations-items":   all["operations-items"],
		"operations-results": all["operations-results"],
		"rotate-keys": func(_ context.Context, in json.RawMessage) (any, error) {
			var p map[string]any
			if err := json.Unmarshal(in, &p); err != nil {
				return nil, err
			}
			mu.Lock()
			got = append(got, p)
			mu.Unlock()
			if p["AccountId"] == failing {
				return nil, errors.New("AccessDenied: ec2:DeleteVolume")
			}
			return map[string]any{"rotated": p["AccountId"].(string) + "/" + p["Region"].(string)}, nil
		},
	}}
	lambdaURL, err := inv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer inv.Close()

	defFile := filepath.Join(t.TempDir(), "operations-local.json")
	if err := os.WriteFile(defFile, localOperations(t), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	input := `{"regions":["eu-west-1","us-east-1"],"params":{"maxAgeDays":90}}`
	cmd := exec.CommandContext(ctx, node, filepath.Join("stepfunctions", "run-local.mjs"), defFile, input)
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL_LAMBDA="+lambdaURL, "AWS_ENDPOINT_URL_S3="+url, "ORGIAM_RETRY_MS=10")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("execution failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	var out struct {
		Items   pipeline.OperationsItemsOutput `json:"items"`
		Results struct {
			Items, OK, Failed int
			Key               string
		} `json:"results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("output: %v\n%s", err, stdout.String())
	}
	n := 2 * len(active)
	if out.Items.Count != n || out.Results.Items != n || out.Results.OK != n-2 || out.Results.Failed != 2 {
		t.Fatalf("output %s (active accounts %d)", stdout.String(), len(active))
	}
	// Each item was invoked once, with the shared parameters given once.
	seen := map[string]bool{}
	for _, p := range got {
		key := p["AccountId"].(string) + " " + p["Region"].(string)
		if seen[key] {
			t.Errorf("item %s invoked twice", key)
		}
		seen[key] = true
		if !reflect.DeepEqual(p["Params"], map[string]any{"maxAgeDays": 90.0}) || p["Run"] != out.Items.Run ||
			p["RoleArn"] != world.CollectRoleArn(p["AccountId"].(string)) || p["AccountName"] == "" {
			t.Errorf("payload %v", p)
		}
	}
	if len(seen) != n {
		t.Errorf("%d items invoked, want %d", len(seen), n)
	}

	env, err := b.Env(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := env.Store.Get(ctx, out.Results.Key)
	if err != nil {
		t.Fatalf("results.csv: %v", err)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil || len(rows) != n+1 {
		t.Fatalf("results.csv: %d rows, %v\n%s", len(rows), err, raw)
	}
	for _, r := range rows[1:] {
		id, region, status, msg, output := r[0], r[2], r[3], r[4], r[6]
		switch {
		case id == failing:
			if status != "failed" || !strings.Contains(msg, "AccessDenied: ec2:DeleteVolume") || output != "" {
				t.Errorf("failing item row %q", r)
			}
		default:
			if status != "ok" || msg != "" || output != `{"rotated":"`+id+"/"+region+`"}` {
				t.Errorf("row %q", r)
			}
		}
	}
}
