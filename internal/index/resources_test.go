package index

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/index/indexfixture"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// buildResources writes the resource fixture run to a file store, indexes
// it and opens the index.
func buildResources(t *testing.T) (*DB, string) {
	t.Helper()
	ctx := context.Background()
	st := store.NewFile(t.TempDir())
	if err := indexfixture.WriteResourcesRun(ctx, st); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "index.sqlite")
	if _, err := Build(ctx, snapshot.Reader{Store: st, Run: indexfixture.Run}, path, BuildOptions{ToolVersion: "v-test"}); err != nil {
		t.Fatalf("Build: %v", err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestBuildResources(t *testing.T) {
	db, _ := buildResources(t)
	ctx := context.Background()
	checks := []struct{ q, want string }{
		{"SELECT count(*) FROM resources", "13"},
		{"SELECT group_concat(name || '=' || coalesce(exposure, '-') || conditional, ' ') FROM (SELECT * FROM resources ORDER BY account_id, name)",
			"1234abcd=account0 acl-public=-0 blocked-public=-0 org-queue=cross-account1 public-topic=public0 " +
				"closed-secret=-0 open-acl=public0 private=-0 shared-repo=cross-account0 site=public1 vendor-fn=external0 vpce-queue=public1 open=public0"},
		{"SELECT has_policy || block_public_acls || block_public_policy || ignore_public_acls || restrict_public_buckets FROM resources WHERE name = 'site'", "11100"},
		{"SELECT coalesce(block_public_acls, 'NULL') FROM resources WHERE name = 'private'", "NULL"},
		{"SELECT has_policy FROM resources WHERE name = 'private'", "0"},
		{"SELECT public_acl FROM resources WHERE name = 'open-acl'", "AuthenticatedUsers:READ"},
		{"SELECT public_policy FROM resources WHERE name = 'blocked-public'", "1"},
		{"SELECT public_policy FROM resources WHERE name = 'site'", "0"},
		{"SELECT region FROM resources WHERE name = 'acl-public'", "us-east-1"},
		{"SELECT region FROM resources WHERE name = 'org-queue'", "eu-west-1"},
		{"SELECT attributes FROM resources WHERE name = '1234abcd'", `{"KeyManager":"CUSTOMER","KeyState":"Enabled"}`},
		{"SELECT ignore_public_acls || restrict_public_buckets || block_public_policy FROM s3_account_block_public_access WHERE account_id = '111111111111'", "110"},
		{"SELECT count(*) FROM s3_account_block_public_access", "1"},
		// statements flattened: 2 actions × 1 resource for the topic; the repository has no Resource
		{"SELECT count(*) FROM resource_statements WHERE policy_id LIKE '%public-topic'", "2"},
		{"SELECT source || ' ' || coalesce(resource, 'NULL') FROM resource_statements WHERE policy_id LIKE '%shared-repo' LIMIT 1", "ecr NULL"},
		{"SELECT group_concat(effect, ',') FROM (SELECT effect FROM resource_statements WHERE policy_id LIKE '%closed-secret%' ORDER BY stmt_idx)", "Allow,Deny"},
		{"SELECT operator || ' ' || key || ' ' || value FROM resource_conditions WHERE resource_arn LIKE '%org-queue'", "StringEquals aws:PrincipalOrgID o-ours"},
		{"SELECT value FROM resource_conditions WHERE resource_arn LIKE '%:::site'", "203.0.113.0/24"},
		// grants
		{"SELECT class || ' ' || denied_by FROM resource_grants WHERE resource_arn LIKE '%closed-secret%'", "public 1"},
		{"SELECT blocked_by FROM resource_grants WHERE resource_arn = 'arn:aws:s3:::blocked-public'", "RestrictPublicBuckets (account)"},
		{"SELECT blocked_by || ' ' || principal_value || ' ' || stmt_idx FROM resource_grants WHERE resource_arn = 'arn:aws:s3:::acl-public'", "IgnorePublicAcls (account) AllUsers:READ -1"},
		{"SELECT conditions FROM resource_grants WHERE resource_arn LIKE '%vpce-queue'", "aws:SourceVpce StringNotEquals vpce-0abc (deny #1)"},
		{"SELECT principal_account || ' ' || class FROM resource_grants WHERE resource_arn LIKE '%vendor-fn'", "999999999999 external"},
		{"SELECT sid || ' ' || actions FROM resource_grants WHERE resource_arn LIKE '%public-topic'", "Anyone sns:Subscribe,sns:Publish"},
		// region scans and warnings
		{"SELECT group_concat(account_id || '/' || region || '=' || status, ' ') FROM (SELECT * FROM region_scans ORDER BY account_id, region)",
			"111111111111/ap-east-1=skipped 111111111111/eu-west-1=ok 222222222222/eu-west-1=partial 333333333333/eu-west-2=ok"},
		{"SELECT reason FROM region_scans WHERE region = 'ap-east-1'", "region not enabled in the account"},
		{"SELECT collectors || ' ' || warnings || ' ' || api_calls FROM region_scans WHERE account_id = '222222222222'", "ecr,lambda,secretsmanager,sqs 1 14"},
		{"SELECT collector || ' ' || region || ' ' || operation || ' ' || code FROM collector_warnings", "secretsmanager eu-west-1 secretsmanager:ListSecrets AccessDenied"},
		// a damaged region file: the account is partial, its other region is indexed
		{"SELECT scan_status FROM accounts WHERE id = '333333333333'", "partial"},
		{"SELECT instr(scan_error, 'regions/eu-west-1.json') > 0 FROM accounts WHERE id = '333333333333'", "1"},
		{"SELECT scan_status FROM accounts WHERE id = '222222222222'", "ok"},
		// organization policies
		{"SELECT group_concat(id || ':' || type || ':' || aws_managed, ' ') FROM (SELECT * FROM org_policies ORDER BY id)",
			"p-FullAWSAccess:SERVICE_CONTROL_POLICY:1 p-denyregions:SERVICE_CONTROL_POLICY:0 p-rcp1:RESOURCE_CONTROL_POLICY:0"},
		{"SELECT group_concat(target_id, ',') FROM (SELECT target_id FROM org_policy_targets WHERE policy_id = 'p-FullAWSAccess' ORDER BY target_id)", "222222222222,ou-ab12-prod,r-ab12"},
		{"SELECT source || ' ' || effect || ' ' || not_action || ' ' || has_condition FROM org_policy_statements WHERE policy_id = 'p-denyregions' LIMIT 1", "scp Deny 1 1"},
		{"SELECT count(*) FROM org_policy_statements WHERE policy_id = 'p-rcp1' AND source = 'rcp'", "2"},
		{"SELECT group_concat(level || ':' || target_id || ':' || coalesce(policy_id, '-'), ' ') FROM (SELECT * FROM policy_chains WHERE type = 'SERVICE_CONTROL_POLICY' ORDER BY level, policy_id)",
			"0:r-ab12:p-FullAWSAccess 1:ou-ab12-prod:p-FullAWSAccess 1:ou-ab12-prod:p-denyregions 2:222222222222:p-FullAWSAccess"},
		{"SELECT group_concat(level || ':' || coalesce(policy_id, '-'), ' ') FROM (SELECT * FROM policy_chains WHERE type = 'RESOURCE_CONTROL_POLICY' ORDER BY level)", "0:p-rcp1 1:- 2:-"},
		{"SELECT group_concat(account_id || ' ' || service_principal, ', ') FROM (SELECT * FROM delegated_administrators ORDER BY service_principal)",
			"222222222222 guardduty.amazonaws.com, 222222222222 securityhub.amazonaws.com"},
		{"SELECT value FROM meta WHERE key = 'complete'", "1"},
	}
	for _, c := range checks {
		r, err := db.SQL(ctx, c.q)
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		got := ""
		if len(r.Data) > 0 {
			got = r.Data[0][0]
		}
		if got != c.want {
			t.Errorf("%s\n got %q\nwant %q", c.q, got, c.want)
		}
	}
}

func TestResourcesRebuildIdentical(t *testing.T) {
	db1, _ := buildResources(t)
	db2, _ := buildResources(t)
	a, b := dump(t, db1), dump(t, db2)
	for _, tbl := range []string{"resources", "resource_grants", "resource_statements", "resource_conditions", "region_scans", "collector_warnings", "org_policies", "org_policy_targets", "policy_chains", "delegated_administrators"} {
		if len(a[tbl]) == 0 {
			t.Errorf("%s is empty", tbl)
		}
		if strings.Join(flat(a[tbl]), "\n") != strings.Join(flat(b[tbl]), "\n") {
			t.Errorf("%s differs between two builds", tbl)
		}
	}
}

func flat(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, "\x00")
	}
	return out
}

