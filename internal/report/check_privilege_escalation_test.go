package report

import (
	"encoding/json"
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func inlineDoc(name, statements string) []snapshot.InlinePolicy {
	return []snapshot.InlinePolicy{{PolicyName: name, PolicyDocument: json.RawMessage(`{"Version":"2012-10-17","Statement":[` + statements + `]}`)}}
}

// riskAccount is an account with an administrator user and role, and one
// principal for each escalation method, plus principals that cannot.
func riskAccount() *acct {
	const A = testAccount
	dev := snapshot.ManagedPolicy{PolicyName: "DevPolicy", Arn: "arn:aws:iam::" + A + ":policy/DevPolicy", DefaultVersionID: "v1", AttachmentCount: 1,
		PolicyVersionList: []snapshot.PolicyVersion{{VersionID: "v1", IsDefaultVersion: true, Document: json.RawMessage(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"arn:aws:iam::` + A + `:policy/DevPolicy"}]}`)}}}
	onlyS3 := snapshot.ManagedPolicy{PolicyName: "OnlyS3", Arn: "arn:aws:iam::" + A + ":policy/OnlyS3", DefaultVersionID: "v1",
		PolicyVersionList: []snapshot.PolicyVersion{{VersionID: "v1", IsDefaultVersion: true, Document: json.RawMessage(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}}}
	users := []snapshot.User{
		{UserName: "boss", Arn: userArn("boss"), AttachedManagedPolicies: []snapshot.AttachedPolicy{adminAccess}},
		{UserName: "dev", Arn: userArn("dev"), AttachedManagedPolicies: []snapshot.AttachedPolicy{{PolicyName: "DevPolicy", PolicyArn: dev.Arn}}},
		{UserName: "helpdesk", Arn: userArn("helpdesk"), UserPolicyList: inlineDoc("keys", `{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"*"}`)},
		{UserName: "reader", Arn: userArn("reader"), UserPolicyList: inlineDoc("read", `{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}`)},
		{UserName: "ec2-passer", Arn: userArn("ec2-passer"), UserPolicyList: inlineDoc("pass",
			`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}},{"Effect":"Allow","Action":["lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"*"}`)},
		{UserName: "bounded", Arn: userArn("bounded"), UserPolicyList: inlineDoc("self", `{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"*"}`),
			PermissionsBoundary: &snapshot.Boundary{PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: onlyS3.Arn}},
	}
	lambdaAdmin := trustRole("lambda-admin", `{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}`)
	lambdaAdmin.AttachedManagedPolicies = []snapshot.AttachedPolicy{adminAccess}
	builder := trustRole("builder", `{"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"sts:AssumeRole"}`)
	builder.RolePolicyList = inlineDoc("deploy", `{"Effect":"Allow","Action":["iam:PassRole","lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"*"}`)
	ci := trustRole("ci", `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}`)
	ci.RolePolicyList = inlineDoc("trust", `{"Effect":"Allow","Action":["iam:UpdateAssumeRolePolicy","sts:AssumeRole"],"Resource":"arn:aws:iam::`+A+`:role/lambda-admin"}`)
	return inRun(&acct{users: users, roles: []snapshot.Role{lambdaAdmin, builder, ci}, policies: []snapshot.ManagedPolicy{dev, onlyS3}}, A, "111122223333")
}

func TestCheckPrivilegeEscalation(t *testing.T) {
	t.Parallel()
	la := roleArn("lambda-admin")
	testCheck(t, CheckPrivilegeEscalation, []checkCase{
		{"methods", riskAccount(), []result{
			fail(userArn("dev"), "Can become an administrator: iam:CreatePolicyVersion on arn:aws:iam::"+testAccount+":policy/DevPolicy (allowed by DevPolicy): a new default version of a policy it holds can allow \"*:*\". "+identityOnly),
			fail(userArn("helpdesk"), "Can become an administrator: iam:CreateAccessKey on "+userArn("boss")+" (allowed by inline helpdesk/keys): it can create an access key for an administrator. "+identityOnly),
			pass(userArn("reader"), "No known path to administrator. "+identityOnly),
			// iam:PassRole only to EC2, and no role EC2 may assume.
			pass(userArn("ec2-passer"), "No known path to administrator. "+identityOnly),
			// The boundary allows s3:* only.
			pass(userArn("bounded"), "No known path to administrator. "+identityOnly),
			fail(roleArn("builder"), "Can become an administrator: iam:PassRole on "+la+" to lambda.amazonaws.com with lambda:CreateFunction and lambda:InvokeFunction (allowed by inline builder/deploy): code it runs there acts as the administrator role. "+identityOnly),
			fail(roleArn("ci"), "Can become an administrator: iam:UpdateAssumeRolePolicy and sts:AssumeRole on "+la+" (allowed by inline ci/trust): it can make the administrator role trust it. "+identityOnly),
		}},
		{"no IAM data", &acct{}, nil},
	})
}

func TestCheckDataAccessAndExposure(t *testing.T) {
	t.Parallel()
	a := func() *acct {
		return &acct{users: []snapshot.User{
			{UserName: "etl", Arn: userArn("etl"), UserPolicyList: inlineDoc("etl", `{"Effect":"Allow","Action":["s3:Get*","kms:Decrypt","s3:PutBucketPolicy"],"Resource":"*"}`)},
			{UserName: "app", Arn: userArn("app"), UserPolicyList: inlineDoc("app", `{"Effect":"Allow","Action":["s3:GetObject","s3:PutBucketPolicy"],"Resource":["arn:aws:s3:::app-data","arn:aws:s3:::app-data/*"]},{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/app":"web"}}}`)},
			{UserName: "boss", Arn: userArn("boss"), AttachedManagedPolicies: []snapshot.AttachedPolicy{adminAccess}}, // an administrator: not judged here
		}}
	}
	testCheck(t, CheckDataAccess, []checkCase{
		{"users", a(), []result{
			fail(userArn("etl"), "Data reads on any resource: kms:Decrypt (allowed by inline etl/etl), s3:GetObject (allowed by inline etl/etl). "+identityOnly),
			pass(userArn("app"), "No data reads on any resource. "+identityOnly),
		}},
	})
	testCheck(t, CheckResourceExposure, []checkCase{
		{"users", a(), []result{
			fail(userArn("etl"), "Resource policy changes on any resource: s3:PutBucketPolicy (allowed by inline etl/etl). "+identityOnly),
			pass(userArn("app"), "No resource policy changes on any resource. "+identityOnly),
		}},
	})
}
