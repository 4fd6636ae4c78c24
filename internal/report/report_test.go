package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const fixtureRun = "2026-11-15"

// fixtureNow is the fixed reference time of the fixture's dates.
var fixtureNow = time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)

func fixtureOptions() Options { return Options{Now: fixtureNow} }

// fixture copies testdata/store into a temporary folder (so tests may write
// to it) and returns a reader of its run.
func fixture(t *testing.T) snapshot.Reader {
	t.Helper()
	return snapshot.Reader{Store: store.NewFile(copyTree(t, filepath.Join("testdata", "store"))), Run: fixtureRun}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name)
	got = withoutAssets(t, name, got)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("golden %s: %v (run go test -update to create it)", p, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file %s (go test -update to accept):\n--- got ---\n%s", name, p, got)
	}
}

// docs builds every report of the fixture.
func docs(t *testing.T, r snapshot.Reader, o Options) map[string]Doc {
	t.Helper()
	ctx := context.Background()
	users, err := Users(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	findings, err := Findings(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	cols, rows, err := Credentials(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := BuildSummary(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Doc{}
	for kind, data := range map[string]any{
		KindUsers: users, KindFindings: findings, KindSummary: sum,
		KindCredentials: CredentialsTable{Columns: cols, Rows: rows},
	} {
		d, err := NewDoc(kind, data)
		if err != nil {
			t.Fatal(err)
		}
		if kind == KindUsers || kind == KindFindings {
			d.Summary = &sum
		}
		out[kind] = d
	}
	return out
}

func TestGolden(t *testing.T) {
	r := fixture(t)
	all := docs(t, r, fixtureOptions())
	for _, kind := range []string{KindUsers, KindCredentials, KindFindings, KindSummary} {
		for _, format := range Formats {
			t.Run(kind+"."+format, func(t *testing.T) {
				var b bytes.Buffer
				if err := Write(&b, kind, format, all[kind]); err != nil {
					t.Fatal(err)
				}
				golden(t, kind+"."+format, b.Bytes())
			})
		}
	}
	t.Run("findings-with-pass.csv", func(t *testing.T) {
		o := fixtureOptions()
		o.IncludePass = true
		fs, err := Findings(context.Background(), r, o)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := Write(&b, KindFindings, FormatCSV, fs); err != nil {
			t.Fatal(err)
		}
		golden(t, "findings-with-pass.csv", b.Bytes())
	})
}

func TestWriteAll(t *testing.T) {
	r := fixture(t)
	ctx := context.Background()
	keys, err := WriteAll(ctx, r, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"users.csv", "users.json", "users.html", "credentials.csv", "findings.csv", "findings.json", "findings.html", "summary.json"}
	if len(keys) != len(want) {
		t.Fatalf("WriteAll wrote %v, want %d reports", keys, len(want))
	}
	for i, name := range want {
		if keys[i] != store.ReportKey(fixtureRun, name) {
			t.Errorf("key %d = %s, want %s", i, keys[i], store.ReportKey(fixtureRun, name))
		}
		got, err := r.Store.Get(ctx, keys[i])
		if err != nil {
			t.Fatalf("%s: %v", keys[i], err)
		}
		// The stored reports are the golden ones.
		gp := filepath.Join("testdata", "golden", name)
		wantData, err := os.ReadFile(gp)
		if err != nil {
			t.Fatalf("golden %s: %v", gp, err)
		}
		if !bytes.Equal(withoutAssets(t, name, got), wantData) {
			t.Errorf("stored %s differs from %s", keys[i], gp)
		}
	}
}

func findUser(t *testing.T, rows []UserRow, acct, name string) UserRow {
	t.Helper()
	for _, r := range rows {
		if r.AccountID == acct && r.UserName == name {
			return r
		}
	}
	t.Fatalf("user %s in %s not in report", name, acct)
	return UserRow{}
}

func TestUsers(t *testing.T) {
	rows, err := Users(context.Background(), fixture(t), fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("got %d users, want 6 (alice, bob, carol, dave, erin, frank)", len(rows))
	}
	tr, fa := true, false
	tests := []struct {
		acct, user  string
		admin       bool
		stale       *bool
		mfa         string
		console     *bool
		ou          string
		keys        int
		adminPolicy string // a policy that must be marked admin
	}{
		{"111111111111", "alice", true, &fa, MFANone, &tr, "Root", 2, "AdministratorAccess (aws-managed)"},
		{"111111111111", "bob", true, &tr, MFANone, &fa, "Root", 1, "FullAdmin (customer-managed via group devs)"},
		{"111111111111", "carol", true, &fa, MFAVirtual, &tr, "Root", 0, "FullAdmin (customer-managed via group devs)"},
		{"222222222222", "dave", false, &fa, MFAHardware, &tr, "Root/Workloads/Prod", 2, ""},
		{"222222222222", "erin", false, &tr, MFANone, &fa, "Root/Workloads/Prod", 0, ""},
		{"333333333333", "frank", false, &tr, MFANone, &tr, "Root/Sandbox", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.user, func(t *testing.T) {
			u := findUser(t, rows, tc.acct, tc.user)
			if u.Admin != tc.admin {
				t.Errorf("admin = %v, want %v (policies %v)", u.Admin, tc.admin, u.Policies)
			}
			if (u.Stale == nil) != (tc.stale == nil) || (u.Stale != nil && *u.Stale != *tc.stale) {
				t.Errorf("stale = %v, want %v", optBool(u.Stale), optBool(tc.stale))
			}
			if u.MFA != tc.mfa {
				t.Errorf("mfa = %q, want %q", u.MFA, tc.mfa)
			}
			if optBool(u.ConsoleAccess) != optBool(tc.console) {
				t.Errorf("console = %s, want %s", optBool(u.ConsoleAccess), optBool(tc.console))
			}
			if u.OUPath != tc.ou {
				t.Errorf("ou path = %q, want %q", u.OUPath, tc.ou)
			}
			if len(u.AccessKeys) != tc.keys {
				t.Errorf("%d keys, want %d", len(u.AccessKeys), tc.keys)
			}
			if tc.adminPolicy != "" {
				found := false
				for _, p := range u.Policies {
					if p.String() == tc.adminPolicy && p.Admin {
						found = true
					}
				}
				if !found {
					t.Errorf("no admin policy %q in %v", tc.adminPolicy, u.Policies)
				}
			}
		})
	}

	// Keys are joined to their report slot by creation time, whatever the order.
	dave := findUser(t, rows, "222222222222", "dave")
	byID := map[string]KeyInfo{}
	for _, k := range dave.AccessKeys {
		byID[k.ID] = k
	}
	if k := byID["AKIADAVE1"]; k.LastUsedService != "ec2" || fmtDate(k.LastUsed) != "2026-11-14" || !k.Active || k.AgeDays != 45 {
		t.Errorf("AKIADAVE1 = %+v, want active, 45 days, used 2026-11-14 by ec2", k)
	}
	if k := byID["AKIADAVE2"]; k.LastUsedService != "iam" || k.Active {
		t.Errorf("AKIADAVE2 = %+v, want inactive, last used by iam", k)
	}
	alice := findUser(t, rows, "111111111111", "alice")
	if k := alice.AccessKeys[1]; k.ID != "AKIAALICE2" || k.LastUsed != nil || k.AgeDays != 10 {
		t.Errorf("AKIAALICE2 = %+v, want never used, 10 days old", k)
	}
	if got := strings.Join(alice.Tags, ","); got != "cost-center=<42>,team=platform" {
		t.Errorf("alice tags = %q", got)
	}
	erin := findUser(t, rows, "222222222222", "erin")
	if len(erin.Policies) != 1 || erin.Policies[0].Admin {
		t.Errorf("erin's conditional Allow * must not count as admin: %+v", erin.Policies)
	}
	if dave.PermissionBound != "arn:aws:iam::222222222222:policy/Boundary" {
		t.Errorf("dave boundary = %q", dave.PermissionBound)
	}
}

func TestIsStale(t *testing.T) {
	o := fixtureOptions().withDefaults()
	at := func(daysAgo int) *time.Time { t := fixtureNow.AddDate(0, 0, -daysAgo); return &t }
	tests := []struct {
		name          string
		last, created *time.Time
		want          bool
	}{
		{"used recently", at(10), at(400), false},
		{"used long ago", at(91), at(400), true},
		{"new and never used", nil, at(30), false},
		{"old and never used", nil, at(91), true},
		{"nothing known", nil, nil, true},
	}
	for _, tc := range tests {
		if got := isStale(tc.last, tc.created, o); got != tc.want {
			t.Errorf("%s: stale = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCredentials(t *testing.T) {
	r := fixture(t)
	cols, rows, err := Credentials(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if cols[0] != "account_id" || cols[1] != "account_name" || cols[2] != "user" || len(cols) != 2+len(snapshot.CredentialReportColumns) {
		t.Fatalf("columns = %v", cols)
	}
	if len(rows) != 9 {
		t.Fatalf("%d rows, want 9 (4 + 3 + 2 report lines)", len(rows))
	}
	// Values are exactly as stored.
	if rows[0][0] != "111111111111" || rows[0][1] != "mgmt" || rows[0][2] != "<root_account>" || rows[0][6] != "2026-11-01T09:00:00+00:00" {
		t.Errorf("first row = %v", rows[0])
	}
	if rows[4][2] != "<root_account>" || rows[4][0] != "222222222222" {
		t.Errorf("row 5 = %v, want prod's root", rows[4])
	}
}

func TestCredentialsExtraColumn(t *testing.T) {
	r := fixture(t)
	ctx := context.Background()
	key := store.CredentialReportKey(fixtureRun, "333333333333")
	csvData := "user,arn,password_enabled,mfa_active,new_column\n<root_account>,arn:aws:iam::333333333333:root,not_supported,true,x\n"
	if err := r.Store.Put(ctx, key, []byte(csvData)); err != nil {
		t.Fatal(err)
	}
	cols, rows, err := Credentials(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if cols[len(cols)-1] != "new_column" {
		t.Fatalf("last column = %q, want new_column", cols[len(cols)-1])
	}
	last := rows[len(rows)-1]
	if last[len(last)-1] != "x" || last[2] != "<root_account>" || last[4] != "" {
		t.Errorf("row of the narrower report = %v", last)
	}
}

func TestFailedAccountTolerated(t *testing.T) {
	r := fixture(t)
	sum, err := BuildSummary(context.Background(), r, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	var broken, old *AccountSummary
	for i := range sum.Accounts {
		switch sum.Accounts[i].AccountID {
		case "333333333333":
			broken = &sum.Accounts[i]
		case "444444444444":
			old = &sum.Accounts[i]
		}
	}
	if broken == nil || broken.Status != snapshot.StatusFailed || !strings.Contains(broken.Error, "AccessDenied") || broken.Problems != 1 || broken.Users != 1 {
		t.Errorf("broken account summary = %+v, want failed with AccessDenied, 1 unreadable file, 1 user", broken)
	}
	if old == nil || old.Status != snapshot.StatusSkipped || old.Error != "account status SUSPENDED" {
		t.Errorf("skipped account summary = %+v", old)
	}
	if sum.Failed != 1 || sum.Skipped != 1 || len(sum.Accounts) != 4 {
		t.Errorf("summary counts failed=%d skipped=%d accounts=%d", sum.Failed, sum.Skipped, len(sum.Accounts))
	}
}

// One account's unparseable file makes that account partial, with the
// file named, and never costs the other accounts their rows.
func TestCorruptFileOfHealthyAccountIsContained(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, key string
		data      []byte
		file      string
	}{
		{"users.json", store.IAMKey(fixtureRun, "222222222222", store.DataUsers), []byte(`[{"UserName": 7}]`), "iam/users.json"},
		{"account.json", store.AccountKey(fixtureRun, "222222222222"), []byte(`{"Id": `), "account.json"},
		// moto writes a user name with a comma unquoted: the row has one
		// field too many and its dates shift by one column.
		{"credential report", store.CredentialReportKey(fixtureRun, "222222222222"), []byte("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n" +
			"smith,j,arn:aws:iam::222222222222:user/smith,j,2026-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"), "credential-report.csv"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := fixture(t)
			if err := r.Store.Put(ctx, c.key, c.data); err != nil {
				t.Fatal(err)
			}
			res, err := WriteAllResult(ctx, r, fixtureOptions())
			if err != nil {
				t.Fatalf("WriteAll: %v (one account's file must not fail the reports)", err)
			}
			if len(res.Partial) != 1 || !strings.HasPrefix(res.Partial[0], "222222222222: ") || !strings.Contains(res.Partial[0], c.file) {
				t.Errorf("partial = %q, want one line for 222222222222 naming %s", res.Partial, c.file)
			}
			var line *AccountSummary
			for i := range res.Summary.Accounts {
				if res.Summary.Accounts[i].AccountID == "222222222222" {
					line = &res.Summary.Accounts[i]
				}
			}
			if line == nil || line.Status != StatusPartial || !strings.Contains(line.Error, c.file) || line.Problems != 1 {
				t.Errorf("summary line = %+v, want partial naming %s", line, c.file)
			}
			if res.Summary.Partial != 1 || !strings.Contains(res.Summary.Totals.Status, "1 partial") {
				t.Errorf("summary partial = %d, totals %q", res.Summary.Partial, res.Summary.Totals.Status)
			}
			// The healthy account keeps every row.
			users, err := r.Store.Get(ctx, store.ReportKey(fixtureRun, "users.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(users), "\n111111111111,"); n == 0 {
				t.Errorf("users.csv lost account 111111111111's users:\n%s", users)
			}
			creds, err := r.Store.Get(ctx, store.ReportKey(fixtureRun, "credentials.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(creds), "\n111111111111,mgmt,<root_account>") {
				t.Errorf("credentials.csv lost account 111111111111's report:\n%s", creds)
			}
		})
	}
}

// Accounts listed out of id order (several organizations) and an id listed
// twice: users and findings still come in account id order, credentials
// and the summary in the list's order.
func TestUnsortedAccountList(t *testing.T) {
	ctx := context.Background()
	r := fixture(t)
	sorted, err := Users(ctx, r, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	sortedFindings, err := Findings(ctx, r, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	list, err := r.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reordered := []snapshot.Account{list[2], list[0], list[1]}
	data, _ := json.Marshal(reordered)
	if err := r.Store.Put(ctx, store.AccountListKey(fixtureRun), data); err != nil {
		t.Fatal(err)
	}
	users, err := Users(ctx, r, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(users, sorted) {
		t.Errorf("users of the reordered list differ from the sorted list's")
	}
	findings, err := Findings(ctx, r, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(findings, sortedFindings) {
		t.Errorf("findings of the reordered list differ from the sorted list's")
	}
	_, rows, err := Credentials(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, row := range rows {
		if len(order) == 0 || order[len(order)-1] != row[0] {
			order = append(order, row[0])
		}
	}
	if want := []string{"333333333333", "111111111111", "222222222222"}; !reflect.DeepEqual(order, want) {
		t.Errorf("credentials account order = %v, want the list's %v", order, want)
	}
	sum, err := BuildSummary(ctx, r, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Accounts[0].AccountID != "333333333333" || sum.Accounts[1].AccountID != "111111111111" {
		t.Errorf("summary order = %s, %s…, want the list's", sum.Accounts[0].AccountID, sum.Accounts[1].AccountID)
	}

	// The same account listed twice (two organizations naming it): its
	// users are reported under both entries, counted on the last.
	twice := append(reordered, list[1])
	data, _ = json.Marshal(twice)
	if err := r.Store.Put(ctx, store.AccountListKey(fixtureRun), data); err != nil {
		t.Fatal(err)
	}
	users2, err := Users(ctx, r, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	n1, n2 := 0, 0
	for _, u := range sorted {
		if u.AccountID == "222222222222" {
			n1++
		}
	}
	for i, u := range users2 {
		if u.AccountID == "222222222222" {
			n2++
		}
		if i > 0 && (users2[i-1].AccountID > u.AccountID || users2[i-1].AccountID == u.AccountID && users2[i-1].UserName > u.UserName) {
			t.Errorf("users out of order at %d: %s/%s after %s/%s", i, u.AccountID, u.UserName, users2[i-1].AccountID, users2[i-1].UserName)
		}
	}
	if n2 != 2*n1 {
		t.Errorf("account listed twice: %d user rows, want %d", n2, 2*n1)
	}
	sum2, err := BuildSummary(ctx, r, fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	if got := sum2.Accounts[3]; got.AccountID != "222222222222" || got.Users != n2 || sum2.Accounts[2].Users != 0 {
		t.Errorf("duplicate entries counted %d and %d users, want 0 and %d (on the last)", sum2.Accounts[2].Users, got.Users, n2)
	}
}

func TestWriteErrors(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, KindUsers, "xml", []UserRow{}); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("unknown format: err = %v", err)
	}
	if err := Write(&b, "groups", FormatCSV, nil); err == nil || !strings.Contains(err.Error(), `"groups"`) {
		t.Errorf("unknown kind: err = %v", err)
	}
	if err := Write(&b, KindUsers, FormatCSV, []Finding{}); err == nil || !strings.Contains(err.Error(), "[]report.Finding") {
		t.Errorf("wrong data: err = %v", err)
	}
}

func TestHTMLEscapes(t *testing.T) {
	rows := []UserRow{{AccountID: "1", UserName: `</script><script>alert(1)</script>`, Tags: []string{"a=<b>&"}, AccessKeys: []KeyInfo{}}}
	var b bytes.Buffer
	if err := Write(&b, KindUsers, FormatHTML, rows); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	// The cells are JSON inside a script element: '<', '>' and '&' are
	// written as \u003c, \u003e and \u0026, so no value can close the element.
	if strings.Contains(s, "<script>alert") || strings.Contains(s, "</script><script>") || !strings.Contains(s, `\u003c/script\u003e\u003cscript\u003ealert(1)`) || !strings.Contains(s, `a=\u003cb\u003e\u0026`) {
		t.Errorf("HTML does not escape cell values:\n%s", s)
	}
	if n := strings.Count(s, "</script>"); n != 3 {
		t.Errorf("%d script elements closed, want 3 (rows, meta, script)", n)
	}
	// One self-contained file: nothing fetched (the one URL is the SVG
	// namespace, an identifier).
	s = strings.ReplaceAll(s, `"http://www.w3.org/2000/svg"`, "")
	for _, forbidden := range []string{"http://", "https://", "//cdn", "<link", "src=", "@import", "url(", "fetch(", "XMLHttpRequest", "import("} {
		if strings.Contains(s, forbidden) {
			t.Errorf("HTML references an external asset (%q)", forbidden)
		}
	}
}

func TestMarkdownEscapesPipes(t *testing.T) {
	var b bytes.Buffer
	d := Doc{Kind: "x", Title: "t", Notes: []string{"a note"}, Columns: []string{"c"}, Rows: [][]string{{"a|b\nc"}}}
	if err := WriteDoc(&b, FormatMD, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `| a\|b<br>c |`) || !strings.Contains(b.String(), "> a note") {
		t.Errorf("markdown = %q", b.String())
	}
}

func TestJSONNotes(t *testing.T) {
	var b bytes.Buffer
	d, _ := NewDoc(KindUsers, []UserRow{})
	d.Notes = []string{"n1"}
	if err := WriteDoc(&b, FormatJSON, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"notes": [`) || !strings.Contains(b.String(), `"users": []`) {
		t.Errorf("json with notes = %s", b.String())
	}
}

// Names a member account's administrator chooses reach every CSV report
// neutralised (a spreadsheet would run them as formulas); JSON keeps them
// as they are.
func TestCSVFormulaNeutralised(t *testing.T) {
	ctx := context.Background()
	r := fixture(t)
	list, err := r.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const evil = `=HYPERLINK("http://evil.example/","click")`
	list[1].Name = evil
	data, _ := json.Marshal(list)
	if err := r.Store.Put(ctx, store.AccountListKey(fixtureRun), data); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteAll(ctx, r, fixtureOptions()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"users.csv", "findings.csv", "credentials.csv"} {
		b, err := r.Store.Get(ctx, store.ReportKey(fixtureRun, name))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n := 0
		for _, rec := range recs {
			for _, c := range rec {
				if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
					t.Errorf("%s: cell %q not neutralised", name, c)
				}
				if c == "'"+evil {
					n++
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no neutralised account name %q", name, "'"+evil)
		}
	}
	b, err := r.Store.Get(ctx, store.ReportKey(fixtureRun, "users.json"))
	if err != nil {
		t.Fatal(err)
	}
	var users []UserRow
	if err := json.Unmarshal(b, &users); err != nil {
		t.Fatal(err)
	}
	if findUser(t, users, "222222222222", "dave").AccountName != evil {
		t.Errorf("users.json changed the account name")
	}
}

// WriteReport (one pass, rows streamed) writes exactly what Write writes
// from the whole data, the HTML with the run's summary as the report
// command shows it, for every kind and format; with IncludePass too.
func TestWriteReportMatchesWrite(t *testing.T) {
	ctx := context.Background()
	r := fixture(t)
	for _, pass := range []bool{false, true} {
		o := fixtureOptions()
		o.IncludePass = pass
		all := docs(t, r, o)
		sum := all[KindSummary].Summary
		for _, kind := range []string{KindUsers, KindCredentials, KindFindings, KindSummary} {
			for _, format := range Formats {
				d := all[kind]
				if format == FormatHTML && kind != KindSummary {
					d.Summary = sum
				}
				var want, got bytes.Buffer
				if err := WriteDoc(&want, format, d); err != nil {
					t.Fatal(err)
				}
				if err := WriteReport(ctx, r, o, kind, format, &got); err != nil {
					t.Fatalf("%s.%s: %v", kind, format, err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Errorf("pass=%v %s.%s: WriteReport differs from Write:\n--- got ---\n%s\n--- want ---\n%s", pass, kind, format, got.Bytes(), want.Bytes())
				}
			}
		}
	}
	var b bytes.Buffer
	if err := WriteReport(ctx, r, fixtureOptions(), "nope", FormatCSV, &b); err == nil {
		t.Errorf("unknown kind: no error")
	}
	if err := WriteReport(ctx, r, fixtureOptions(), KindUsers, "xml", &b); err == nil {
		t.Errorf("unknown format: no error")
	}
}
