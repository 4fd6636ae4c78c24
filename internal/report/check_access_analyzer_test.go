package report

import (
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckAccessAnalyzer(t *testing.T) {
	t.Parallel()
	analyzer := func(name, typ, status string) snapshot.Resource {
		return snapshot.Resource{Service: "access-analyzer", Type: "analyzer", Name: name,
			Attributes: map[string]string{"AnalyzerType": typ, "Status": status}}
	}
	scan := func(region, status string, warned bool, rs ...snapshot.Resource) snapshot.RegionScan {
		s := snapshot.RegionScan{Region: region, Status: status, Collectors: []string{"kms", "access-analyzer"}, Resources: rs}
		if warned {
			s.Warnings = []snapshot.CollectorWarning{{Collector: "access-analyzer", Region: region, Code: "AccessDeniedException"}}
		}
		return s
	}
	with := func(scans ...snapshot.RegionScan) *acct { return &acct{analyzers: analyzersOf(scans)} }
	key := snapshot.Resource{Service: "kms", Type: "key", Name: "k"}
	testCheck(t, CheckAccessAnalyzer, []checkCase{
		{"active in every region", with(
			scan("eu-west-1", snapshot.StatusOK, false, key, analyzer("ext", "ACCOUNT", "ACTIVE")),
			scan("us-east-1", snapshot.StatusOK, false, analyzer("org", "ORGANIZATION", "ACTIVE"))),
			[]result{
				pass(PrincipalAccount, "Access Analyzer is active in eu-west-1: ext (ACCOUNT).").in("eu-west-1"),
				pass(PrincipalAccount, "Access Analyzer is active in us-east-1: org (ORGANIZATION).").in("us-east-1"),
			}},
		{"missing in one region", with(
			scan("eu-west-1", snapshot.StatusOK, false, key),
			scan("us-east-1", snapshot.StatusPartial, false, analyzer("ext", "ACCOUNT", "ACTIVE"))),
			[]result{
				fail(PrincipalAccount, "No Access Analyzer analyzer in eu-west-1.").in("eu-west-1"),
				pass(PrincipalAccount, "Access Analyzer is active in us-east-1: ext (ACCOUNT).").in("us-east-1"),
			}},
		{"not active", with(scan("eu-west-1", snapshot.StatusOK, false, analyzer("ext", "ACCOUNT", "FAILED"))),
			[]result{fail(PrincipalAccount, "No analyzer is active in eu-west-1 (1 not active).").in("eu-west-1")}},
		// Not judged: the listing was denied, the region skipped or failed,
		// or the run is from before the collector.
		{"denied", with(scan("eu-west-1", snapshot.StatusPartial, true)), nil},
		{"skipped and failed", with(scan("ap-east-1", snapshot.StatusSkipped, false), scan("eu-west-1", snapshot.StatusFailed, false)), nil},
		{"older run", with(snapshot.RegionScan{Region: "eu-west-1", Status: snapshot.StatusOK, Collectors: []string{"kms"}}), nil},
		{"no regions", &acct{}, nil},
	})
}

func TestRegionalFindingsHaveTheirRegionAndID(t *testing.T) {
	t.Parallel()
	a := &acct{account: snapshot.Account{ID: "111111111111"}}
	c := CheckAccessAnalyzer
	eu := c.finding(a, fail(PrincipalAccount, "x").in("eu-west-1"))
	us := c.finding(a, fail(PrincipalAccount, "x").in("us-east-1"))
	global := CheckSecurityContact.finding(a, fail(PrincipalAccount, "x"))
	if eu.Region != "eu-west-1" || us.Region != "us-east-1" || global.Region != RegionGlobal {
		t.Fatalf("regions %q %q %q", eu.Region, us.Region, global.Region)
	}
	if eu.ID == us.ID {
		t.Fatalf("two regions' findings share the id %s", eu.ID)
	}
	if again := c.finding(a, fail(PrincipalAccount, "y").in("eu-west-1")); again.ID != eu.ID {
		t.Fatalf("the same region's finding changed id: %s, %s", again.ID, eu.ID)
	}
}
