package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckOneActiveKey(t *testing.T) {
	t.Parallel()
	two := reportRow("ben")
	two.AccessKeys[0] = snapshot.CredKey{Active: true}
	two.AccessKeys[1] = snapshot.CredKey{Active: true}
	one := reportRow("cy")
	one.AccessKeys[1] = snapshot.CredKey{Active: true}
	testCheck(t, CheckOneActiveKey, []checkCase{
		{"users.json keys", &acct{users: []snapshot.User{
			{UserName: "ann", Arn: userArn("ann"), AccessKeys: []snapshot.AccessKey{{AccessKeyID: "AKIA1", Status: "Active"}, {AccessKeyID: "AKIA2", Status: "Active"}}},
			{UserName: "dee", Arn: userArn("dee"), AccessKeys: []snapshot.AccessKey{{AccessKeyID: "AKIA3", Status: "Active"}, {AccessKeyID: "AKIA4", Status: "Inactive"}}},
			{UserName: "eve", Arn: userArn("eve"), AccessKeys: []snapshot.AccessKey{}},
		}}, []result{
			fail(userArn("ann"), "User has 2 active access keys: AKIA1, AKIA2."),
			pass(userArn("dee"), "User has one active access key."),
		}},
		{"report slots", &acct{report: []snapshot.CredentialReportRow{two, one}}, []result{
			fail(userArn("ben"), "User has 2 active access keys: key 1, key 2."),
			pass(userArn("cy"), "User has one active access key."),
		}},
	})
}
