package deploy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/orgiam/orgiam/internal/testutil/moto"
)

// The tests below drive the terraform binary: init from the filesystem
// mirror of the hashicorp/aws provider (the public registry is not
// reachable), validate, `terraform test` with a mocked provider, and an
// apply of the example against moto_server. Each works on a copy of the
// module outside the repository, which is also the proof that the module is
// self-contained.

// terraformTools returns the terraform binary and the provider mirror (the
// folder above registry.terraform.io), or skips the test saying which is
// missing. TERRAFORM_PROVIDER_MIRROR names the mirror explicitly.
func terraformTools(t *testing.T) (bin, pluginDir string) {
	t.Helper()
	bin, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform is not on PATH: the Terraform CLI tests need Terraform >= 1.9 (.ci/run says so)")
	}
	if dir := findProviderMirror(); dir != "" {
		return bin, dir
	}
	t.Skip("no filesystem mirror of hashicorp/aws found (set TERRAFORM_PROVIDER_MIRROR to the folder above registry.terraform.io)")
	return "", ""
}

// findProviderMirror looks for <dir>/registry.terraform.io/hashicorp/aws/<v>/<os_arch>/terraform-provider-aws_*
// in TERRAFORM_PROVIDER_MIRROR and the usual places, then a shallow walk of /opt.
func findProviderMirror() string {
	home, _ := os.UserHomeDir()
	candidates := []string{os.Getenv("TERRAFORM_PROVIDER_MIRROR"), "/opt/tf-plugins", "/opt/terraform/plugins",
		"/usr/share/terraform/plugins", "/usr/local/share/terraform/plugins",
		filepath.Join(home, ".terraform.d", "plugins"), filepath.Join(home, ".local", "share", "terraform", "plugins")}
	has := func(dir string) bool {
		if dir == "" {
			return false
		}
		m, _ := filepath.Glob(filepath.Join(dir, "registry.terraform.io", "hashicorp", "aws", "*", "*", "terraform-provider-aws_*"))
		return len(m) > 0
	}
	for _, c := range candidates {
		if has(c) {
			return c
		}
	}
	var found string
	_ = filepath.WalkDir("/opt", func(path string, d fs.DirEntry, err error) error {
		if err != nil || found != "" {
			return filepath.SkipDir
		}
		if d.IsDir() && strings.Count(path, "/") > 4 {
			return filepath.SkipDir
		}
		if d.IsDir() && d.Name() == "registry.terraform.io" && has(filepath.Dir(path)) {
			found = filepath.Dir(path)
			return filepath.SkipDir
		}
		return nil
	})
	return found
}

type tf struct {
	t         *testing.T
	bin, dir  string
	pluginDir string
}

func (x tf) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, x.bin, args...)
	cmd.Dir = x.dir
	// No CLI configuration, no checkpoint calls, no colours: the run depends
	// on nothing but the mirror.
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE=/dev/null", "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (x tf) must(ctx context.Context, args ...string) string {
	x.t.Helper()
	out, err := x.run(ctx, args...)
	if err != nil {
		x.t.Fatalf("terraform %s in %s: %v\n%s", strings.Join(args, " "), x.dir, err, out)
	}
	return out
}

func (x tf) init(ctx context.Context) {
	x.t.Helper()
	x.must(ctx, "init", "-backend=false", "-no-color", "-input=false", "-plugin-dir="+x.pluginDir)
}

