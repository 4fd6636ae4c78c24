package export

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

func TestEncodeURIComponent(t *testing.T) {
	// Expected values are what JavaScript's encodeURIComponent returns.
	for in, want := range map[string]string{
		"plain-Name_1.2":   "plain-Name_1.2",
		"dev/team/MyRole":  "dev%2Fteam%2FMyRole",
		"a b:c+d=e,f@g":    "a%20b%3Ac%2Bd%3De%2Cf%40g",
		"!~*'()":           "!~*'()",
		"é":                "%C3%A9",
		"service-role/x#y": "service-role%2Fx%23y",
	} {
		if got := EncodeURIComponent(in); got != want {
			t.Errorf("EncodeURIComponent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResourceDir(t *testing.T) {
	for _, c := range []struct{ acct, arn, want string }{
		{"111122223333", "arn:aws:iam::111122223333:role/Admin", "accounts/111122223333/iam/role/admin"},
		{"111122223333", "arn:aws:iam::111122223333:role/dev/team/MyRole", "accounts/111122223333/iam/role/dev%2fteam%2fmyrole"},
		{"111122223333", "arn:aws:iam::aws:policy/service-role/AWSLambdaRole", "accounts/111122223333/iam/aws/policy/service-role%2fawslambdarole"},
		{"111122223333", "arn:aws:iam::111122223333:user/Alice", "accounts/111122223333/iam/user/alice"},
	} {
		got, err := ResourceDir(c.acct, c.arn)
		if err != nil || got != c.want {
			t.Errorf("ResourceDir(%s) = %q, %v; want %q", c.arn, got, err, c.want)
		}
	}
	if _, err := ResourceDir("1", "not-an-arn"); err == nil {
		t.Error("ResourceDir accepted a value that is not an ARN")
	}
}

const (
	run  = "2026-11-30"
	mgmt = "111111111111"
	memb = "222222222222"
	gone = "333333333333"
	org  = "o-test1234"
)

func doc(s string) json.RawMessage {
	return json.RawMessage(`{"Version":"2012-10-17","Statement":[` + s + `]}`)
}

// testRun writes a small organization: a management account with a user
// in a group, a role with a path, tags, a boundary and an instance
// profile, a customer managed policy and an AWS managed one; a member
// account with one role; a third account listed but never scanned.
func testRun(t *testing.T) snapshot.Reader {
	t.Helper()
	ctx := context.Background()
	st := store.NewFile(t.TempDir())
	put := func(key string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Put(ctx, key, b); err != nil {
			t.Fatal(err)
		}
	}
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	put(store.OrgKey(run, org, "organization.json"), snapshot.Organization{ID: org, Arn: "arn:aws:organizations::" + mgmt + ":organization/" + org, MasterAccountID: mgmt, MasterAccountArn: "arn:aws:organizations::" + mgmt + ":account/" + org + "/" + mgmt})
	put(store.OrgKey(run, org, "ous.json"), []snapshot.OU{
		{ID: "r-ab12", Arn: "arn:aws:organizations::" + mgmt + ":root/" + org + "/r-ab12", Name: "Root", Type: "ROOT"},
		{ID: "ou-ab12-11111111", Arn: "arn:aws:organizations::" + mgmt + ":ou/" + org + "/ou-ab12-11111111", Name: "Work", Type: "ORGANIZATIONAL_UNIT", ParentID: "r-ab12"},
	})
	accts := []snapshot.Account{
		{ID: mgmt, Arn: "arn:aws:organizations::" + mgmt + ":account/" + org + "/" + mgmt, OrgID: org, ParentID: "r-ab12", Management: true},
		{ID: memb, Arn: "arn:aws:organizations::" + mgmt + ":account/" + org + "/" + memb, OrgID: org, ParentID: "ou-ab12-11111111"},
		{ID: gone, Arn: "arn:aws:organizations::" + mgmt + ":account/" + org + "/" + gone, OrgID: org, ParentID: "ou-ab12-11111111"},
	}
	put(store.AccountListKey(run), accts)
	put(store.OrgKey(run, org, "accounts.json"), accts)
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	put(store.AWSManagedPolicyKey(run, "AdministratorAccess"), snapshot.ManagedPolicy{PolicyName: "AdministratorAccess", Arn: admin, Path: "/", DefaultVersionID: "v1",
		PolicyVersionList: []snapshot.PolicyVersion{{VersionID: "v1", IsDefaultVersion: true, Document: doc(`{"Effect":"Allow","Action":"*","Resource":"*"}`)}}})
	put(store.AWSManagedPolicyKey(run, "ReadOnlyAccess"), snapshot.ManagedPolicy{PolicyName: "ReadOnlyAccess", Arn: "arn:aws:iam::aws:policy/ReadOnlyAccess", DefaultVersionID: "v1",
		PolicyVersionList: []snapshot.PolicyVersion{{VersionID: "v1", IsDefaultVersion: true, Document: doc(`{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}`)}}})
	boundary := "arn:aws:iam::" + mgmt + ":policy/ops/Boundary"
	trust := doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + memb + `:root"},"Action":"sts:AssumeRole"}`)
	for _, id := range []string{mgmt, memb} {
		put(store.AccountKey(run, id), snapshot.AccountInfo{Account: snapshot.Account{ID: id}})
	}
	put(store.IAMKey(run, mgmt, "users"), []snapshot.User{{UserName: "alice", UserID: "AIDA1", Arn: "arn:aws:iam::" + mgmt + ":user/alice", Path: "/", CreateDate: &created,
		GroupList: []string{"admins"}, Tags: []snapshot.Tag{{Key: "team", Value: "ops"}},
		UserPolicyList: []snapshot.InlinePolicy{{PolicyName: "self", PolicyDocument: doc(`{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}`)}}}})
	put(store.IAMKey(run, mgmt, "groups"), []snapshot.Group{{GroupName: "admins", GroupID: "AGPA1", Arn: "arn:aws:iam::" + mgmt + ":group/admins", Path: "/",
		AttachedManagedPolicies: []snapshot.AttachedPolicy{{PolicyName: "AdministratorAccess", PolicyArn: admin}}}})
	put(store.IAMKey(run, mgmt, "roles"), []snapshot.Role{{RoleName: "Deployer", RoleID: "AROA1", Arn: "arn:aws:iam::" + mgmt + ":role/ci/Deployer", Path: "/ci/", CreateDate: &created,
		AssumeRolePolicyDocument: trust, PermissionsBoundary: &snapshot.Boundary{PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: boundary},
		AttachedManagedPolicies: []snapshot.AttachedPolicy{{PolicyName: "Boundary", PolicyArn: boundary}},
		InstanceProfileList:     []snapshot.InstanceProfile{{InstanceProfileName: "ci", Arn: "arn:aws:iam::" + mgmt + ":instance-profile/ci"}},
		Tags:                    []snapshot.Tag{{Key: "Owner", Value: "CI"}}}})
	put(store.IAMKey(run, mgmt, "policies"), []snapshot.ManagedPolicy{{PolicyName: "Boundary", PolicyID: "ANPA1", Arn: boundary, Path: "/ops/", DefaultVersionID: "v2", IsAttachable: true,
		PolicyVersionList: []snapshot.PolicyVersion{
			{VersionID: "v1", Document: doc(`{"Effect":"Deny","Action":"*","Resource":"*"}`)},
			{VersionID: "v2", IsDefaultVersion: true, Document: doc(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`)},
		}}})
	put(store.IAMKey(run, memb, "roles"), []snapshot.Role{{RoleName: "app", Arn: "arn:aws:iam::" + memb + ":role/app", Path: "/",
		AssumeRolePolicyDocument: doc(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`)}})
	return snapshot.Reader{Store: st, Run: run}
}

// readBack reads an exported folder the way a reader of iam-collect's
// layout does: every file under aws/<partition>/, by its path, decoded.
func readBack(t *testing.T, dir string) map[string]any {
	t.Helper()
	out := map[string]any{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("%s: not JSON: %v", p, err)
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkFiles compares read-back files with the JSON they should hold.
func checkFiles(t *testing.T, files map[string]any, want map[string]string) {
	t.Helper()
	for k, w := range want {
		got, ok := files[k]
		if !ok {
			t.Errorf("%s: not written", k)
			continue
		}
		if !reflect.DeepEqual(got, jsonOf(t, w)) {
			g, _ := json.Marshal(got)
			t.Errorf("%s:\n got %s\nwant %s", k, g, w)
		}
	}
}

func jsonOf(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestIAMCollectReadBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sum, err := IAMCollect(ctx, testRun(t), store.NewFile(dir), "")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Accounts != 2 || sum.Users != 1 || sum.Roles != 2 || sum.Groups != 1 || sum.Policies != 1 || sum.AWSPolicies != 1 || sum.Organizations != 1 {
		t.Errorf("summary %+v", sum)
	}
	if len(sum.Skipped) != 1 || !strings.HasPrefix(sum.Skipped[0], gone) {
		t.Errorf("skipped %v, want %s", sum.Skipped, gone)
	}
	files := readBack(t, dir)
	if sum.Files != len(files) {
		t.Errorf("summary says %d files, %d on disk", sum.Files, len(files))
	}
	a := "aws/aws/accounts/" + mgmt + "/"
	want := map[string]string{
		a + "organization.json":                                                `{"organizationId":"` + org + `"}`,
		a + "iam/user/alice/metadata.json":                                     `{"arn":"arn:aws:iam::` + mgmt + `:user/alice","path":"/","id":"AIDA1","name":"alice","created":"2024-01-02T03:04:05Z"}`,
		a + "iam/user/alice/groups.json":                                       `["arn:aws:iam::` + mgmt + `:group/admins"]`,
		a + "iam/user/alice/tags.json":                                         `{"team":"ops"}`,
		a + "iam/user/alice/inline-policies.json":                              `[{"PolicyName":"self","PolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}}]`,
		a + "iam/group/admins/managed-policies.json":                           `["arn:aws:iam::aws:policy/AdministratorAccess"]`,
		a + "iam/role/ci%2fdeployer/metadata.json":                             `{"arn":"arn:aws:iam::` + mgmt + `:role/ci/Deployer","name":"Deployer","id":"AROA1","path":"/ci/","created":"2024-01-02T03:04:05Z","permissionBoundary":"arn:aws:iam::` + mgmt + `:policy/ops/Boundary"}`,
		a + "iam/role/ci%2fdeployer/trust-policy.json":                         `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + memb + `:root"},"Action":"sts:AssumeRole"}]}`,
		a + "iam/role/ci%2fdeployer/instance-profiles.json":                    `["arn:aws:iam::` + mgmt + `:instance-profile/ci"]`,
		a + "iam/role/ci%2fdeployer/tags.json":                                 `{"Owner":"CI"}`,
		a + "iam/policy/ops%2fboundary/current-policy.json":                    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
		a + "iam/aws/policy/administratoraccess/current-policy.json":           `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"aws/aws/organizations/" + org + "/accounts.json":                      `{"` + mgmt + `":{"ou":"r-ab12","scps":[],"rcps":[],"s3Policies":[]},"` + memb + `":{"ou":"ou-ab12-11111111","scps":[],"rcps":[],"s3Policies":[]},"` + gone + `":{"ou":"ou-ab12-11111111","scps":[],"rcps":[],"s3Policies":[]}}`,
		"aws/aws/organizations/" + org + "/ous.json":                           `{"r-ab12":{"parent":null,"scps":[],"rcps":[],"s3Policies":[]},"ou-ab12-11111111":{"parent":"r-ab12","scps":[],"rcps":[],"s3Policies":[]}}`,
		"aws/aws/organizations/" + org + "/structure.json":                     `{"r-ab12":{"children":{"ou-ab12-11111111":{"accounts":["arn:aws:organizations::` + mgmt + `:account/` + org + `/` + memb + `","arn:aws:organizations::` + mgmt + `:account/` + org + `/` + gone + `"]}},"accounts":["arn:aws:organizations::` + mgmt + `:account/` + org + `/` + mgmt + `"]}}`,
		"aws/aws/organizations/" + org + "/ous/ou-ab12-11111111/metadata.json": `{"arn":"arn:aws:organizations::` + mgmt + `:ou/` + org + `/ou-ab12-11111111","name":"Work"}`,
	}
	checkFiles(t, files, want)
	// Empty data sets are not written (iam-collect deletes them); the
	// unused AWS managed policy is not in the account; the unscanned
	// account has no folder.
	for _, k := range []string{
		a + "iam/group/admins/inline-policies.json",
		a + "iam/user/alice/managed-policies.json",
		"aws/aws/accounts/" + memb + "/iam/role/app/managed-policies.json",
		a + "iam/aws/policy/readonlyaccess/metadata.json",
	} {
		if _, ok := files[k]; ok {
			t.Errorf("%s: written, want absent", k)
		}
	}
	for k := range files {
		if strings.Contains(k, gone) && strings.Contains(k, "accounts/"+gone) {
			t.Errorf("%s: the unscanned account was exported", k)
		}
		if k != strings.ToLower(k) {
			t.Errorf("%s: not lower case", k)
		}
	}
	// Every account folder iam-collect would list is an exported account.
	ents, err := os.ReadDir(filepath.Join(dir, "aws", "aws", "accounts"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range ents {
		ids = append(ids, e.Name())
	}
	sort.Strings(ids)
	if !reflect.DeepEqual(ids, []string{mgmt, memb}) {
		t.Errorf("account folders %v", ids)
	}
}

// TestIAMCollectPoliciesReadBack exports a run holding an SCP on the OU,
// an RCP on the root, a bucket with a policy and Block Public Access and a
// KMS key policy, and reads the files back.
func TestIAMCollectPoliciesReadBack(t *testing.T) {
	ctx := context.Background()
	r := testRun(t)
	put := func(key string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Store.Put(ctx, key, b); err != nil {
			t.Fatal(err)
		}
	}
	ou := "ou-ab12-11111111"
	scp := doc(`{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}`)
	rcp := doc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`)
	scpArn := "arn:aws:organizations::" + mgmt + ":policy/" + org + "/service_control_policy/p-scp1"
	rcpArn := "arn:aws:organizations::" + mgmt + ":policy/" + org + "/resource_control_policy/p-rcp1"
	put(store.OrgKey(run, org, store.OrgPoliciesFile), []snapshot.OrgPolicy{
		{ID: "p-SCP1", Arn: scpArn, Name: "no-delete", Description: "keep buckets", Type: snapshot.PolicyTypeSCP, Content: scp,
			Targets: []snapshot.PolicyTarget{{TargetID: ou, Type: "ORGANIZATIONAL_UNIT"}, {TargetID: memb, Type: "ACCOUNT"}}},
		{ID: "p-rcp1", Arn: rcpArn, Name: "tls", Type: snapshot.PolicyTypeRCP, Content: rcp,
			Targets: []snapshot.PolicyTarget{{TargetID: "r-ab12", Type: "ROOT"}}},
	})
	put(store.OrgKey(run, org, store.OrgPolicyChainsFile), []snapshot.PolicyChain{})
	bucketPol := doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + mgmt + `:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::logs-b/*"}`)
	put(store.AccountResourcesKey(run, memb), snapshot.AccountResources{SchemaVersion: 1, AccountID: memb, Resources: []snapshot.Resource{
		{Service: "s3", Type: "bucket", ARN: "arn:aws:s3:::logs-b", Name: "logs-b", Region: "eu-west-1", Account: memb, Policy: bucketPol,
			BlockPublicAccess: &snapshot.BlockPublicAccess{BlockPublicPolicy: true}},
	}})
	keyPol := doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + memb + `:root"},"Action":"kms:*","Resource":"*"}`)
	put(store.RegionKey(run, memb, "us-east-1"), snapshot.RegionScan{SchemaVersion: 1, AccountID: memb, Region: "us-east-1", Status: "ok", Resources: []snapshot.Resource{
		{Service: "kms", Type: "key", ARN: "arn:aws:kms:us-east-1:" + memb + ":key/Abc-1", Name: "Abc-1", Region: "us-east-1", Account: memb, Policy: keyPol},
	}})
	dir := t.TempDir()
	if _, err := IAMCollect(ctx, r, store.NewFile(dir), ""); err != nil {
		t.Fatal(err)
	}
	files := readBack(t, dir)
	o := "aws/aws/organizations/" + org + "/"
	b := "aws/aws/accounts/" + memb + "/"
	want := map[string]string{
		o + "scps/p-scp1/metadata.json": `{"arn":"` + scpArn + `","name":"no-delete","description":"keep buckets","awsManaged":false}`,
		o + "scps/p-scp1/policy.json":   string(scp),
		o + "rcps/p-rcp1/policy.json":   string(rcp),
		o + "accounts.json": `{"` + mgmt + `":{"ou":"r-ab12","scps":[],"rcps":[],"s3Policies":[]},"` + memb + `":{"ou":"` + ou + `","scps":["` + scpArn + `"],"rcps":[],"s3Policies":[]},"` +
			gone + `":{"ou":"` + ou + `","scps":[],"rcps":[],"s3Policies":[]}}`,
		o + "ous.json":                            `{"r-ab12":{"parent":null,"scps":[],"rcps":["` + rcpArn + `"],"s3Policies":[]},"` + ou + `":{"parent":"r-ab12","scps":["` + scpArn + `"],"rcps":[],"s3Policies":[]}}`,
		b + "s3/logs-b/policy.json":               string(bucketPol),
		b + "s3/logs-b/metadata.json":             `{"arn":"arn:aws:s3:::logs-b","name":"logs-b","region":"eu-west-1"}`,
		b + "s3/logs-b/bpa.json":                  `{"BlockPublicAcls":false,"IgnorePublicAcls":false,"BlockPublicPolicy":true,"RestrictPublicBuckets":false}`,
		b + "kms/us-east-1/key/abc-1/policy.json": string(keyPol),
	}
	checkFiles(t, files, want)
}
