package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/testutil/moto"
)

// TestExecRolesTemplateAgainstMoto deploys deploy/cloudformation/exec-roles.yaml
// in each member account (the admin role in one of them only), then runs
// exec through each role and checks whose credentials the command had.
func TestExecRolesTemplateAgainstMoto(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed: it creates the stacks")
	}
	w := newExecWorld(t)
	ctx := context.Background()
	template, err := filepath.Abs("../../deploy/cloudformation/exec-roles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	operator := "arn:aws:iam::" + mgmt + ":role/operator"
	prod, sandbox := w.members["prod-a"], w.members["sandbox-b"]
	for _, acct := range []string{prod, sandbox} {
		creds, err := assumed(baseCfg(w.srv.Endpoint), acct, "OrganizationAccountAccessRole").Credentials.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		params := []string{"ParameterKey=OperatorPrincipalArns,ParameterValue=" + operator, "ParameterKey=OperatorAccountId,ParameterValue=" + mgmt}
		if acct == prod {
			params = append(params, "ParameterKey=AdminPrincipalArns,ParameterValue="+operator)
		}
		args := append([]string{"cloudformation", "create-stack", "--stack-name", "orgiam-exec-roles", "--template-body", "file://" + template,
			"--capabilities", "CAPABILITY_NAMED_IAM", "--parameters"}, params...)
		cmd := exec.Command("aws", args...)
		cmd.Env = append(moto.WithoutEmptyAWS(os.Environ()), "AWS_ACCESS_KEY_ID="+creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey,
			"AWS_SESSION_TOKEN="+creds.SessionToken, "AWS_DEFAULT_REGION=us-east-1", "AWS_ENDPOINT_URL="+w.srv.Endpoint)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("create-stack in %s: %v\n%s", acct, err, out)
		}
		get := exec.Command("aws", "iam", "list-roles", "--path-prefix", "/", "--query", "Roles[?starts_with(RoleName, 'orgiam-exec')].RoleName", "--output", "text")
		get.Env = cmd.Env
		out, err := get.CombinedOutput()
		if err != nil {
			t.Fatalf("list-roles in %s: %v\n%s", acct, err, out)
		}
		want := "orgiam-exec-readonly"
		if acct == prod {
			want = "orgiam-exec-admin\torgiam-exec-readonly"
		}
		names := strings.Fields(string(out))
		sort.Strings(names)
		if got := strings.Join(names, "\t"); got != want {
			t.Errorf("roles in %s: %q, want %q", acct, got, want)
		}
	}

	for _, tc := range []struct{ role, accounts string }{
		{"orgiam-exec-readonly", prod + "," + sandbox},
		{"orgiam-exec-admin", prod},
	} {
		run := strings.TrimPrefix(tc.role, "orgiam-exec-")
		code, out, errs := w.run(ctx, t, "--run-id", run, "--role", tc.role, "--accounts", tc.accounts, "--regions", "us-east-1", "--",
			"aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", tc.role, code, out, errs)
		}
		for _, acct := range strings.Split(tc.accounts, ",") {
			got := strings.TrimSpace(itemFile(t, w.storeDir, "2026-11-23/"+run, acct, "us-east-1", "stdout"))
			if !strings.HasPrefix(got, "arn:aws:sts::"+acct+":assumed-role/"+tc.role+"/") {
				t.Errorf("%s in %s: the command ran as %q", tc.role, acct, got)
			}
		}
	}
}
