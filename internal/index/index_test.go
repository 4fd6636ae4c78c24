package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

const fixtureRun = "2026-11-20"

func fixtureReader(t testing.TB) snapshot.Reader {
	t.Helper()
	root, err := filepath.Abs("testdata/store")
	if err != nil {
		t.Fatal(err)
	}
	return snapshot.Reader{Store: store.NewFile(root), Run: fixtureRun}
}

// buildFixture builds the fixture's index into a temp folder and opens it.
func buildFixture(t *testing.T) (*DB, string, Stats) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "index.sqlite")
	st, err := Build(context.Background(), fixtureReader(t), path, BuildOptions{ToolVersion: "v-test", Now: fixtureClock})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path, st
}

// col returns the values of one column.
func col(t *testing.T, r Rows, name string) []string {
	t.Helper()
	for i, c := range r.Columns {
		if c == name {
			out := make([]string, len(r.Data))
			for j, row := range r.Data {
				out[j] = row[i]
			}
			return out
		}
	}
	t.Fatalf("no column %q in %v", name, r.Columns)
	return nil
}

// rec returns row i as a map.
func rec(r Rows, i int) map[string]string {
	m := map[string]string{}
	for j, c := range r.Columns {
		m[c] = r.Data[i][j]
	}
	return m
}