func TestQueryResources(t *testing.T) {
	db, _ := buildResources(t)
	ctx := context.Background()
	names := func(r Rows) string {
		var out []string
		for i := range r.Data {
			m := rec(r, i)
			s := m["name"] + "=" + m["exposure"]
			if m["conditional"] == "yes" {
				s += "?"
			}
			out = append(out, s)
		}
		return strings.Join(out, " ")
	}
	tests := []struct {
		name string
		f    ResourceFilter
		want string
	}{
		// in account, region, service and ARN order
		{"every exposure", ResourceFilter{}, "public-topic=public org-queue=cross-account? shared-repo=cross-account vendor-fn=external open-acl=public site=public? vpce-queue=public? open=public"},
		{"public", ResourceFilter{Public: true}, "public-topic=public open-acl=public site=public? vpce-queue=public? open=public"},
		{"cross-account", ResourceFilter{CrossAccount: true}, "org-queue=cross-account? shared-repo=cross-account"},
		{"external", ResourceFilter{External: true}, "vendor-fn=external"},
		{"public or external", ResourceFilter{Public: true, External: true}, "public-topic=public vendor-fn=external open-acl=public site=public? vpce-queue=public? open=public"},
		{"service", ResourceFilter{Service: "s3"}, "open-acl=public site=public?"},
		{"account by name", ResourceFilter{Account: "management"}, "public-topic=public org-queue=cross-account?"},
		{"account by id and service", ResourceFilter{Account: "222222222222", Service: "sqs"}, "vpce-queue=public?"},
		{"nothing", ResourceFilter{Service: "kms", Public: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := db.Resources(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(r); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
	r, err := db.Resources(ctx, ResourceFilter{Service: "s3", Public: true})
	if err != nil || len(r.Data) != 2 {
		t.Fatalf("%v %v", r, err)
	}
	site := rec(r, 1)
	if site["conditions"] != "aws:SourceIp IpAddress 203.0.113.0/24" || site["principals"] != "*:*" || site["statements"] != "Office" ||
		site["grants"] != "public *:* (Office: s3:GetObject) [aws:SourceIp IpAddress 203.0.113.0/24]" || site["region"] != "eu-west-1" || site["account_name"] != "workloads" {
		t.Errorf("site row %v", site)
	}
	if acl := rec(r, 0); acl["principals"] != "ACL:AuthenticatedUsers:READ" || acl["statements"] != "" || acl["conditional"] != "no" {
		t.Errorf("open-acl row %v", acl)
	}
	if _, err := db.Resources(ctx, ResourceFilter{Service: "dynamo"}); err == nil || !strings.Contains(err.Error(), `unknown service "dynamo"`) {
		t.Errorf("unknown service: %v", err)
	}
	if _, err := db.Resources(ctx, ResourceFilter{Account: "nobody"}); err == nil || !strings.Contains(err.Error(), `account "nobody" is not in run`) {
		t.Errorf("unknown account: %v", err)
	}
}
