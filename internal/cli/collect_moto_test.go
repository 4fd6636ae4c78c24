package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
	"github.com/orgiam/orgiam/internal/testutil/moto"
)

const mgmt = "123456789012" // moto's default account

func baseCfg(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAEXAMPLEBASE00000", "secret", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

func assumed(cfg aws.Config, account, role string) aws.Config {
	c := cfg.Copy()
	c.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), "arn:aws:iam::"+account+":role/"+role))
	return c
}

type mOrg struct {
	id       string
	accounts map[string]string // name -> id
	ous      map[string]string // name -> id
}

// buildOrg creates an organization with OUs Workloads/Prod and Sandbox and
// the given accounts (name -> OU name), in the organizations backend of cfg's account.
func buildOrg(t *testing.T, ctx context.Context, cfg aws.Config, accounts map[string]string) mOrg {
	t.Helper()
	org := organizations.NewFromConfig(cfg)
	o, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: "ALL"})
	if err != nil {
		t.Fatal(err)
	}
	roots, err := org.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := aws.ToString(roots.Roots[0].Id)
	res := mOrg{id: aws.ToString(o.Organization.Id), accounts: map[string]string{}, ous: map[string]string{"Root": root}}
	mk := func(name, parent string) string {
		out, err := org.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{Name: aws.String(name), ParentId: aws.String(parent)})
		if err != nil {
			t.Fatal(err)
		}
		res.ous[name] = aws.ToString(out.OrganizationalUnit.Id)
		return res.ous[name]
	}
	wl := mk("Workloads", root)
	mk("Prod", wl)
	mk("Sandbox", root)
	names := make([]string, 0, len(accounts))
	for n := range accounts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		out, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		st, err := org.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: out.CreateAccountStatus.Id})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(st.CreateAccountStatus.AccountId)
		res.accounts[name] = id
		if _, err := org.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(id), SourceParentId: aws.String(root), DestinationParentId: aws.String(res.ous[accounts[name]])}); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

