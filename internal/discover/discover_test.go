package discover

import (
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func testOrgs() []*Org {
	ous := []snapshot.OU{
		{ID: "r-ab12", Type: "ROOT", Path: "Root"},
		{ID: "ou-ab12-11111111", ParentID: "r-ab12", Path: "Root/Workloads"},
		{ID: "ou-ab12-22222222", ParentID: "ou-ab12-11111111", Path: "Root/Workloads/Prod"},
		{ID: "ou-ab12-33333333", ParentID: "r-ab12", Path: "Root/Sandbox"},
	}
	org1 := &Org{Organization: snapshot.Organization{ID: "o-one"}, OUs: ous, Accounts: []snapshot.Account{
		{ID: "111111111111", Status: "ACTIVE", ParentID: "r-ab12"},
		{ID: "222222222222", Status: "ACTIVE", ParentID: "ou-ab12-11111111"},
		{ID: "333333333333", Status: "ACTIVE", ParentID: "ou-ab12-22222222"},
		{ID: "444444444444", Status: "SUSPENDED", ParentID: "ou-ab12-22222222"},
		{ID: "555555555555", Status: "PENDING_CLOSURE", ParentID: "ou-ab12-33333333"},
		{ID: "666666666666", Status: "ACTIVE", ParentID: "ou-ab12-33333333"},
	}}
	org2 := &Org{Organization: snapshot.Organization{ID: "o-two"}, OUs: []snapshot.OU{{ID: "r-cd34", Type: "ROOT"}}, Accounts: []snapshot.Account{
		{ID: "777777777777", Status: "ACTIVE", ParentID: "r-cd34"},
		{ID: "222222222222", Status: "ACTIVE", ParentID: "r-cd34"}, // listed twice: kept once, from the first organization
	}}
	return []*Org{org1, org2}
}

func ids(a []snapshot.Account) string {
	var s []string
	for _, x := range a {
		s = append(s, x.ID[:1])
	}
	return strings.Join(s, "")
}

func TestSelect(t *testing.T) {
	tests := []struct {
		name        string
		f           Filter
		scan, skip  string
		wantErr     string
		skipReasons map[string]string
	}{
		{name: "all active, suspended and pending closure skipped, duplicate removed", scan: "12367", skip: "45",
			skipReasons: map[string]string{"444444444444": "SUSPENDED", "555555555555": "PENDING_CLOSURE"}},
		{name: "include list", f: Filter{Accounts: []string{"333333333333", "777777777777"}}, scan: "37", skip: "12456"},
		{name: "exclude", f: Filter{Exclude: []string{"111111111111"}}, scan: "2367", skip: "145",
			skipReasons: map[string]string{"111111111111": "--exclude-accounts"}},
		{name: "OU filter walks nested OUs", f: Filter{OUs: []string{"ou-ab12-11111111"}}, scan: "23", skip: "14567"},
		{name: "OU filter on a root", f: Filter{OUs: []string{"r-cd34"}}, scan: "7", skip: "123456"},
		{name: "unknown included account", f: Filter{Accounts: []string{"999999999999"}}, wantErr: "999999999999 not found"},
		{name: "unknown OU", f: Filter{OUs: []string{"ou-zz99-99999999"}}, wantErr: "ou-zz99-99999999 not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scan, skip, err := Select(testOrgs(), tt.f)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ids(scan) != tt.scan || ids(skip) != tt.skip {
				t.Fatalf("scan %s skip %s, want %s / %s", ids(scan), ids(skip), tt.scan, tt.skip)
			}
			for _, s := range skip {
				if s.SkipReason == "" {
					t.Errorf("%s skipped without reason", s.ID)
				}
				if want, ok := tt.skipReasons[s.ID]; ok && !strings.Contains(s.SkipReason, want) {
					t.Errorf("%s reason %q, want %q", s.ID, s.SkipReason, want)
				}
			}
		})
	}
}
