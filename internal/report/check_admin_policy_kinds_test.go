package report

import (
	"encoding/json"
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

const (
	adminDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	readDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`
)

func roleArn(name string) string  { return "arn:aws:iam::" + testAccount + ":role/" + name }
func groupArn(name string) string { return "arn:aws:iam::" + testAccount + ":group/" + name }

var adminAccess = snapshot.AttachedPolicy{PolicyName: "AdministratorAccess", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"}

func TestCheckAWSManagedAdminPolicy(t *testing.T) {
	t.Parallel()
	ro := snapshot.AttachedPolicy{PolicyName: "ReadOnlyAccess", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}
	testCheck(t, CheckAWSManagedAdminPolicy, []checkCase{
		{"attached", &acct{
			users:  []snapshot.User{{UserName: "ann", Arn: userArn("ann"), AttachedManagedPolicies: []snapshot.AttachedPolicy{ro}}},
			groups: []snapshot.Group{{GroupName: "admins", Arn: groupArn("admins"), AttachedManagedPolicies: []snapshot.AttachedPolicy{adminAccess}}},
			roles: []snapshot.Role{{RoleName: "ops", Arn: roleArn("ops"), AttachedManagedPolicies: []snapshot.AttachedPolicy{adminAccess}},
				{RoleName: "AWSServiceRoleForX", Path: "/aws-service-role/x.amazonaws.com/", Arn: roleArn("aws-service-role/x.amazonaws.com/AWSServiceRoleForX"), AttachedManagedPolicies: []snapshot.AttachedPolicy{adminAccess}}},
		}, []result{
			fail(groupArn("admins"), `AWS managed policy allowing "*:*" attached to the group: AdministratorAccess.`),
			fail(roleArn("ops"), `AWS managed policy allowing "*:*" attached to the role: AdministratorAccess.`),
		}},
		{"none", &acct{users: []snapshot.User{{UserName: "ann", Arn: userArn("ann"), AttachedManagedPolicies: []snapshot.AttachedPolicy{ro}}}},
			[]result{pass(PrincipalAccount, `No user, group or role has an AWS managed policy allowing "*:*" attached.`)}},
		{"no IAM data", &acct{}, nil},
	})
}

func TestCheckInlineAdminPolicy(t *testing.T) {
	t.Parallel()
	inl := func(name, doc string) []snapshot.InlinePolicy {
		return []snapshot.InlinePolicy{{PolicyName: name, PolicyDocument: json.RawMessage(doc)}}
	}
	testCheck(t, CheckInlineAdminPolicy, []checkCase{
		{"inline", &acct{
			users: []snapshot.User{{UserName: "ann", Arn: userArn("ann"), UserPolicyList: inl("read", readDoc)}},
			roles: []snapshot.Role{{RoleName: "ops", Arn: roleArn("ops"), RolePolicyList: inl("everything", adminDoc)}},
		}, []result{fail(roleArn("ops"), `Inline policy of the role allowing "*:*" on "*": everything.`)}},
		{"none", &acct{users: []snapshot.User{{UserName: "ann", Arn: userArn("ann"), UserPolicyList: inl("read", readDoc)}}},
			[]result{pass(PrincipalAccount, `No inline policy of a user, group or role allows "*:*" on "*".`)}},
		{"no IAM data", &acct{}, nil},
	})
}

// The reported bug: an unattached "*:*" policy was a high FAIL of CIS 1.15.
// It is a low FAIL of its own check, and 1.15 does not judge it.
func TestCheckUnattachedAdminPolicy(t *testing.T) {
	t.Parallel()
	pol := func(name, doc string, attached int32) snapshot.ManagedPolicy {
		return snapshot.ManagedPolicy{PolicyName: name, Arn: "arn:aws:iam::" + testAccount + ":policy/" + name, DefaultVersionID: "v1", AttachmentCount: attached,
			PolicyVersionList: []snapshot.PolicyVersion{{VersionID: "v1", IsDefaultVersion: true, Document: json.RawMessage(doc)}}}
	}
	a := &acct{policies: []snapshot.ManagedPolicy{pol("Spare", adminDoc, 0), pol("Read", readDoc, 0), pol("Used", adminDoc, 1)}}
	testCheck(t, CheckUnattachedAdminPolicy, []checkCase{
		{"policies", a, []result{
			fail("arn:aws:iam::"+testAccount+":policy/Spare", `Default version v1 allows "*:*" on "*"; the policy is not attached.`),
			pass("arn:aws:iam::"+testAccount+":policy/Read", `Default version v1 does not allow "*:*" on "*".`),
		}},
		{"no policies.json", &acct{}, nil},
	})
	if CheckUnattachedAdminPolicy.Severity != SeverityLow {
		t.Errorf("severity %s", CheckUnattachedAdminPolicy.Severity)
	}
	a.account.ID = testAccount
	for _, r := range CheckAdminPolicy.evaluate(&subject{a: a, o: fixtureOptions().withDefaults()}) {
		if r.principal != "arn:aws:iam::"+testAccount+":policy/Used" {
			t.Errorf("CIS 1.15 judged %s, which is not attached", r.principal)
		}
	}
}
