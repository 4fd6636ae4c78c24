package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orgiam/orgiam/internal/testutil/moto"
)

// TestWhoCanAgainstMoto builds IAM content, an SCP on an OU and a bucket
// policy in a moto organization, collects it, and checks who-can against
// answers derived by hand from the policies below.
func TestWhoCanAgainstMoto(t *testing.T) {
	srv := moto.Start(t)
	ctx := context.Background()
	base := baseCfg(srv.Endpoint)
	org := buildOrg(t, ctx, base, map[string]string{"prod-a": "Prod"})
	prod := org.accounts["prod-a"]
	im := iam.NewFromConfig(assumed(base, prod, "OrganizationAccountAccessRole"))
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	arnOf := func(kind, name string) string { return "arn:aws:iam::" + prod + ":" + kind + "/" + name }
	getAll := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`
	user := func(name, inline string) {
		must(im.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
		if inline != "" {
			must(im.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(inline)}))
		}
	}
	// bob: s3:Get* inline — can.
	user("bob", getAll)
	// alice: her group's managed policy allowed s3:Get* in v1, but the
	// default version is v2 with s3:List* only — cannot.
	user("alice", "")
	must(im.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("readers")}))
	must(im.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("alice")}))
	pol, err := im.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("read-s3"), PolicyDocument: aws.String(getAll)})
	must(pol, err)
	must(im.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: pol.Policy.Arn, PolicyDocument: aws.String(strings.Replace(getAll, "s3:Get*", "s3:List*", 1)), SetAsDefault: true}))
	must(im.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("readers"), PolicyArn: pol.Policy.Arn}))
	// bounded: s3:Get* inline, but a permissions boundary of EC2 only —
	// cannot. (A role: moto reports the boundaries of roles, not of users,
	// in GetAccountAuthorizationDetails.)
	bnd, err := im.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ec2-only"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`)})
	must(bnd, err)
	must(im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bounded"), PermissionsBoundary: bnd.Policy.Arn,
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))
	must(im.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("bounded"), PolicyName: aws.String("p"), PolicyDocument: aws.String(getAll)}))
	// dave: may assume reader-role, which trusts him and reads objects —
	// can, via the role.
	user("dave", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+arnOf("role", "reader-role")+`"}]}`)
	must(im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("reader-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + arnOf("user", "dave") + `"},"Action":"sts:AssumeRole"}]}`)}))
	must(im.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("reader-role"), PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}`)}))
	// denier: allows s3:* and denies s3:GetObject — cannot.
	must(im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("denier"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))
	must(im.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("denier"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}`)}))
	// erin: may read objects only over TLS — conditional.
	user("erin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`)

	// An SCP on the Prod OU (prod-a's parent) denies reading any object
	// under private/ of any bucket.
	api := organizations.NewFromConfig(base)
	if _, err := api.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(org.ous["Root"]), PolicyType: orgtypes.PolicyTypeServiceControlPolicy}); err != nil {
		t.Fatal(err)
	}
	scp, err := api.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("NoPrivate"), Description: aws.String("no private objects"), Type: orgtypes.PolicyTypeServiceControlPolicy,
		Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::*/private/*"}]}`)})
	must(scp, err)
	must(api.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: scp.Policy.PolicySummary.Id, TargetId: aws.String(org.ous["Prod"])}))
	// Bucket "shared" of prod-a: its policy allows alice (who has no S3
	// read of her own) and denies bob (who has).
	s3c := s3.NewFromConfig(assumed(base, prod, "OrganizationAccountAccessRole"), func(o *s3.Options) { o.UsePathStyle = true })
	must(s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("shared")}))
	must(s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("shared"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":{"AWS":"` + arnOf("user", "alice") + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"},` +
		`{"Effect":"Deny","Principal":{"AWS":"` + arnOf("user", "bob") + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}`)}))

	dir := t.TempDir()
	t.Setenv("AWS_ENDPOINT_URL", srv.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEBASE00000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	storeDir := filepath.Join(dir, "data")
	var out, errb bytes.Buffer
	if code := Run(ctx, []string{"collect", "--org-role", "arn:aws:iam::" + mgmt + ":role/orgiam-list", "--store", storeDir,
		"--date", "2026-11-23", "--credential-report-wait", "100ms", "--regions", "us-east-1"}, IO{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("collect: exit %d\n%s", code, errb.String())
	}
	whoCan := func(resource string) []string {
		t.Helper()
		code, stdout, stderr := runCLI(t, "", "who-can", "s3:GetObject", "--resource", resource, "--store", storeDir, "--include-conditional", "--format", "json")
		if code != 0 {
			t.Fatalf("who-can: exit %d\n%s", code, stderr)
		}
		var rows []map[string]string
		if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		var got []string
		for _, r := range rows {
			// moto's own OrganizationAccountAccessRole (and who reaches it) is
			// moto's business; the principals created above are this test's.
			if r["account"] != prod || strings.Contains(r["principal"], "OrganizationAccountAccessRole") || strings.Contains(r["via"], "OrganizationAccountAccessRole") {
				continue
			}
			got = append(got, strings.TrimPrefix(r["principal"], "arn:aws:iam::"+prod+":")+" "+r["decision"]+" "+strings.ReplaceAll(r["via"], "arn:aws:iam::"+prod+":", ""))
		}
		sort.Strings(got)
		return got
	}
	for _, c := range []struct {
		resource string
		want     []string
	}{
		// No bucket policy stored for "data": identity policies decide.
		{"arn:aws:s3:::data/report.csv", []string{
			"role/reader-role Allowed ",
			"user/bob Allowed ",
			"user/dave Allowed role/reader-role",
			"user/erin Conditional ",
		}},
		// shared's policy: alice allowed by it alone (same account), bob
		// denied by it; erin's own TLS-only grant still applies.
		{"arn:aws:s3:::shared/report.csv", []string{
			"user/alice Allowed ",
			"user/erin Conditional ",
		}},
		// The Prod OU's SCP denies private/ to every principal of prod-a,
		// whatever its own or the bucket's policies say.
		{"arn:aws:s3:::data/private/x", nil},
		{"arn:aws:s3:::shared/private/x", nil},
	} {
		if got := whoCan(c.resource); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("who-can s3:GetObject on %s in %s:\n%s\nwant:\n%s", c.resource, prod, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
	code, stdout, _ := runCLI(t, "", "simulate", "--store", storeDir, "--principal", arnOf("user", "erin"), "--action", "s3:GetObject", "--resource", "arn:aws:s3:::data/x", "--context", "aws:SecureTransport=true")
	if code != 0 || stdout != "Allowed\n" {
		t.Fatalf("simulate erin with TLS: exit %d %q", code, stdout)
	}
}
