package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckGroupPermissions(t *testing.T) {
	t.Parallel()
	testCheck(t, CheckGroupPermissions, []checkCase{
		{"users", &acct{users: []snapshot.User{
			{UserName: "ann", Arn: userArn("ann"), UserID: "AIDA1", GroupList: []string{"admins"}},
			{UserName: "ben", Arn: userArn("ben"), UserID: "AIDA2",
				AttachedManagedPolicies: []snapshot.AttachedPolicy{{PolicyName: "ReadOnlyAccess", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
				UserPolicyList:          []snapshot.InlinePolicy{{PolicyName: "extra"}}},
		}}, []result{
			pass(userArn("ann"), "User has no attached or inline policies."),
			fail(userArn("ben"), "Policies on the user itself: ReadOnlyAccess (attached), extra (inline)."),
		}},
		{"only the credential report", &acct{report: []snapshot.CredentialReportRow{reportRow("cy")}}, nil},
	})
}
