package discover

import (
	"reflect"
	"sort"
)

// RoleActions are the IAM actions discovery calls, one per method of OrgAPI
// (organizations:<Method>): the list-accounts role grants them
// (deploy/iam/list-accounts-role-policy.json, checked by deploy's tests).
// Discovery calls Organizations only through OrgAPI, so a call added there
// is an action added here.
func RoleActions() []string {
	t := reflect.TypeFor[OrgAPI]()
	out := make([]string, 0, t.NumMethod())
	for i := range t.NumMethod() {
		out = append(out, "organizations:"+t.Method(i).Name)
	}
	sort.Strings(out)
	return out
}