func TestCollectAgainstMoto(t *testing.T) {
	srv := moto.Start(t)
	ctx := context.Background()
	base := baseCfg(srv.Endpoint)

	// Organization 1 in moto's default account; organization 2 in another
	// account's organizations backend, listed through a second role.
	org1 := buildOrg(t, ctx, base, map[string]string{"prod-a": "Prod", "sandbox-b": "Sandbox", "closed-c": "Sandbox"})
	const mgmt2 = "210987654321"
	org2 := buildOrg(t, ctx, assumed(base, mgmt2, "OrganizationAccountAccessRole"), map[string]string{"other-d": "Workloads"})
	if _, err := organizations.NewFromConfig(base).CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(org1.accounts["closed-c"])}); err != nil {
		t.Fatal(err)
	}

	// IAM content in a member account.
	prod := org1.accounts["prod-a"]
	im := iam.NewFromConfig(assumed(base, prod, "OrganizationAccountAccessRole"))
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`
	must(im.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Tags: nil}))
	must(im.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob"), Path: aws.String("/ops/")}))
	must(im.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("admins")}))
	must(im.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("admins"), UserName: aws.String("alice")}))
	pol, err := im.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("read-s3"), PolicyDocument: aws.String(doc)})
	must(pol, err)
	must(im.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: pol.Policy.Arn, PolicyDocument: aws.String(strings.Replace(doc, "s3:Get*", "s3:List*", 1)), SetAsDefault: true}))
	must(im.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("admins"), PolicyArn: pol.Policy.Arn}))
	must(im.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("inline-bob"), PolicyDocument: aws.String(doc)}))
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}`
	must(im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("cross-account"), AssumeRolePolicyDocument: aws.String(trust)}))
	must(im.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))
	mfa, err := im.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice-mfa")})
	must(mfa, err)
	must(im.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("prod-a-alias")}))
	must(im.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(14)}))

	dir := t.TempDir()
	t.Setenv("AWS_ENDPOINT_URL", srv.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEBASE00000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	var out, errb bytes.Buffer
	storeDir := filepath.Join(dir, "data")
	code := Run(ctx, []string{"collect",
		"--org-role", "arn:aws:iam::" + mgmt + ":role/orgiam-list",
		"--org-role", "arn:aws:iam::" + mgmt2 + ":role/orgiam-list",
		"--store", storeDir, "--date", "2026-11-23", "--credential-report-wait", "100ms",
		"--exclude-accounts", org1.accounts["sandbox-b"],
		// Two regions, not every region moto lists as enabled: the
		// regional collectors then make a handful of calls per account.
		"--regions", "us-east-1,eu-west-1",
	}, IO{Out: &out, Err: &errb})
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}

	st := store.NewFile(storeDir)
	r := snapshot.Reader{Store: st, Run: "2026-11-23"}
	m, err := r.Manifest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, a := range m.Accounts {
		status[a.ID] = a.Status
	}
	want := map[string]string{
		mgmt: "ok", prod: "ok", org1.accounts["sandbox-b"]: "skipped", org1.accounts["closed-c"]: "skipped",
		mgmt2: "ok", org2.accounts["other-d"]: "ok",
	}
	for id, s := range want {
		if status[id] != s {
			t.Errorf("account %s: status %q, want %q (manifest %v)", id, status[id], s, status)
		}
	}
	if len(m.Organizations) != 2 {
		t.Errorf("organizations in manifest: %d, want 2", len(m.Organizations))
	}
	for _, a := range m.Accounts {
		if a.ID == org1.accounts["closed-c"] && !strings.Contains(a.Error, "SUSPENDED") {
			t.Errorf("closed account reason %q", a.Error)
		}
	}

	// The stored files match what was created.
	var users []snapshot.User
	if err := r.IAM(ctx, prod, store.DataUsers, &users); err != nil {
		t.Fatal(err)
	}
	byName := map[string]snapshot.User{}
	for _, u := range users {
		byName[u.UserName] = u
	}
	if len(byName) != 2 || byName["bob"].Path != "/ops/" || len(byName["alice"].GroupList) != 1 || len(byName["alice"].AccessKeys) != 1 {
		t.Fatalf("users.json: %+v", users)
	}
	if len(byName["bob"].UserPolicyList) != 1 || !json.Valid(byName["bob"].UserPolicyList[0].PolicyDocument) || !bytes.Contains(byName["bob"].UserPolicyList[0].PolicyDocument, []byte(`"s3:Get*"`)) {
		t.Fatalf("inline policy not stored as decoded JSON: %s", byName["bob"].UserPolicyList)
	}
	var policies []snapshot.ManagedPolicy
	if err := r.IAM(ctx, prod, store.DataPolicies, &policies); err != nil {
		t.Fatal(err)
	}
	if len(policies) != 1 || len(policies[0].PolicyVersionList) != 2 || !bytes.Contains(policies[0].DefaultDocument(), []byte("s3:List*")) {
		t.Fatalf("policies.json: %+v", policies)
	}
	var roles []snapshot.Role
	if err := r.IAM(ctx, prod, store.DataRoles, &roles); err != nil {
		t.Fatal(err)
	}
	foundTrust := false
	for _, role := range roles {
		if role.RoleName == "cross-account" && bytes.Contains(role.AssumeRolePolicyDocument, []byte("999999999999")) {
			foundTrust = true
		}
	}
	if !foundTrust {
		t.Fatalf("cross-account role or its trust policy missing: %d roles", len(roles))
	}
	var mfas []snapshot.MFADevice
	if err := r.IAM(ctx, prod, store.DataMFADevices, &mfas); err != nil || len(mfas) != 1 {
		t.Fatalf("mfa-devices.json: %v %+v", err, mfas)
	}
	info, err := r.AccountInfo(ctx, prod)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Aliases) != 1 || info.Aliases[0] != "prod-a-alias" || info.PasswordPolicy == nil || info.PasswordPolicy.MinimumPasswordLength != 14 || info.OUPath != "Root/Workloads/Prod" || info.OrgID != org1.id {
		t.Fatalf("account.json: %+v", info)
	}
	// The account-level settings of their own collectors are in
	// account.json, not in objects of their own.
	if info.ServerCertificates == nil || info.SecurityContact == nil {
		t.Fatalf("account.json: server certificates %v, security contact %v, want both recorded", info.ServerCertificates, info.SecurityContact)
	}
	for _, ds := range []string{store.LegacyDataServerCertificates, store.LegacyDataSecurityContact} {
		if ok, err := st.Exists(ctx, store.IAMKey("2026-11-23", prod, ds)); ok || err != nil {
			t.Errorf("iam/%s.json written (%v): it is in account.json now", ds, err)
		}
	}
	rows, _, err := r.CredentialReport(ctx, prod)
	if err != nil || len(rows) < 2 {
		t.Fatalf("credential report: %v rows=%d", err, len(rows))
	}
	// Files are private.
	fi, err := os.Stat(filepath.Join(storeDir, "2026-11-23", "manifest.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("manifest mode: %v %v", err, fi.Mode())
	}
	if !strings.Contains(out.String(), "accounts ok") {
		t.Fatalf("no summary on stdout: %s", out.String())
	}

	// A second run the same day is refused without --overwrite or --run-id.
	code = Run(ctx, []string{"collect", "--store", storeDir, "--date", "2026-11-23"}, IO{Out: &out, Err: &errb})
	if code != ExitUsage || !strings.Contains(errb.String(), "--run-id") {
		t.Fatalf("second run: exit %d, stderr %s", code, errb.String())
	}
	_ = time.Second
}
