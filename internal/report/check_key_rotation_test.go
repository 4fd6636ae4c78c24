package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckKeyRotation(t *testing.T) {
	t.Parallel()
	slot := reportRow("ben")
	slot.AccessKeys[1] = snapshot.CredKey{Active: true, LastRotated: ago(91)}
	testCheck(t, CheckKeyRotation, []checkCase{
		{"users.json keys", &acct{users: []snapshot.User{
			{UserName: "ann", Arn: userArn("ann"), AccessKeys: []snapshot.AccessKey{{AccessKeyID: "AKIA1", Status: "Active", CreateDate: ago(90)}}},
			{UserName: "dee", Arn: userArn("dee"), AccessKeys: []snapshot.AccessKey{{AccessKeyID: "AKIA3", Status: "Active", CreateDate: ago(10)}, {AccessKeyID: "AKIA4", Status: "Active", CreateDate: ago(300)}}},
			{UserName: "eve", Arn: userArn("eve"), AccessKeys: []snapshot.AccessKey{{AccessKeyID: "AKIA5", Status: "Inactive", CreateDate: ago(300)}}},
		}}, []result{
			pass(userArn("ann"), "Every active access key is 90 days old or less."),
			fail(userArn("dee"), "Active access keys older than 90 days: AKIA4 created 2026-01-19 (300 days)."),
		}},
		{"report slots", &acct{report: []snapshot.CredentialReportRow{slot}}, []result{
			fail(userArn("ben"), "Active access keys older than 90 days: key 2 created 2026-08-16 (91 days)."),
		}},
	})
}
