package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckSupportRole(t *testing.T) {
	t.Parallel()
	role := func(name, policyArn string) snapshot.Role {
		return snapshot.Role{RoleName: name, AttachedManagedPolicies: []snapshot.AttachedPolicy{{PolicyName: "AWSSupportAccess", PolicyArn: policyArn}}}
	}
	testCheck(t, CheckSupportRole, []checkCase{
		{"support roles", &acct{roles: []snapshot.Role{
			role("ops", "arn:aws:iam::aws:policy/AWSSupportAccess"),
			role("help", "arn:aws-us-gov:iam::aws:policy/AWSSupportAccess"),
			{RoleName: "other"},
		}}, []result{pass(PrincipalAccount, "AWSSupportAccess is attached to: help, ops.")}},
		{"a customer policy of that name", &acct{roles: []snapshot.Role{role("fake", "arn:aws:iam::"+testAccount+":policy/AWSSupportAccess")}},
			[]result{fail(PrincipalAccount, "None of the account's 1 role has AWSSupportAccess attached.")}},
		{"no roles", &acct{roles: []snapshot.Role{}},
			[]result{fail(PrincipalAccount, "None of the account's 0 roles has AWSSupportAccess attached.")}},
		{"no roles.json", &acct{}, nil},
	})
}