func TestBuildStats(t *testing.T) {
	db, _, st := buildFixture(t)
	if st.Accounts != 3 {
		t.Errorf("Accounts = %d, want 3", st.Accounts)
	}
	if st.Principals != 14 { // 2 users, 2 groups, 4 roles; 2 users, 3 roles; 1 user
		r, _ := db.SQL(context.Background(), "SELECT count(*) FROM principals")
		t.Errorf("Principals = %d, table has %v", st.Principals, r.Data)
	}
	if st.Statements == 0 || st.Rows <= st.Principals+st.Statements || st.Bytes == 0 {
		t.Errorf("stats %+v", st)
	}
	ctx := context.Background()
	checks := []struct {
		q    string
		want string
	}{
		{"SELECT group_concat(id || ':' || scan_status, ' ') FROM (SELECT * FROM accounts ORDER BY id)",
			"111111111111:ok 222222222222:ok 333333333333:failed 444444444444:skipped 555555555555:not_listed"},
		{"SELECT alias FROM accounts WHERE id = '111111111111'", "acme-management"},
		{"SELECT scan_phase FROM accounts WHERE id = '333333333333'", "collect"},
		{"SELECT path FROM ous WHERE id = 'ou-prod'", "Root/Workloads/Prod"},
		{"SELECT ou_path FROM accounts WHERE id = '222222222222'", "Root/Workloads/Prod"},
		{"SELECT count(*) FROM principals", "14"},
		{"SELECT mfa FROM principals WHERE name = 'alice'", "virtual"},
		{"SELECT mfa FROM principals WHERE name = 'carol'", "hardware"},
		{"SELECT mfa FROM principals WHERE name = 'dave'", "none"},
		{"SELECT coalesce(mfa, 'NULL') FROM principals WHERE name = 'erin'", "NULL"},
		{"SELECT last_used FROM principals WHERE name = 'alice'", "2026-11-19T17:45:00Z"},
		{"SELECT last_used || ' ' || last_used_region FROM principals WHERE name = 'DeployRole'", "2026-11-19T23:59:59Z eu-west-1"},
		{"SELECT boundary_arn FROM principals WHERE name = 'carol'", "arn:aws:iam::222222222222:policy/Boundary"},
		{"SELECT DISTINCT source FROM statements WHERE policy_id = 'arn:aws:iam::222222222222:policy/Boundary'", "boundary"},
		{"SELECT count(*) FROM policies WHERE aws_managed = 1 AND account_id IS NULL", "2"},
		{"SELECT group_concat(version_id || '=' || is_default, ' ') FROM (SELECT * FROM policy_versions WHERE policy_arn LIKE '%DevPolicy' ORDER BY version_id)", "v1=0 v2=1"},
		// only the default version's statements are flattened: v1's Allow * is not there
		{"SELECT count(*) FROM statements WHERE policy_id LIKE '%DevPolicy' AND action = '*'", "0"},
		// ReadData has 1 action × 2 resources
		{"SELECT count(*) FROM statements WHERE policy_id LIKE '%DevPolicy' AND sid = 'ReadData'", "2"},
		{"SELECT group_concat(via, ',') FROM (SELECT via FROM attachments WHERE principal_arn LIKE '%user/bob' ORDER BY via, policy_id)", "Devs,Devs,direct"},
		{"SELECT id FROM inline_policies WHERE name = 'devs-dynamodb'", "inline:arn:aws:iam::111111111111:group/Devs:devs-dynamodb"},
		{"SELECT group_arn || ' ' || user_name FROM group_members WHERE user_name = 'alice'", "arn:aws:iam::111111111111:group/Admins alice"},
		{"SELECT last_used_date || ' ' || last_used_service || ' ' || last_used_region FROM access_keys WHERE key_id = 'AKIAALICE00000000002'", "2025-07-01T00:00:00Z sts eu-west-1"},
		{"SELECT coalesce(last_used_date, 'NULL') FROM access_keys WHERE key_id = 'AKIABOB0000000000001'", "NULL"},
		{"SELECT account_id FROM access_keys WHERE key_id = 'AKIAERIN000000000001'", "333333333333"},
		{"SELECT count(*) FROM credential_report", "6"},
		{"SELECT password_last_used_no_info FROM credential_report WHERE user = 'carol'", "1"},
		{"SELECT mfa_active FROM credential_report WHERE account_id = '111111111111' AND user = '<root_account>'", "1"},
		{"SELECT trusted_account || ' ' || cross_account || external_to_org || has_external_id FROM trusts WHERE role_name = 'VendorRole'", "999999999999 111"},
		{"SELECT trusted_account || ' ' || cross_account || external_to_org FROM trusts WHERE role_name = 'CrossRole'", "222222222222 10"},
		{"SELECT cross_account FROM trusts WHERE role_name = 'OrganizationAccountAccessRole'", "0"},
		{"SELECT coalesce(trusted_account, 'NULL') || ' ' || cross_account FROM trusts WHERE role_name = 'ServiceRole'", "NULL 0"},
		{"SELECT trusted_account || ' ' || external_to_org || has_condition FROM trusts WHERE role_name = 'PublicRole'", "* 11"},
		{"SELECT count(*) FROM trusts WHERE role_name = 'ReadRole'", "2"},
		{"SELECT check_id || ' ' || check_id_legacy || ' ' || severity || ' ' || principal FROM findings", "1.9 1.10 high arn:aws:iam::222222222222:user/dave"},
		{"SELECT evidence || ' ' || status || ' ' || account_name FROM findings", "User has a console password and no MFA. FAIL dev"}, // "extra" ignored
		{"SELECT value FROM meta WHERE key = 'run'", fixtureRun},
		{"SELECT value FROM meta WHERE key = 'complete'", "0"},
		{"SELECT value FROM meta WHERE key = 'tool_version'", "v-test"},
		{"SELECT value FROM meta WHERE key = 'built_at'", "2026-11-20T08:30:00Z"},
		{"SELECT version FROM schema_version", fmt.Sprint(SchemaVersion)},
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

// fixtureClock is the build clock of the fixture index, in another time
// zone than UTC so that the stored value shows it is converted.
func fixtureClock() time.Time {
	return time.Date(2026, 11, 20, 9, 30, 0, 0, time.FixedZone("CET", 3600))
}

// dump returns every row of every table (except meta.built_at), ordered.
func dump(t *testing.T, db *DB) map[string][][]string {
	t.Helper()
	ctx := context.Background()
	tables, err := db.SQL(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][][]string{}
	for _, row := range tables.Data {
		name := row[0]
		q := "SELECT * FROM " + name + " ORDER BY rowid"
		if name == "meta" {
			q = "SELECT * FROM meta WHERE key <> 'built_at' ORDER BY key"
		}
		r, err := db.SQL(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = r.Data
	}
	return out
}

func TestRebuildIdentical(t *testing.T) {
	db1, _, _ := buildFixture(t)
	db2, _, _ := buildFixture(t)
	d1, d2 := dump(t, db1), dump(t, db2)
	if len(d1) < 15 {
		t.Fatalf("only %d tables dumped", len(d1))
	}
	for name, rows := range d1 {
		if !reflect.DeepEqual(rows, d2[name]) {
			t.Errorf("table %s differs between two builds", name)
		}
	}
	if len(d1["statements"]) == 0 || len(d1["principals"]) == 0 {
		t.Error("empty dump")
	}
}

func TestKey(t *testing.T) {
	db, _, _ := buildFixture(t)
	ctx := context.Background()
	r, err := db.Key(ctx, "akiaalice00000000001")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Data) != 1 {
		t.Fatalf("got %d rows", len(r.Data))
	}
	got := rec(r, 0)
	want := map[string]string{"key_id": "AKIAALICE00000000001", "status": "Active", "created": "2025-01-10T08:00:00Z",
		"last_used": "2026-11-19T17:45:00Z", "last_used_service": "s3", "last_used_region": "us-east-1",
		"user": "alice", "user_arn": "arn:aws:iam::111111111111:user/alice", "account_id": "111111111111", "account_name": "management"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Key:\n got %v\nwant %v", got, want)
	}
	_, err = db.Key(ctx, "AKIAUNKNOWN000000000")
	if err == nil || err.Error() != "access key AKIAUNKNOWN000000000 is not in run 2026-11-20" {
		t.Errorf("unknown key: got %v", err)
	}
}

func TestPrincipal(t *testing.T) {
	db, _, _ := buildFixture(t)
	ctx := context.Background()
	tests := []struct {
		q    string
		want []string // ARNs
	}{
		{"arn:aws:iam::111111111111:user/bob", []string{"arn:aws:iam::111111111111:user/bob"}},
		{"ALICE", []string{"arn:aws:iam::111111111111:user/alice"}},
		{"devs", []string{"arn:aws:iam::111111111111:group/Devs"}},
		{"*Role", []string{
			"arn:aws:iam::111111111111:role/CrossRole", "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole",
			"arn:aws:iam::111111111111:role/ServiceRole", "arn:aws:iam::111111111111:role/VendorRole",
			"arn:aws:iam::222222222222:role/DeployRole", "arn:aws:iam::222222222222:role/PublicRole", "arn:aws:iam::222222222222:role/ReadRole"}},
		{"arn:aws:iam::222222222222:user/?a*", []string{"arn:aws:iam::222222222222:user/carol", "arn:aws:iam::222222222222:user/dave"}},
		{"*:333333333333:*", []string{"arn:aws:iam::333333333333:user/erin"}},
	}
	for _, tt := range tests {
		r, err := db.Principal(ctx, tt.q)
		if err != nil {
			t.Errorf("%s: %v", tt.q, err)
			continue
		}
		if got := col(t, r, "arn"); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Principal(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
	r, err := db.Principal(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if g := rec(r, 0); g["groups"] != "Devs" || g["policies"] != "DevPolicy,bob-own-bucket,devs-dynamodb" || g["account_name"] != "management" {
		t.Errorf("bob: %v", g)
	}
	for _, q := range []string{"nobody", "no*body", ""} {
		if _, err := db.Principal(ctx, q); err == nil {
			t.Errorf("Principal(%q): want an error", q)
		}
	}
}

func TestTrusts(t *testing.T) {
	db, _, _ := buildFixture(t)
	ctx := context.Background()
	tests := []struct {
		account  string
		external bool
		want     []string // role_name principal_value
	}{
		{"", false, []string{"CrossRole 222222222222", "VendorRole arn:aws:iam::999999999999:root",
			"DeployRole arn:aws:iam::111111111111:role/CrossRole", "PublicRole *", "ReadRole 333333333333"}},
		{"", true, []string{"VendorRole arn:aws:iam::999999999999:root", "PublicRole *"}},
		{"111111111111", false, []string{"CrossRole 222222222222", "VendorRole arn:aws:iam::999999999999:root"}},
		{"prod", false, []string{"DeployRole arn:aws:iam::111111111111:role/CrossRole", "PublicRole *", "ReadRole 333333333333"}},
		{"acme-prod", true, []string{"PublicRole *"}},
		{"333333333333", false, nil},
	}
	for _, tt := range tests {
		r, err := db.Trusts(ctx, tt.account, tt.external)
		if err != nil {
			t.Errorf("Trusts(%q, %v): %v", tt.account, tt.external, err)
			continue
		}
		var got []string
		for i := range r.Data {
			m := rec(r, i)
			got = append(got, m["role_name"]+" "+m["principal_value"])
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Trusts(%q, %v) =\n %v\nwant\n %v", tt.account, tt.external, got, tt.want)
		}
	}
	r, _ := db.Trusts(ctx, "111111111111", false)
	if m := rec(r, 1); m["external_id"] != "yes" || m["external_to_org"] != "yes" || m["trusted_account"] != "999999999999" {
		t.Errorf("VendorRole: %v", m)
	}
	if m := rec(r, 0); m["trusted_account_name"] != "prod" || m["external_to_org"] != "no" {
		t.Errorf("CrossRole: %v", m)
	}
	if _, err := db.Trusts(ctx, "no-such-account", false); err == nil || !strings.Contains(err.Error(), "no-such-account") {
		t.Errorf("unknown account: %v", err)
	}
}

func TestCan(t *testing.T) {
	db, _, _ := buildFixture(t)
	ctx := context.Background()
	const (
		alice   = "alice"
		admins  = "Admins"
		bob     = "bob"
		devs    = "Devs"
		oaar    = "OrganizationAccountAccessRole"
		service = "ServiceRole"
		cross   = "CrossRole"
		vendor  = "VendorRole"
		carol   = "carol"
		dave    = "dave"
		deploy  = "DeployRole"
		read    = "ReadRole"
	)
	readers := []string{cross, vendor, carol, read}
	everyone := []string{alice, admins, oaar, dave, deploy}
	join := func(lists ...[]string) []string {
		var out []string
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}
	tests := []struct {
		name             string
		action, resource string
		want             []string // principal names
	}{
		{"wildcard action s3:Get*", "s3:GetObject", "arn:aws:s3:::data/report.csv", join(everyone, readers, []string{bob, devs, service})},
		{"case-insensitive action", "S3:getobject", "arn:aws:s3:::data/report.csv", join(everyone, readers, []string{bob, devs, service})},
		{"explicit deny subtracts", "s3:GetObject", "arn:aws:s3:::data/secret/key", join(everyone, readers, []string{service})},
		{"resource is case-sensitive", "s3:GetObject", "arn:aws:s3:::DATA/report.csv", join(everyone, readers, []string{service})},
		{"question mark matches one character", "ec2:DescribeInstances", "*", join(everyone, readers, []string{bob, devs, service})},
		{"question mark does not match two", "ec2:DescribeInstancesXY", "*", join(everyone, readers, []string{service})},
		{"NotAction excludes listed", "iam:CreateUser", "*", everyone},
		{"NotAction covers unlisted", "sqs:SendMessage", "*", join(everyone, []string{service})},
		{"deny in inline policy subtracts", "s3:DeleteObject", "arn:aws:s3:::bob/x", join(everyone, []string{service})},
		{"inline allow on a bucket", "s3:PutObject", "arn:aws:s3:::bob/x", join(everyone, []string{bob, service})},
		{"any resource", "s3:PutObject", "", join(everyone, []string{service, bob})},
		{"every resource", "s3:PutObject", "*", join(everyone, []string{service})},
		{"conditional allow through group", "dynamodb:PutItem", "*", join(everyone, []string{bob, devs, service})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := db.Can(ctx, tt.action, tt.resource)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, p := range col(t, r, "principal") {
				got[p] = true
			}
			want := map[string]bool{}
			for _, p := range tt.want {
				want[p] = true
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Can(%s, %s):\n got %v\nwant %v", tt.action, tt.resource, keys(got), keys(want))
			}
		})
	}

	r, err := db.Can(ctx, "dynamodb:PutItem", "*")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for i := range r.Data {
		m := rec(r, i)
		if m["principal"] == "bob" {
			found = true
			if m["policy"] != "devs-dynamodb" || m["via"] != "Devs" || m["conditional"] != "yes" || m["policy_kind"] != "inline" {
				t.Errorf("bob's dynamodb grant: %v", m)
			}
		}
		if m["principal"] == "alice" && (m["via"] != "Admins" || m["policy"] != "AdministratorAccess" || m["conditional"] != "no") {
			t.Errorf("alice's grant: %v", m)
		}
	}
	if !found {
		t.Error("bob not listed for dynamodb:PutItem")
	}
	if _, err := db.Can(ctx, "", ""); err == nil {
		t.Error("empty action: want an error")
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return sortStrings(out)
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

func TestAdmins(t *testing.T) {
	db, _, _ := buildFixture(t)
	r, err := db.Admins(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range r.Data {
		m := rec(r, i)
		got = append(got, m["principal"]+"/"+m["via"]+"/"+m["reason"])
	}
	want := []string{
		"Admins/direct/AWS managed AdministratorAccess",
		"OrganizationAccountAccessRole/direct/AWS managed AdministratorAccess",
		"alice/Admins/AWS managed AdministratorAccess",
		"DeployRole/direct/AWS managed AdministratorAccess",
		"dave/direct/Allow * on *",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Admins:\n got %v\nwant %v", got, want)
	}
}

func TestSQLReadOnly(t *testing.T) {
	db, _, _ := buildFixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	defer func() {
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("a refused statement created %s", ents[0].Name())
		}
	}()
	for _, q := range []string{
		"DELETE FROM principals",
		"INSERT INTO meta(key, value) VALUES('x', 'y')",
		"DROP TABLE principals",
		"UPDATE accounts SET name = 'x'",
		"ATTACH DATABASE '" + filepath.Join(dir, "attached.db") + "' AS x",
		"VACUUM INTO '" + filepath.Join(dir, "copy.db") + "'",
		"PRAGMA writable_schema = 1",
		"SELECT load_extension('x')",
		"BEGIN",
		"WITH x AS (SELECT 1) INSERT INTO meta SELECT 'a', 'b' FROM x",
	} {
		_, err := db.SQL(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("%s: got %v, want a read-only error", q, err)
		}
	}
	r, err := db.SQL(ctx, "SELECT count(*) AS n FROM principals")
	if err != nil || r.Columns[0] != "n" || r.Data[0][0] != "14" {
		t.Errorf("after refused writes: %v %v", r, err)
	}
	if r, err := db.SQL(ctx, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 3) SELECT count(*), upper('a') FROM n"); err != nil || r.Data[0][0] != "3" {
		t.Errorf("CTE and functions: %v %v", r, err)
	}
	if _, err := db.SQL(ctx, "SELECT nope FROM principals"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("bad column: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing.sqlite")); err == nil || !strings.Contains(err.Error(), "missing.sqlite") {
		t.Errorf("missing file: %v", err)
	}
	_, err := Build(context.Background(), snapshot.Reader{Store: fixtureReader(t).Store, Run: "2026-01-01"}, filepath.Join(t.TempDir(), "i.sqlite"), BuildOptions{})
	if err == nil || !strings.Contains(err.Error(), "2026-01-01") {
		t.Errorf("run without accounts.json: %v", err)
	}
}

// TestLookupsUseIndexes checks the plans of the queries with a latency
// target (key, principal by ARN, trusts of an account) on an index of 40
// synthetic accounts (with statistics that make a scan costlier than a
// search, as on real snapshots): every table is searched through an index,
// none is scanned whole.
func TestLookupsUseIndexes(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	if err := writeSynthetic(root, "2026-11-20", 40); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "index.sqlite")
	if _, err := Build(context.Background(), snapshot.Reader{Store: store.NewFile(root), Run: "2026-11-20"}, path, BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.explain = true
	ctx := context.Background()
	acct := benchAcct(7)
	for _, c := range []struct {
		name string
		run  func() (Rows, error)
	}{
		{"key", func() (Rows, error) { return db.Key(ctx, fmt.Sprintf("AKIA%s%04d", acct, 3)) }},
		{"principal by ARN", func() (Rows, error) { return db.Principal(ctx, "arn:aws:iam::"+acct+":user/user-3") }},
		{"trusts --account", func() (Rows, error) { return db.Trusts(ctx, acct, false) }},
	} {
		r, err := c.run()
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		plan := strings.Join(col(t, r, "detail"), "\n")
		if !strings.Contains(plan, "SEARCH") {
			t.Errorf("%s: no index search in the plan:\n%s", c.name, plan)
		}
		for _, line := range col(t, r, "detail") {
			// Scanning a subquery's or CTE's own rows is fine; scanning a table is not.
			if strings.HasPrefix(line, "SCAN ") && !strings.HasPrefix(line, "SCAN (") {
				t.Errorf("%s: scans a table: %q\n%s", c.name, line, plan)
			}
		}
	}
}

// TestOpenRefusesOtherSchemaVersion: an index built by an orgiam with another
// schema is refused with the way out, not queried into "no such table".
func TestOpenRefusesOtherSchemaVersion(t *testing.T) {
	_, path, _ := buildFixture(t)
	w, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec("UPDATE schema_version SET version = ?", SchemaVersion-1); err != nil {
		t.Fatal(err)
	}
	w.Close()
	_, err = Open(path)
	want := fmt.Sprintf("schema version %d, this orgiam reads version %d: rebuild it with `orgiam index`", SchemaVersion-1, SchemaVersion)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Open: %v, want %q", err, want)
	}
}

// cancelStore cancels a context once it has served n reads.
type cancelStore struct {
	store.Store
	n      *atomic.Int64
	after  int64
	cancel context.CancelFunc
}

func (s cancelStore) Get(ctx context.Context, key string) ([]byte, error) {
	if s.n.Add(1) == s.after {
		s.cancel()
	}
	return s.Store.Get(ctx, key)
}

// TestBuildInterruptedLeavesNothing: a build cancelled part-way returns the
// context's error and leaves neither an index nor its temporary file, and an
// index already in place is kept as it was.
func TestBuildInterruptedLeavesNothing(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	if err := writeSynthetic(root, "2026-11-20", 60); err != nil {
		t.Fatal(err)
	}
	for _, existing := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "index.sqlite")
		if existing {
			if err := os.WriteFile(path, []byte("previous index"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		st := cancelStore{Store: store.NewFile(root), n: new(atomic.Int64), after: 100, cancel: cancel}
		_, err := Build(ctx, snapshot.Reader{Store: st, Run: "2026-11-20"}, path, BuildOptions{})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Build after cancel: %v, want context.Canceled", err)
		}
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		switch {
		case existing && (len(names) != 1 || names[0] != "index.sqlite"):
			t.Errorf("with an index in place, folder holds %v", names)
		case !existing && len(names) != 0:
			t.Errorf("folder holds %v after an interrupted build", names)
		}
		if existing {
			if b, _ := os.ReadFile(path); string(b) != "previous index" {
				t.Errorf("index in place changed: %q", b)
			}
		}
	}
}
