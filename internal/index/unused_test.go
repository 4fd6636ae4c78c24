package index

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/index/indexfixture"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// The report as `orgiam policy unused` writes it: fields before and after
// "unused" are skipped, rows are kept in the file's order.
const unusedReportJSON = `{
  "version": 1,
  "run": "x",
  "failedAccounts": [{"account": "333333333333", "error": "AccessDenied"}],
  "unused": [
    {"account": "222222222222", "principal": "arn:aws:iam::222222222222:role/app", "service": "s3", "action": "s3:DeleteObject", "lastAccessed": "2026-01-02T03:04:05Z"},
    {"account": "111111111111", "principal": "arn:aws:iam::111111111111:user/alice", "service": "ec2"},
    {"account": "222222222222", "principal": "arn:aws:iam::222222222222:role/app", "service": "dynamodb"}
  ],
  "principalErrors": []
}
`

func buildWithUnused(t *testing.T, report string) (*DB, error) {
	t.Helper()
	ctx := context.Background()
	st := store.NewFile(t.TempDir())
	if err := indexfixture.WriteResourcesRun(ctx, st); err != nil {
		t.Fatal(err)
	}
	if report != "" {
		if err := st.Put(ctx, store.ReportKey(indexfixture.Run, UnusedReport), []byte(report)); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "index.sqlite")
	if _, err := Build(ctx, snapshot.Reader{Store: st, Run: indexfixture.Run}, path, BuildOptions{ToolVersion: "v-test"}); err != nil {
		return nil, err
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, nil
}

func TestUnusedAccessIndexed(t *testing.T) {
	ctx := context.Background()
	db, err := buildWithUnused(t, unusedReportJSON)
	if err != nil {
		t.Fatal(err)
	}
	r, err := db.SQL(ctx, "SELECT account_id, service, coalesce(action, '-'), coalesce(last_accessed, '-') FROM unused_access ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"222222222222", "s3", "s3:DeleteObject", "2026-01-02T03:04:05Z"},
		{"111111111111", "ec2", "-", "-"},
		{"222222222222", "dynamodb", "-", "-"},
	}
	if !reflect.DeepEqual(r.Data, want) {
		t.Fatalf("rows %v, want %v", r.Data, want)
	}
	// By account name, with the name joined in; by principal.
	u, err := db.Unused(ctx, "workloads", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Data) != 2 || u.Data[0][1] != "workloads" || u.Data[0][3] != "dynamodb" || u.Data[1][4] != "s3:DeleteObject" {
		t.Fatalf("unused of workloads: %v", u.Data)
	}
	u, err = db.Unused(ctx, "", "arn:aws:iam::111111111111:user/alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Data) != 1 || u.Data[0][3] != "ec2" || u.Data[0][4] != "" {
		t.Fatalf("unused of alice: %v", u.Data)
	}
	if _, err := db.Unused(ctx, "no-such-account", ""); err == nil {
		t.Fatal("unknown account: no error")
	}
	// The lookup by principal uses its index.
	db.explain = true
	plan, err := db.Unused(ctx, "", "arn:aws:iam::111111111111:user/alice")
	db.explain = false
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(flatten(plan.Data), " "), "unused_access_principal") {
		t.Errorf("plan does not use unused_access_principal: %v", plan.Data)
	}
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func TestUnusedAccessAbsentOrDamaged(t *testing.T) {
	ctx := context.Background()
	db, err := buildWithUnused(t, "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := db.SQL(ctx, "SELECT count(*) FROM unused_access")
	if err != nil || r.Data[0][0] != "0" {
		t.Fatalf("no report: %v %v", r.Data, err)
	}
	for _, bad := range []string{
		`{"unused": [{"account": "1", "principal": "p", "service": "s3"}, {"account": `,
		`{"unused": {"account": "1"}}`,
		`{"unused": [{"account": "1", "service": "s3"}]}`,
	} {
		_, err := buildWithUnused(t, bad)
		if err == nil || !strings.Contains(err.Error(), "reports/"+UnusedReport) {
			t.Errorf("%s: %v (want an error naming the report)", bad, err)
		}
	}
}
