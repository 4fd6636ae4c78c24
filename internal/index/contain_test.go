package index

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/report"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// One account's unparseable file leaves that account partial in the index,
// the file named in scan_error, and every other account indexed in full.
func TestDamagedAccountFileIsContained(t *testing.T) {
	ctx := context.Background()
	const run = "2026-11-20"
	// moto writes a user name with a comma unquoted: one field too many.
	badReport := strings.Join(append([]string{}, snapshot.CredentialReportColumns...), ",") + "\n" +
		"smith,j,arn:aws:iam::x:user/smith,j,2026-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
	cases := []struct {
		name, file, data, want string
	}{
		{"users.json", "iam/users.json", `[{"UserName": 7}]`, "users.json"},
		{"roles.json", "iam/roles.json", `[{"RoleName": "r", "Arn": "arn:aws:iam::1:role/r", "AssumeRolePolicyDocument": {"Statement": [}}]`, "roles.json"},
		{"credential report", "credential-report.csv", badReport, "credential-report.csv"},
		// A document that does not parse: the account keeps only its line.
		{"trust policy", "iam/roles.json", `[{"RoleName": "r", "Arn": "arn:aws:iam::1:role/r", "AssumeRolePolicyDocument": {"Statement": "x"}}]`, "role arn:aws:iam::1:role/r trust policy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "store")
			if err := writeSynthetic(root, run, 3); err != nil {
				t.Fatal(err)
			}
			bad, good := benchAcct(1), benchAcct(2)
			if err := os.WriteFile(filepath.Join(root, run, "accounts", bad, filepath.FromSlash(c.file)), []byte(c.data), 0o600); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "index.sqlite")
			if _, err := Build(ctx, snapshot.Reader{Store: store.NewFile(root), Run: run}, path, BuildOptions{}); err != nil {
				t.Fatalf("Build: %v (one account's file must not fail the index)", err)
			}
			db, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rows, err := db.SQL(ctx, "SELECT id, scan_status, coalesce(scan_error, '') FROM accounts WHERE id IN ('"+bad+"', '"+good+"') ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			if len(rows.Data) != 2 {
				t.Fatalf("accounts rows = %v", rows.Data)
			}
			if r := rows.Data[0]; r[0] != bad || r[1] != "partial" || !strings.Contains(r[2], c.want) {
				t.Errorf("damaged account = %v, want partial naming %s", r, c.want)
			}
			if r := rows.Data[1]; r[1] != "ok" || r[2] != "" {
				t.Errorf("healthy account = %v, want ok", r)
			}
			n, err := db.SQL(ctx, "SELECT count(*) FROM principals WHERE account_id = '"+good+"'")
			if err != nil {
				t.Fatal(err)
			}
			if n.Data[0][0] == "0" {
				t.Errorf("healthy account %s has no principals", good)
			}
		})
	}
}

// findings.json is read as a stream in both shapes the report step writes.
func TestDecodeFindingsStream(t *testing.T) {
	list := `[{"account_id": "1", "check_id": "1.3", "status": "FAIL", "extra": {"x": [1]}}, {"account_id": "2", "check_id": "1.4"}]`
	cases := []struct {
		name, data string
		want       []string
	}{
		{"array", list, []string{"1", "2"}},
		{"with notes", `{"notes": ["a", "b"], "findings": ` + list + `}`, []string{"1", "2"}},
		{"findings first", `{"findings": ` + list + `, "notes": ["a"]}`, []string{"1", "2"}},
		{"empty", `[]`, nil},
		{"no findings member", `{"notes": []}`, nil},
		{"null", `null`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			err := report.EachFinding(strings.NewReader(c.data), func(f *report.Finding) error {
				got = append(got, f.AccountID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("accounts = %v, want %v", got, c.want)
			}
			// The streaming decoder agrees with the report package's.
			if c.data != `null` {
				all, err := report.DecodeFindings([]byte(c.data))
				if err != nil {
					t.Fatal(err)
				}
				if len(all) != len(got) {
					t.Errorf("DecodeFindings: %d findings, stream %d", len(all), len(got))
				}
			}
		})
	}
	for _, bad := range []string{`[{"account_id": 1}]`, `[{"account_id": "1"}`, `"x"`, `{"findings": 3}`} {
		if err := report.EachFinding(strings.NewReader(bad), func(*report.Finding) error { return nil }); err == nil {
			t.Errorf("report.EachFinding(%s): no error", bad)
		}
	}
}
