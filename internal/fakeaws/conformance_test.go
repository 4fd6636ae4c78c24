package fakeaws

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgiam/orgiam/internal/testutil/moto"
)

// populated returns the names of v's exported fields that are set (non-zero),
// added to set under prefix.
func populated(set map[string]bool, prefix string, v any) {
	rv := reflect.Indirect(reflect.ValueOf(v))
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if !f.IsExported() || rv.Field(i).IsZero() {
			continue
		}
		fv := rv.Field(i)
		if (fv.Kind() == reflect.Slice || fv.Kind() == reflect.Map) && fv.Len() == 0 {
			continue
		}
		set[prefix+f.Name] = true
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// shapes are the populated fields and entity names orgiam's calls see in one account.
type shapes struct {
	fields map[string]bool
	names  map[string]bool
}

func collectShapes(t *testing.T, ctx context.Context, cfg aws.Config) shapes {
	t.Helper()
	s := shapes{fields: map[string]bool{}, names: map[string]bool{}}
	c := iam.NewFromConfig(cfg)
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{
		Filter: []iamtypes.EntityType{iamtypes.EntityTypeUser, iamtypes.EntityTypeRole, iamtypes.EntityTypeGroup, iamtypes.EntityTypeLocalManagedPolicy}})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("GetAccountAuthorizationDetails: %v", err)
		}
		for _, u := range out.UserDetailList {
			populated(s.fields, "User.", u)
			s.names["user:"+aws.ToString(u.UserName)] = true
		}
		for _, g := range out.GroupDetailList {
			populated(s.fields, "Group.", g)
			s.names["group:"+aws.ToString(g.GroupName)] = true
		}
		for _, r := range out.RoleDetailList {
			populated(s.fields, "Role.", r)
			s.names["role:"+aws.ToString(r.RoleName)] = true
		}
		for _, pol := range out.Policies {
			populated(s.fields, "Policy.", pol)
			for _, v := range pol.PolicyVersionList {
				populated(s.fields, "PolicyVersion.", v)
			}
			s.names["policy:"+aws.ToString(pol.PolicyName)] = true
		}
	}
	sum, err := c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		t.Fatalf("GetAccountSummary: %v", err)
	}
	for _, k := range []string{"Users", "Groups", "Roles", "Policies", "MFADevices", "MFADevicesInUse", "AccountMFAEnabled", "AccountAccessKeysPresent"} {
		if _, ok := sum.SummaryMap[k]; ok {
			s.fields["Summary."+k] = true
		}
	}
	al, err := c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
	if err != nil {
		t.Fatalf("ListAccountAliases: %v", err)
	}
	for _, a := range al.AccountAliases {
		s.names["alias:"+a] = true
	}
	mfa, err := c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: iamtypes.AssignmentStatusTypeAny})
	if err != nil {
		t.Fatalf("ListVirtualMFADevices: %v", err)
	}
	for _, m := range mfa.VirtualMFADevices {
		populated(s.fields, "MFA.", m)
		s.names["mfa:"+(*m.SerialNumber)[strings.LastIndex(*m.SerialNumber, "/")+1:]] = true
	}
	users, err := c.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	for _, u := range users.Users {
		ks, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: u.UserName})
		if err != nil {
			t.Fatalf("ListAccessKeys %s: %v", *u.UserName, err)
		}
		for _, k := range ks.AccessKeyMetadata {
			populated(s.fields, "AccessKey.", k)
			s.names[fmt.Sprintf("key:%s:%s", *u.UserName, k.Status)] = true
		}
	}
	if _, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}); err != nil {
		t.Fatalf("GenerateCredentialReport: %v", err)
	}
	var rep *iam.GetCredentialReportOutput
	for i := 0; i < 50; i++ {
		rep, err = c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
		if err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GetCredentialReport: %v", err)
	}
	recs, err := csv.NewReader(bytes.NewReader(rep.Content)).ReadAll()
	if err != nil {
		t.Fatalf("credential report CSV: %v", err)
	}
	s.fields["Report.header:"+strings.Join(recs[0], ",")] = true
	for _, r := range recs[1:] {
		s.names["report:"+r[0]] = true
	}
	return s
}

