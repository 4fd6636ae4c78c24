package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckAdminNoMFA(t *testing.T) {
	t.Parallel()
	withMFA, without, plain := reportRow("ann"), reportRow("ben"), reportRow("cy")
	withMFA.MFAActive = true
	user := func(name string, groups ...string) snapshot.User {
		return snapshot.User{UserName: name, Arn: userArn(name), GroupList: groups}
	}
	a := &acct{
		users:  []snapshot.User{user("ann", "admins"), user("ben", "admins"), user("cy")},
		groups: []snapshot.Group{{GroupName: "admins", Arn: groupArn("admins"), AttachedManagedPolicies: []snapshot.AttachedPolicy{adminAccess}}},
		report: []snapshot.CredentialReportRow{withMFA, without, plain},
	}
	bounded := user("dee", "admins")
	bounded.PermissionsBoundary = &snapshot.Boundary{PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}
	testCheck(t, CheckAdminNoMFA, []checkCase{
		{"users", a, []result{
			pass(userArn("ann"), "Administrator (through AdministratorAccess (AWS managed, through group admins)) with MFA."),
			fail(userArn("ben"), "Administrator (through AdministratorAccess (AWS managed, through group admins)) without MFA."),
		}},
		{"boundary", &acct{users: []snapshot.User{bounded}, groups: a.groups, report: []snapshot.CredentialReportRow{reportRow("dee")}}, nil},
	})
}
