package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckCloudShellFullAccess(t *testing.T) {
	t.Parallel()
	cs := snapshot.AttachedPolicy{PolicyName: "AWSCloudShellFullAccess", PolicyArn: "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"}
	mine := snapshot.AttachedPolicy{PolicyName: "AWSCloudShellFullAccess", PolicyArn: "arn:aws:iam::" + testAccount + ":policy/AWSCloudShellFullAccess"}
	testCheck(t, CheckCloudShellFullAccess, []checkCase{
		{"attached", &acct{
			users:  []snapshot.User{{UserName: "ann", Arn: userArn("ann"), AttachedManagedPolicies: []snapshot.AttachedPolicy{mine}}},
			groups: []snapshot.Group{{GroupName: "devs", Arn: groupArn("devs"), AttachedManagedPolicies: []snapshot.AttachedPolicy{cs}}},
		}, []result{fail(groupArn("devs"), "AWSCloudShellFullAccess is attached to the group.")}},
		{"not attached", &acct{users: []snapshot.User{{UserName: "ann", Arn: userArn("ann"), AttachedManagedPolicies: []snapshot.AttachedPolicy{mine}}}},
			[]result{pass(PrincipalAccount, "AWSCloudShellFullAccess is attached to no user, group or role.")}},
		{"no IAM data", &acct{}, nil},
	})
	if got := CheckCloudShellFullAccess.Compliance; len(got) != 3 || got[2] != "cis_3.0_aws:1.22" {
		t.Errorf("compliance %v: CIS has the recommendation since v3.0", got)
	}
}