// TestConformanceWithMoto replicates one generated account into moto_server
// and checks that both answer orgiam's calls with the same shapes.
func TestConformanceWithMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	ctx := context.Background()
	m := moto.Start(t, "MOTO_IAM_LOAD_MANAGED_POLICIES=true")
	mcfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(m.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIAMOTOEXAMPLE00001", "secret", "")}
	morg := organizations.NewFromConfig(mcfg)
	if _, err := morg.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	ca, err := morg.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("member"), Email: aws.String("member@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	member := *ca.CreateAccountStatus.AccountId

	opts := Options{Seed: 11, AccountsPerOrg: 3, Size: Size{Users: 5, Roles: 4, Groups: 2, Policies: 2}, OutsideAccounts: 1, Now: testNow}
	s, fcfg := start(t, opts, Knobs{})
	w := s.World()
	var d *AccountData
	for _, a := range w.Accounts()[1:] {
		if dd := w.Account(a.ID); len(dd.Aliases) > 0 && len(dd.VirtualMFADevices) > 0 {
			d = dd
			break
		}
	}
	if d == nil {
		t.Fatal("no generated account with an alias and a virtual MFA device; change the seed")
	}

	// ListAccounts shapes.
	accFields := func(cfg aws.Config) map[string]bool {
		out, err := organizations.NewFromConfig(cfg).ListAccounts(ctx, &organizations.ListAccountsInput{})
		if err != nil {
			t.Fatalf("ListAccounts: %v", err)
		}
		set := map[string]bool{}
		for _, a := range out.Accounts {
			populated(set, "Account.", a)
		}
		return set
	}
	if mf, ff := accFields(mcfg), accFields(fcfg); !reflect.DeepEqual(mf, ff) {
		t.Errorf("ListAccounts fields: moto %v, fakeaws %v", keys(mf), keys(ff))
	}

	// Replicate the account into moto's member account.
	mt := assumed(mcfg, "arn:aws:iam::"+member+":role/OrganizationAccountAccessRole", "")
	mi := iam.NewFromConfig(mt)
	must := func(what string, _ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("moto %s: %v", what, err)
		}
	}
	fix := func(s string) string { return strings.ReplaceAll(s, d.Meta.ID, member) }
	for _, p := range d.Policies {
		var out *iam.CreatePolicyOutput
		out, err := mi.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: &p.PolicyName, Path: &p.Path, PolicyDocument: aws.String(string(p.PolicyVersionList[0].Document)), Description: &p.Description})
		must("CreatePolicy", out, err)
		for _, v := range p.PolicyVersionList[1:] {
			o, err := mi.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: out.Policy.Arn, PolicyDocument: aws.String(string(v.Document)), SetAsDefault: v.IsDefaultVersion})
			must("CreatePolicyVersion", o, err)
		}
		if !p.PolicyVersionList[0].IsDefaultVersion && len(p.PolicyVersionList) > 1 {
			def := p.DefaultVersionID
			o, err := mi.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: out.Policy.Arn, VersionId: &def})
			must("SetDefaultPolicyVersion", o, err)
		}
	}
	for _, g := range d.Groups {
		o, err := mi.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: &g.GroupName, Path: &g.Path})
		must("CreateGroup", o, err)
		for _, ip := range g.GroupPolicyList {
			o, err := mi.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: &g.GroupName, PolicyName: &ip.PolicyName, PolicyDocument: aws.String(string(ip.PolicyDocument))})
			must("PutGroupPolicy", o, err)
		}
		for _, ap := range g.AttachedManagedPolicies {
			o, err := mi.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: &g.GroupName, PolicyArn: aws.String(fix(ap.PolicyArn))})
			must("AttachGroupPolicy "+ap.PolicyArn, o, err)
		}
	}
	for _, u := range d.Users {
		in := &iam.CreateUserInput{UserName: &u.UserName, Path: &u.Path}
		if u.PermissionsBoundary != nil { // moto 5.2.1 answers 500 to PutUserPermissionsBoundary
			in.PermissionsBoundary = aws.String(fix(u.PermissionsBoundary.PermissionsBoundaryArn))
		}
		for _, tg := range u.Tags {
			in.Tags = append(in.Tags, iamtypes.Tag{Key: aws.String(tg.Key), Value: aws.String(tg.Value)})
		}
		o, err := mi.CreateUser(ctx, in)
		must("CreateUser", o, err)
		for _, g := range u.GroupList {
			o, err := mi.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: &u.UserName, GroupName: aws.String(g)})
			must("AddUserToGroup", o, err)
		}
		for _, ip := range u.UserPolicyList {
			o, err := mi.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: &u.UserName, PolicyName: &ip.PolicyName, PolicyDocument: aws.String(string(ip.PolicyDocument))})
			must("PutUserPolicy", o, err)
		}
		for _, ap := range u.AttachedManagedPolicies {
			o, err := mi.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: &u.UserName, PolicyArn: aws.String(fix(ap.PolicyArn))})
			must("AttachUserPolicy", o, err)
		}
		if u.PasswordEnabled {
			o, err := mi.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: &u.UserName, Password: aws.String("Passw0rd!Passw0rd")})
			must("CreateLoginProfile", o, err)
		}
		for _, k := range u.AccessKeys {
			o, err := mi.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: &u.UserName})
			must("CreateAccessKey", o, err)
			if k.Status == "Inactive" {
				o2, err := mi.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: &u.UserName, AccessKeyId: o.AccessKey.AccessKeyId, Status: iamtypes.StatusTypeInactive})
				must("UpdateAccessKey", o2, err)
			}
		}
	}
	for _, dev := range d.VirtualMFADevices {
		name := dev.SerialNumber[strings.LastIndex(dev.SerialNumber, "/")+1:]
		o, err := mi.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: &name})
		must("CreateVirtualMFADevice", o, err)
		if dev.User != nil && dev.User.UserName != "<root_account>" {
			o2, err := mi.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: &dev.User.UserName, SerialNumber: o.VirtualMFADevice.SerialNumber,
				AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
			must("EnableMFADevice", o2, err)
		}
	}
	for _, r := range d.Roles {
		if r.RoleName == "OrganizationAccountAccessRole" {
			continue // moto creates it with the account
		}
		in := &iam.CreateRoleInput{RoleName: &r.RoleName, Path: &r.Path, AssumeRolePolicyDocument: aws.String(fix(string(r.AssumeRolePolicyDocument)))}
		for _, tg := range r.Tags {
			in.Tags = append(in.Tags, iamtypes.Tag{Key: aws.String(tg.Key), Value: aws.String(tg.Value)})
		}
		if r.PermissionsBoundary != nil {
			in.PermissionsBoundary = aws.String(fix(r.PermissionsBoundary.PermissionsBoundaryArn))
		}
		o, err := mi.CreateRole(ctx, in)
		must("CreateRole", o, err)
		for _, ip := range r.RolePolicyList {
			o, err := mi.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: &r.RoleName, PolicyName: &ip.PolicyName, PolicyDocument: aws.String(string(ip.PolicyDocument))})
			must("PutRolePolicy", o, err)
		}
		for _, ap := range r.AttachedManagedPolicies {
			o, err := mi.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: &r.RoleName, PolicyArn: aws.String(fix(ap.PolicyArn))})
			must("AttachRolePolicy", o, err)
		}
		for _, ip := range r.InstanceProfileList {
			o, err := mi.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: &ip.InstanceProfileName, Path: &ip.Path})
			must("CreateInstanceProfile", o, err)
			o2, err := mi.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: &ip.InstanceProfileName, RoleName: &r.RoleName})
			must("AddRoleToInstanceProfile", o2, err)
		}
	}
	for _, a := range d.Aliases {
		o, err := mi.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String(a)})
		must("CreateAccountAlias", o, err)
	}

	ms := collectShapes(t, ctx, mt)
	fs := collectShapes(t, ctx, assumed(fcfg, w.CollectRoleArn(d.Meta.ID), ""))

	// moto quirks, excluded from the comparison:
	ignoreNames := map[string]bool{
		"mfa:root-account-mfa-device": true, // the root's virtual device cannot be created through the API
		"report:<root_account>":       true, // moto's credential report has no root row; IAM's always does
	}
	ignoreFields := []string{
		"Policy.PolicyName", "Policy.PolicyId", // moto leaves them out of GAAD's Policies; IAM sets them
		"PolicyVersion.IsDefaultVersion",        // moto answers false for every version
		"Policy.PermissionsBoundaryUsageCount",  // moto does not count boundary uses
		"User.PermissionsBoundary",              // moto omits the user's boundary from GAAD
		"MFA.Base32StringSeed", "MFA.QRCodePNG", // moto returns the seed in List; IAM only in Create
	}
	for _, f := range ignoreFields {
		delete(ms.fields, f)
		delete(fs.fields, f)
	}
	names := 0
	for n := range fs.names {
		if strings.HasPrefix(n, "policy:") {
			names++
		}
	}
	if names != len(d.Policies) {
		t.Errorf("fakeaws GAAD policies = %d, want %d", names, len(d.Policies))
	}
	for _, set := range []map[string]bool{ms.names, fs.names} {
		for n := range set {
			if strings.HasPrefix(n, "policy:") { // moto has no policy names to compare
				delete(set, n)
			}
		}
	}
	for n := range fs.names {
		if ignoreNames[n] {
			delete(fs.names, n)
		}
	}
	for n := range ms.names {
		if ignoreNames[n] {
			delete(ms.names, n)
		}
	}
	if !reflect.DeepEqual(ms.names, fs.names) {
		t.Errorf("entity names differ:\nmoto    %v\nfakeaws %v", keys(ms.names), keys(fs.names))
	}
	if !reflect.DeepEqual(ms.fields, fs.fields) {
		t.Errorf("populated fields differ:\nmoto    %v\nfakeaws %v", keys(ms.fields), keys(fs.fields))
	}
}
