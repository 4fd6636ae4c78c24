package snapshot

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/store"
)

// TestReadsVersion1Records reads records stored by an orgiam that wrote
// schema version 1 (account.json's orgiam fields in PascalCase, no
// schemaVersion anywhere).
func TestReadsVersion1Records(t *testing.T) {
	ctx := context.Background()
	r := Reader{Store: store.NewFile("testdata/v1"), Run: "2026-11-20"}
	info, err := r.AccountInfo(ctx, "111111111111")
	if err != nil {
		t.Fatal(err)
	}
	want := AccountInfo{
		Account: Account{ID: "111111111111", Arn: "arn:aws:organizations::111111111111:account/o-aaaa1111/111111111111",
			Name: "management", Email: "management@example.com", Status: "ACTIVE", OrgID: "o-aaaa1111", ParentID: "r-root", OUPath: "Root", Management: true},
		Partition: "aws", CollectRoleArn: "arn:aws:iam::111111111111:role/OrgIAMAudit", Aliases: []string{"acme-management"},
		Summary:        map[string]int32{"Users": 2},
		PasswordPolicy: &PasswordPolicy{MinimumPasswordLength: 14, RequireSymbols: true, AllowUsersToChangePassword: true},
		CollectedAt:    time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC),
		Scan:           ScanSummary{Counts: map[string]int{"users": 2, "roles": 4}, APICalls: 12, DurationMS: 800, Warnings: []string{"credential report unavailable"}},
	}
	if !reflect.DeepEqual(info, want) {
		t.Errorf("account.json v1:\n got %+v\nwant %+v", info, want)
	}
	e, err := r.Error(ctx, "111111111111")
	if err != nil || e == nil || e.AccountID != "111111111111" || e.Code != "AccessDenied" || e.Phase != "collect" {
		t.Errorf("error.json v1: %+v %v", e, err)
	}
	m, err := r.Manifest(ctx)
	if err != nil || m.Date != "2026-11-20" || len(m.Accounts) != 1 || m.Totals.APICalls != 12 {
		t.Errorf("manifest.json v1: %+v %v", m, err)
	}
}

// TestAccountInfoIsCamelCase: version 2 writes orgiam's own keys in
// camelCase with the version, and keeps the AWS shapes as AWS names them.
func TestAccountInfoIsCamelCase(t *testing.T) {
	info := AccountInfo{SchemaVersion: SchemaVersion, Account: Account{ID: "111111111111"}, Partition: "aws", Aliases: []string{},
		PasswordPolicy: &PasswordPolicy{MinimumPasswordLength: 8}, Scan: ScanSummary{Counts: map[string]int{"users": 1}, APICalls: 3, Warnings: []string{"w"}}}
	b, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schemaVersion", "partition", "aliases", "passwordPolicy", "collectedAt", "scan", "Id"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("account.json has no key %q: %s", k, b)
		}
	}
	for _, k := range []string{`"counts"`, `"apiCalls"`, `"durationMs"`, `"warnings"`, `"MinimumPasswordLength"`, `"schemaVersion":2`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("account.json lacks %s: %s", k, b)
		}
	}
	var back AccountInfo
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, info) {
		t.Errorf("round trip: %+v %v", back, err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	st := store.NewFile(t.TempDir())
	for key, v := range map[string]any{
		store.AccountKey("2026-11-20", "111111111111"): AccountInfo{SchemaVersion: SchemaVersion + 1},
		store.ErrorKey("2026-11-20", "111111111111"):   ErrorRecord{SchemaVersion: SchemaVersion + 1},
		store.ManifestKey("2026-11-20"):                Manifest{SchemaVersion: SchemaVersion + 1},
	} {
		b, _ := json.Marshal(v)
		if err := st.Put(ctx, key, b); err != nil {
			t.Fatal(err)
		}
	}
	r := Reader{Store: st, Run: "2026-11-20"}
	_, err1 := r.AccountInfo(ctx, "111111111111")
	_, err2 := r.Error(ctx, "111111111111")
	_, err3 := r.Manifest(ctx)
	for i, err := range []error{err1, err2, err3} {
		if err == nil || !strings.Contains(err.Error(), "is newer than this orgiam reads") {
			t.Errorf("record %d: %v", i, err)
		}
	}
}
