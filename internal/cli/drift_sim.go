package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// DriftChanges are what simulateDrift does to a simulated organization
// between two demo runs, for the demo's drift page and the tests that read
// it: the first scanned member account gets a new administrator with a
// console password and no MFA, an access key and a role trusting an account
// outside the organization.
type DriftChanges struct {
	AccountID   string
	UserArn     string
	AccessKeyID string
	RoleArn     string
	Outside     string
}

// simulateDrift changes the world in place. The world must keep every
// account it generated (fakeaws.Options.CacheAccounts at least the number of
// accounts), as the demo's worlds do: AccountData is otherwise regenerated
// from the seed and the change is lost.
func simulateDrift(world *fakeaws.World, now time.Time) (DriftChanges, error) {
	var target *fakeaws.AccountMeta
	for _, a := range world.Accounts() {
		if !a.Management && a.Status == "ACTIVE" {
			target = a
			break
		}
	}
	if target == nil {
		return DriftChanges{}, fmt.Errorf("no active member account to change")
	}
	d := world.Account(target.ID)
	partition := world.Options().Partition
	if partition == "" {
		partition = "aws"
	}
	outside := "999999999999"
	if o := world.OutsideAccounts(); len(o) > 0 {
		outside = o[0]
	}
	created := now.UTC().Truncate(time.Second)
	ch := DriftChanges{
		AccountID:   target.ID,
		UserArn:     fmt.Sprintf("arn:%s:iam::%s:user/ext-contractor", partition, target.ID),
		AccessKeyID: "AKIADRIFTCONTRACTOR1",
		RoleArn:     fmt.Sprintf("arn:%s:iam::%s:role/vendor-audit", partition, target.ID),
		Outside:     outside,
	}
	d.Users = append(d.Users, &fakeaws.User{
		User: snapshot.User{
			Path: "/", UserName: "ext-contractor", UserID: "AIDADRIFTCONTRACTOR1", Arn: ch.UserArn, CreateDate: &created,
			UserPolicyList: []snapshot.InlinePolicy{}, GroupList: []string{}, Tags: []snapshot.Tag{},
			AttachedManagedPolicies: []snapshot.AttachedPolicy{{PolicyName: "AdministratorAccess", PolicyArn: "arn:" + partition + ":iam::aws:policy/AdministratorAccess"}},
			AccessKeys:              []snapshot.AccessKey{{AccessKeyID: ch.AccessKeyID, Status: "Active", CreateDate: &created}},
		},
		PasswordEnabled:     true,
		PasswordLastChanged: &created,
		MFA:                 fakeaws.MFANone,
		KeyUse:              []fakeaws.KeyUse{{}},
	})
	trust, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:" + partition + ":iam::" + outside + ":root"}, "Action": "sts:AssumeRole"}}})
	d.Roles = append(d.Roles, snapshot.Role{
		Path: "/", RoleName: "vendor-audit", RoleID: "AROADRIFTVENDOR00001", Arn: ch.RoleArn, CreateDate: &created,
		AssumeRolePolicyDocument: trust, InstanceProfileList: []snapshot.InstanceProfile{}, RolePolicyList: []snapshot.InlinePolicy{},
		AttachedManagedPolicies: []snapshot.AttachedPolicy{{PolicyName: "ReadOnlyAccess", PolicyArn: "arn:" + partition + ":iam::aws:policy/ReadOnlyAccess"}},
		Tags:                    []snapshot.Tag{},
	})
	return ch, nil
}