// copyTree copies src into dst (created), skipping .terraform folders and state.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() && d.Name() == ".terraform" {
			return filepath.SkipDir
		}
		if strings.HasPrefix(d.Name(), "terraform.tfstate") || d.Name() == ".terraform.lock.hcl" {
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// moduleOutside copies the module and the example out of the repository,
// keeping their relative layout (the example's source is ../../orgiam).
func moduleOutside(t *testing.T) (module, example string) {
	t.Helper()
	root := t.TempDir()
	module = filepath.Join(root, "terraform", "orgiam")
	example = filepath.Join(root, "terraform", "examples", "basic")
	copyTree(t, "terraform/orgiam", module)
	copyTree(t, "terraform/examples/basic", example)
	return module, example
}

func TestTerraformInitValidate(t *testing.T) {
	bin, plugins := terraformTools(t)
	module, example := moduleOutside(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, dir := range []string{module, example} {
		x := tf{t: t, bin: bin, dir: dir, pluginDir: plugins}
		x.init(ctx)
		if out := x.must(ctx, "validate", "-no-color"); !strings.Contains(out, "The configuration is valid") {
			t.Errorf("terraform validate %s:\n%s", dir, out)
		}
	}
}

// TestTerraformModuleTests runs the module's own tests (tests/*.tftest.hcl:
// plans of the defaults, an empty schedule, an existing bucket and topic,
// KMS, the StackSet on and off, config-report, and the refused inputs) with
// the mocked provider.
func TestTerraformModuleTests(t *testing.T) {
	bin, plugins := terraformTools(t)
	module, _ := moduleOutside(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	x := tf{t: t, bin: bin, dir: module, pluginDir: plugins}
	x.init(ctx)
	out := x.must(ctx, "test", "-no-color")
	if !strings.Contains(out, "Success!") || strings.Contains(out, "... fail") {
		t.Fatalf("terraform test:\n%s", out)
	}
	// Every run block ran.
	files, _ := filepath.Glob(filepath.Join(module, "tests", "*.tftest.hcl"))
	runs := 0
	for _, f := range files {
		runs += strings.Count(string(mustRead(t, f)), "\nrun \"")
	}
	if want := fmt.Sprintf("%d passed, 0 failed", runs); runs == 0 || !strings.Contains(out, want) {
		t.Errorf("terraform test: want %q in\n%s", want, out)
	}
}

// TestTerraformValidationMessages plans bad inputs without expecting the
// failure, and checks that each message names the variable and the reason.
func TestTerraformValidationMessages(t *testing.T) {
	bin, plugins := terraformTools(t)
	module, _ := moduleOutside(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	plan := string(mustRead(t, filepath.Join(module, "tests", "plan.tftest.hcl")))
	header := plan[:strings.Index(plan, "\nrun \"")]
	cases := []struct {
		name, vars string
		want       []string
	}{
		{"both_days", `schedule_expression = "cron(0 4 * * MON *)"`, []string{"schedule_expression", "exactly one of day-of-month and day-of-week must be ?"}},
		{"five_fields", `schedule_expression = "cron(0 4 * * ?)"`, []string{"schedule_expression", "6 fields", "found 5"}},
		{"bad_minute", `schedule_expression = "cron(61 4 * * ? *)"`, []string{"schedule_expression", `cron field minutes "61" is not valid`}},
		{"plural_rate", `schedule_expression = "rate(1 hours)"`, []string{"schedule_expression", "singular for 1"}},
		{"unix_cron", `schedule_expression = "0 4 * * *"`, []string{"schedule_expression", "cron(minutes hours day-of-month month day-of-week year) or rate(value unit)"}},
		{"config_schedule", `config_report_schedule_expression = "cron(0 9 * * 2#1 *)"`, []string{"config_report_schedule_expression", "exactly one of day-of-month and day-of-week"}},
		{"role_arn", `list_accounts_role_arns = ["arn:aws:iam::111111111111:role/ok", "arn:aws:iam::1111:role/short"]`, []string{"list_accounts_role_arns: not IAM role ARNs", "arn:aws:iam::1111:role/short"}},
		{"prefix", `base_s3_prefix = "/iam-data"`, []string{"base_s3_prefix must not start or end with a slash"}},
		{"concurrency", `max_parallel_executions = 20000`, []string{"max_parallel_executions must be a whole number between 1 and 10000"}},
		{"kms_alias", `kms_key_arn = "alias/orgiam"`, []string{"kms_key_arn must be a KMS key ARN"}},
	}
	// One file per case: terraform test skips the rest of a file after a
	// failed run, but not the other files.
	for _, c := range cases {
		text := fmt.Sprintf("%s\nrun %q {\n  command = plan\n  variables {\n    %s\n  }\n}\n", header, c.name, c.vars)
		if err := os.WriteFile(filepath.Join(module, "tests", "message_"+c.name+".tftest.hcl"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	x := tf{t: t, bin: bin, dir: module, pluginDir: plugins}
	x.init(ctx)
	args := []string{"test", "-no-color"}
	for _, c := range cases {
		args = append(args, "-filter=tests/message_"+c.name+".tftest.hcl")
	}
	out, err := x.run(ctx, args...)
	if err == nil {
		t.Fatalf("bad inputs were accepted:\n%s", out)
	}
	sections := map[string]string{}
	for _, part := range strings.Split(out, "tests/message_")[1:] {
		name := part[:strings.Index(part, ".tftest.hcl")]
		sections[name] += strings.Join(strings.Fields(strings.ReplaceAll(part, "│", " ")), " ") + " "
	}
	for _, c := range cases {
		section, ok := sections[c.name]
		if !ok {
			t.Errorf("%s: not run:\n%s", c.name, out)
			continue
		}
		if !strings.Contains(section, "run \""+c.name+"\"... fail") {
			t.Errorf("%s: not refused:\n%s", c.name, section)
		}
		for _, w := range c.want {
			if !strings.Contains(section, w) {
				t.Errorf("%s: message lacks %q:\n%s", c.name, w, section)
			}
		}
	}
}

// stepFunctionsValidator stands in front of moto_server for Step Functions.
// moto 5.2.1 implements neither states:ValidateStateMachineDefinition (the
// provider calls it before creating a state machine) nor
// states:ListStateMachineVersions (it reads the versions back): the first is
// answered by running the third-party asl-validator on the definition, the
// second with no versions (the module publishes none); everything else goes
// to moto.
func stepFunctionsValidator(t *testing.T, moto string) string {
	t.Helper()
	target, _ := url.Parse(moto)
	proxy := httputil.NewSingleHostReverseProxy(target)
	validator := aslValidator(t)
	dir := t.TempDir()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("X-Amz-Target") {
		case "AWSStepFunctions.ValidateStateMachineDefinition":
		case "AWSStepFunctions.ListStateMachineVersions":
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			_, _ = w.Write([]byte(`{"stateMachineVersions":[]}`))
			return
		default:
			proxy.ServeHTTP(w, r)
			return
		}
		var in struct{ Definition string }
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &in)
		file := filepath.Join(dir, fmt.Sprintf("definition-%d.json", time.Now().UnixNano()))
		_ = os.WriteFile(file, []byte(in.Definition), 0o644)
		res := map[string]any{"result": "OK", "diagnostics": []any{}}
		if out, err := exec.Command(validator, "--json-path", file).CombinedOutput(); err != nil {
			res = map[string]any{"result": "FAIL", "diagnostics": []any{map[string]string{"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": string(out)}}}
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_ = json.NewEncoder(w).Encode(res)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestTerraformApplyMoto applies the example against moto_server, reads the
// stack back through the AWS APIs, and destroys it.
func TestTerraformApplyMoto(t *testing.T) {
	bin, plugins := terraformTools(t)
	srv := moto.Start(t)
	sfnEndpoint := stepFunctionsValidator(t, srv.Endpoint)
	_, example := moduleOutside(t)
	zip, err := filepath.Abs("terraform/orgiam/tests/bootstrap.zip")
	if err != nil {
		t.Fatal(err)
	}
	var endpoints strings.Builder
	for _, svc := range []string{"cloudformation", "cloudwatchlogs", "events", "iam", "kms", "lambda", "s3", "sns", "sts"} {
		fmt.Fprintf(&endpoints, "    %s = %q\n", svc, srv.Endpoint)
	}
	fmt.Fprintf(&endpoints, "    sfn = %q\n", sfnEndpoint)
	override := `provider "aws" {
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  s3_use_path_style           = true
  endpoints {
` + endpoints.String() + `  }
}
`
	if err := os.WriteFile(filepath.Join(example, "moto_override.tf"), []byte(override), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	x := tf{t: t, bin: bin, dir: example, pluginDir: plugins}
	x.init(ctx)
	vars := []string{
		"-var", "storage_bucket_name=orgiam-apply-test",
		"-var", `list_accounts_role_arns=["arn:aws:iam::123456789012:role/orgiam-list-accounts"]`,
		"-var", "lambda_zip_path=" + zip,
		"-var", "create_kms_key=true",
		"-var", "config_aggregator_name=org-aggregator",
	}
	destroyed := false
	t.Cleanup(func() {
		if !destroyed {
			_, _ = x.run(context.Background(), append([]string{"destroy", "-auto-approve", "-no-color"}, vars...)...)
		}
	})
	x.must(ctx, append([]string{"apply", "-auto-approve", "-no-color"}, vars...)...)

	var outputs map[string]struct{ Value json.RawMessage }
	if err := json.Unmarshal([]byte(x.must(ctx, "output", "-json")), &outputs); err != nil {
		t.Fatal(err)
	}
	out := func(name string, v any) {
		t.Helper()
		o, ok := outputs[name]
		if !ok {
			t.Fatalf("no output %s", name)
		}
		if err := json.Unmarshal(o.Value, v); err != nil {
			t.Fatalf("output %s: %v", name, err)
		}
	}
	var stateMachineARN, stateMachineRole, ruleName, eventsRole, topic string
	var functionARNs, roleARNs map[string]string
	out("state_machine_arn", &stateMachineARN)
	out("step_function_execution_role_arn", &stateMachineRole)
	out("schedule_rule_name", &ruleName)
	out("eventbridge_role_arn", &eventsRole)
	out("sns_topic_arn", &topic)
	out("function_arns", &functionARNs)
	out("function_role_arns", &roleARNs)

	call := awsJSONClient(t, srv.Endpoint)
	var sm struct {
		Definition, RoleArn  string
		LoggingConfiguration struct{ Level string }
	}
	call(ctx, "states", "AWSStepFunctions.DescribeStateMachine", map[string]any{"stateMachineArn": stateMachineARN}, &sm)
	// The deployed definition is the template rendered with the ARNs of the
	// stack (and the module's defaults), as Render renders it.
	tmpl := mustRead(t, DistributedDefinitionPath)
	want := map[string]string{
		"sns_topic_arn": topic, "max_concurrency": "50", "tolerated_failure_percentage": "5", "credential_report_max_attempts": "50",
	}
	for h, a := range functionARNs {
		want[strings.ReplaceAll(h, "-", "_")+"_function_arn"] = a
	}
	rendered, err := Render(tmpl, want)
	if err != nil {
		t.Fatal(err)
	}
	var got, exp any
	if err := json.Unmarshal([]byte(sm.Definition), &got); err != nil {
		t.Fatalf("deployed definition: %v", err)
	}
	_ = json.Unmarshal(rendered, &exp)
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("deployed definition differs from the rendered template:\n%s", sm.Definition)
	}
	if sm.RoleArn != stateMachineRole || sm.LoggingConfiguration.Level != "ERROR" {
		t.Errorf("state machine role %s (want %s), logging %q", sm.RoleArn, stateMachineRole, sm.LoggingConfiguration.Level)
	}

	var rule struct{ ScheduleExpression, State string }
	call(ctx, "events", "AWSEvents.DescribeRule", map[string]any{"Name": ruleName}, &rule)
	if rule.ScheduleExpression != "cron(0 4 * * ? *)" {
		t.Errorf("rule %s: schedule %q", ruleName, rule.ScheduleExpression)
	}
	var targets struct {
		Targets []struct{ Arn, RoleArn, Input string }
	}
	call(ctx, "events", "AWSEvents.ListTargetsByRule", map[string]any{"Rule": ruleName}, &targets)
	if len(targets.Targets) != 1 || targets.Targets[0].Arn != stateMachineARN || targets.Targets[0].RoleArn != eventsRole {
		t.Errorf("targets of %s: %+v, want the state machine with role %s", ruleName, targets.Targets, eventsRole)
	}

	// Every role holds exactly one inline policy with exactly these
	// statements, and no managed policy.
	kms := []string{"StoreKey"}
	base := []string{"OwnLogs", "ListRunKeys", "ReadRuns"}
	wantSids := map[string][]string{
		"plan":              {"WriteRunInfo", "ReopenRun"},
		"discover":          {"AssumeListAccountsRoles", "WriteAccountList"},
		"scan-account":      {"AssumeCollectRole", "WriteAccountData", "ClearAccountError"},
		"credential-report": {"AssumeCollectRole", "WriteCredentialReport"},
		"region-items":      {"WriteRegionItems"},
		"index":             {"WriteIndex"},
		"report":            {"WriteReports"},
		"diff":              {"WriteDiff"},
		"finalize":          {"WriteManifest"},
		"notify-summary":    {"PublishSummary"},
	}
	iamc := iamClient(t, srv.Endpoint)
	for h, sids := range wantSids {
		roleName := roleARNs[h][strings.LastIndex(roleARNs[h], "/")+1:]
		checkRolePolicy(ctx, t, iamc, roleName, "orgiam-"+h, append(append(append([]string{}, base...), sids...), kms...))
	}
	// scan-region lists nothing: it writes its one region file.
	if arn := roleARNs["scan-region"]; arn != "" {
		checkRolePolicy(ctx, t, iamc, arn[strings.LastIndex(arn, "/")+1:], "orgiam-scan-region", []string{"OwnLogs", "ReadRuns", "AssumeCollectRole", "WriteRegionData", "StoreKey"})
	}
	if len(roleARNs) != len(wantSids)+1 {
		t.Errorf("function roles %v, want one per handler of %v", sortedKeys(roleARNs), sortedKeys(wantSids))
	}
	smRole := stateMachineRole[strings.LastIndex(stateMachineRole, "/")+1:]
	checkRolePolicy(ctx, t, iamc, smRole, "orgiam-state-machine", []string{"InvokeSteps", "RunMapChildExecutions", "ManageMapChildExecutions", "PublishFailures", "ReadAccountList", "WriteMapResults", "StoreKey", "DeliverLogs"})
	evRole := eventsRole[strings.LastIndex(eventsRole, "/")+1:]
	doc := checkRolePolicy(ctx, t, iamc, evRole, "orgiam-start-execution", []string{"StartRun"})
	if s := doc.Statement[0]; fmt.Sprint(s["Action"]) != "[states:StartExecution]" || s["Resource"] != stateMachineARN {
		t.Errorf("schedule role may %v on %v, want states:StartExecution on %s", s["Action"], s["Resource"], stateMachineARN)
	}
	// config-report: its own rule invoking it, and its five grants (plus the key).
	var configARN, configRole string
	out("config_report_lambda_arn", &configARN)
	out("config_report_lambda_execution_role_arn", &configRole)
	call(ctx, "events", "AWSEvents.DescribeRule", map[string]any{"Name": "orgiam-config-report-schedule"}, &rule)
	if rule.ScheduleExpression != "cron(0 9 ? * 2#1 *)" {
		t.Errorf("config-report rule: schedule %q", rule.ScheduleExpression)
	}
	call(ctx, "events", "AWSEvents.ListTargetsByRule", map[string]any{"Rule": "orgiam-config-report-schedule"}, &targets)
	if len(targets.Targets) != 1 || targets.Targets[0].Arn != configARN {
		t.Errorf("targets of the config-report rule: %+v, want %s", targets.Targets, configARN)
	}
	cr := checkRolePolicy(ctx, t, iamc, configRole[strings.LastIndex(configRole, "/")+1:], "orgiam-config-report",
		[]string{"OwnLogs", "QueryAggregator", "DescribeAggregators", "NotifyFailure", "WriteConfigReports", "StoreKey"})
	for _, s := range cr.Statement {
		switch s["Sid"] {
		case "QueryAggregator":
			if fmt.Sprintf("%v %v", s["Action"], s["Resource"]) != "[config:SelectAggregateResourceConfig] arn:aws:config:us-east-1:123456789012:config-aggregator/*" {
				t.Errorf("config-report may %v on %v", s["Action"], s["Resource"])
			}
		case "WriteConfigReports":
			if fmt.Sprintf("%v %v", s["Action"], s["Resource"]) != "[s3:PutObject] arn:aws:s3:::orgiam-apply-test/iam-data/config-reports/*" {
				t.Errorf("config-report may %v on %v", s["Action"], s["Resource"])
			}
		}
	}

	// The scanning functions assume this account's collect role first (the
	// reference's default).
	scan := checkRolePolicy(ctx, t, iamc, roleARNs["scan-account"][strings.LastIndex(roleARNs["scan-account"], "/")+1:], "orgiam-scan-account", nil)
	for _, s := range scan.Statement {
		if s["Sid"] == "AssumeCollectRole" && fmt.Sprint(s["Resource"]) != "[arn:aws:iam::123456789012:role/orgiam-collect]" {
			t.Errorf("scan-account assumes %v", s["Resource"])
		}
	}

	x.must(ctx, append([]string{"destroy", "-auto-approve", "-no-color"}, vars...)...)
	destroyed = true
	var list struct {
		StateMachines []struct{ StateMachineArn string }
	}
	call(ctx, "states", "AWSStepFunctions.ListStateMachines", map[string]any{}, &list)
	if len(list.StateMachines) != 0 {
		t.Errorf("state machines left after destroy: %+v", list.StateMachines)
	}
	roles, err := iamc.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles.Roles {
		if strings.HasPrefix(aws.ToString(r.RoleName), "orgiam") {
			t.Errorf("role %s left after destroy", aws.ToString(r.RoleName))
		}
	}
}

type policyDocument struct {
	Version   string
	Statement []map[string]any
}

// checkRolePolicy checks that the role has exactly the one inline policy
// named policy, no managed policy, and (unless sids is nil) statements with
// exactly these Sids; it returns the document.
func checkRolePolicy(ctx context.Context, t *testing.T, c *iam.Client, role, policy string, sids []string) policyDocument {
	t.Helper()
	names, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		t.Fatalf("role %s: %v", role, err)
	}
	if !reflect.DeepEqual(names.PolicyNames, []string{policy}) {
		t.Errorf("role %s: inline policies %v, want [%s]", role, names.PolicyNames, policy)
	}
	attached, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	if len(attached.AttachedPolicies) != 0 {
		t.Errorf("role %s: managed policies %v", role, attached.AttachedPolicies)
	}
	p, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(policy)})
	if err != nil {
		t.Fatalf("role %s policy %s: %v", role, policy, err)
	}
	text, err := url.QueryUnescape(aws.ToString(p.PolicyDocument))
	if err != nil {
		t.Fatal(err)
	}
	var doc policyDocument
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("role %s policy %s: %v\n%s", role, policy, err, text)
	}
	if sids != nil {
		got := map[string]bool{}
		for _, s := range doc.Statement {
			sid, _ := s["Sid"].(string)
			got[sid] = true
		}
		want := map[string]bool{}
		for _, s := range sids {
			want[s] = true
		}
		if !reflect.DeepEqual(sortedSet(got), sortedSet(want)) || len(doc.Statement) != len(sids) {
			t.Errorf("role %s policy %s: statements %v, want %v", role, policy, sortedSet(got), sids)
		}
	}
	return doc
}

func iamClient(t *testing.T, endpoint string) *iam.Client {
	t.Helper()
	return iam.New(iam.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
}

// awsJSONClient calls AWS JSON-protocol APIs (Step Functions, EventBridge)
// with SigV4-signed requests. The SDK's own sfn and eventbridge clients would
// need newer aws-sdk-go-v2 core releases than go.mod pins; the signer and
// the wire format are the same.
func awsJSONClient(t *testing.T, endpoint string) func(ctx context.Context, service, target string, in, out any) {
	signer := v4.NewSigner()
	creds := aws.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing"}
	return func(ctx context.Context, service, target string, in, out any) {
		t.Helper()
		body, _ := json.Marshal(in)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		if service == "states" {
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		}
		req.Header.Set("X-Amz-Target", target)
		sum := sha256.Sum256(body)
		if err := signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: HTTP %d: %s", target, resp.StatusCode, b)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v\n%s", target, err, b)
		}
	}
}
