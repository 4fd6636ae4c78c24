package execrun

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

func intp(i int) *int { return &i }

var sampleResults = []Result{
	{AccountID: "333333333333", AccountName: "sandbox", Region: "us-east-1", Status: StatusFailed, ExitCode: intp(3),
		Started: time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC), DurationSeconds: 1.5, Error: "exit status 3", StdoutBytes: 10, StderrBytes: 4,
		Stdout: "2026-11-23/x/exec/333333333333/us-east-1/stdout", Stderr: "2026-11-23/x/exec/333333333333/us-east-1/stderr"},
	{AccountID: "222222222222", AccountName: "=cmd|' /C calc'!A0", Region: "us-east-1", Status: StatusOK, ExitCode: intp(0), DurationSeconds: 0.25,
		lastLine: strings.Repeat("é", 100)},
	{AccountID: "222222222222", AccountName: "prod", Region: "ap-east-1", Status: StatusSkipped, Error: "region ap-east-1 is not enabled in the account"},
	{AccountID: "444444444444", AccountName: "dev", Region: "eu-west-1", Status: StatusTimeout, DurationSeconds: 60, Error: "timed out after 1m0s", Truncated: true},
	{AccountID: "444444444444", AccountName: "dev", Region: "-", Status: StatusError, Error: "assume role: AccessDenied"},
	{AccountID: "555555555555", AccountName: "x", Region: "us-east-1", Status: StatusCancelled, Error: "stopped"},
}

func TestCountAndProblems(t *testing.T) {
	got := count(sampleResults)
	want := Totals{Items: 6, OK: 1, Failed: 1, Timeout: 1, Error: 1, Skipped: 1, Cancelled: 1}
	if got != want {
		t.Errorf("count = %+v, want %+v", got, want)
	}
	if got.Problems() != 4 {
		t.Errorf("Problems() = %d, want 4 (failed, timeout, error, cancelled)", got.Problems())
	}
}

func TestSortResultsByAccountThenRegion(t *testing.T) {
	rs := append([]Result(nil), sampleResults...)
	sortResults(rs)
	var got []string
	for _, r := range rs {
		got = append(got, r.AccountID+"/"+r.Region)
	}
	want := "222222222222/ap-east-1 222222222222/us-east-1 333333333333/us-east-1 444444444444/- 444444444444/eu-west-1 555555555555/us-east-1"
	if strings.Join(got, " ") != want {
		t.Errorf("order %v, want %s", got, want)
	}
}

func TestResultsCSV(t *testing.T) {
	b, err := resultsCSV(sampleResults[:2])
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatalf("results.csv does not parse: %v\n%s", err, b)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(CSVColumns, ",") {
		t.Fatalf("results.csv: %d rows, header %v", len(rows), rows[0])
	}
	want := []string{"333333333333", "sandbox", "us-east-1", "failed", "3", "1.500", "2026-11-23T08:30:00Z", "exit status 3", "10", "4", "false",
		"2026-11-23/x/exec/333333333333/us-east-1/stdout", "2026-11-23/x/exec/333333333333/us-east-1/stderr"}
	if strings.Join(rows[1], "|") != strings.Join(want, "|") {
		t.Errorf("row 1 = %q\nwant    %q", rows[1], want)
	}
	// A cell that a spreadsheet would run as a formula is neutralised.
	if name := rows[2][1]; strings.HasPrefix(name, "=") {
		t.Errorf("account name %q written as a formula", name)
	}
	if rows[2][6] != "" || rows[2][4] != "0" {
		t.Errorf("row 2: started %q exit %q, want empty start time and exit 0", rows[2][6], rows[2][4])
	}
}

func TestTableRows(t *testing.T) {
	rows := TableRows(sampleResults)
	if len(rows) != len(sampleResults) {
		t.Fatalf("%d rows", len(rows))
	}
	ok := rows[1]
	if n := len([]rune(ok[6])); n != 80 || !strings.HasSuffix(ok[6], "…") {
		t.Errorf("an ok item's detail is its last line cut at 80 runes: got %d runes %q", n, ok[6])
	}
	if ok[5] != "250ms" || ok[4] != "0" {
		t.Errorf("ok row %q: want duration 250ms, exit 0", ok)
	}
	if rows[0][6] != "exit status 3" {
		t.Errorf("a failed item's detail is its error: %q", rows[0][6])
	}
	if rows[2][5] != "" || rows[4][5] != "" {
		t.Errorf("skipped and account-level rows have no duration: %q %q", rows[2][5], rows[4][5])
	}
}

func TestSummary(t *testing.T) {
	res := Results{Run: "2026-11-23/exec-083000", Store: "s3://bucket/prefix/", Items: sampleResults, Totals: count(sampleResults)}
	s := Summary(res)
	if s.OK != 1 || s.Failed != 4 || s.Skipped != 1 {
		t.Errorf("summary counts ok %d failed %d skipped %d", s.OK, s.Failed, s.Skipped)
	}
	if want := "orgiam exec 2026-11-23/exec-083000: 1 ok, 1 failed, 1 timed out, 2 not run, 1 skipped"; s.Title != want {
		t.Errorf("title %q, want %q", s.Title, want)
	}
	var ids []string
	for _, f := range s.FailedAccounts {
		ids = append(ids, f.ID+" "+f.Error)
	}
	want := "333333333333/us-east-1 failed: exit status 3|444444444444/eu-west-1 timeout: timed out after 1m0s|444444444444/- error: assume role: AccessDenied|555555555555/us-east-1 cancelled: stopped"
	if strings.Join(ids, "|") != want {
		t.Errorf("failed lines %q\nwant %q", ids, want)
	}
	if len(s.ReportLinks) != 1 || s.ReportLinks[0] != "s3://bucket/prefix/2026-11-23/exec-083000/exec/results.csv" {
		t.Errorf("links %v", s.ReportLinks)
	}
}
