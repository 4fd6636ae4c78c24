package report

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// Report kinds and output formats.
const (
	KindUsers       = "users"
	KindCredentials = "credentials"
	KindFindings    = "findings"
	KindSummary     = "summary"

	FormatCSV  = "csv"
	FormatJSON = "json"
	FormatMD   = "md"
	FormatHTML = "html"
)

// FindingFormats are the formats only the findings report has (machine
// formats of security tools).
var FindingFormats = []string{FormatOCSF, FormatASFF, FormatSARIF}

// Report titles.
const (
	usersTitle       = "IAM users"
	credentialsTitle = "Credential reports"
	findingsTitle    = "CIS AWS Foundations Benchmark v5.0.0 IAM findings"
)

// Formats lists the output formats.
var Formats = []string{FormatCSV, FormatJSON, FormatMD, FormatHTML}

// CredentialsTable is the credentials report.
type CredentialsTable struct {
	Columns []string
	Rows    [][]string
}

// AccountSummary is one account's line of the summary.
type AccountSummary struct {
	AccountID   string `json:"account_id"`
	AccountName string `json:"account_name"`
	OUPath      string `json:"ou_path"`
	// Status is ok, partial, failed or skipped.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	Users  int    `json:"users"`
	Admins int    `json:"admins"`
	Stale  int    `json:"stale"`
	High   int    `json:"findings_high"`
	Medium int    `json:"findings_medium"`
	Low    int    `json:"findings_low"`
	// Muted counts the failing findings a mutelist muted (not in High,
	// Medium or Low).
	Muted    int `json:"findings_muted,omitempty"`
	Problems int `json:"unreadable_files,omitempty"`
}

// Summary is reports/summary.json.
type Summary struct {
	Run         string           `json:"run"`
	GeneratedAt time.Time        `json:"generated_at"`
	Accounts    []AccountSummary `json:"accounts"`
	Totals      AccountSummary   `json:"totals"`
	// Failed, Skipped and Partial count accounts by status.
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	Partial int `json:"partial,omitempty"`
}

// Doc is one report ready to write: a table, its JSON value, notes for the
// reader and, for HTML, the per-account summary shown above the table.
type Doc struct {
	Kind    string
	Title   string
	Notes   []string
	Columns []string
	Rows    [][]string
	// JSON is what the json format writes (an array of objects).
	JSON    any
	Summary *Summary
	// GeneratedAt is when the report was made, shown by the HTML when the
	// Doc has no Summary (whose GeneratedAt it shows otherwise).
	GeneratedAt time.Time
}

// NewDoc builds the Doc of a kind from its data: []UserRow (users),
// CredentialsTable (credentials), []Finding (findings) or Summary (summary).
func NewDoc(kind string, data any) (Doc, error) {
	switch kind {
	case KindUsers:
		rows, ok := data.([]UserRow)
		if !ok {
			return Doc{}, fmt.Errorf("report %s: data is %T, want []UserRow", kind, data)
		}
		d := Doc{Kind: kind, Title: usersTitle, Columns: UserColumns, JSON: nonNil(rows)}
		for _, r := range rows {
			d.Rows = append(d.Rows, r.Cells())
		}
		return d, nil
	case KindCredentials:
		t, ok := data.(CredentialsTable)
		if !ok {
			return Doc{}, fmt.Errorf("report %s: data is %T, want CredentialsTable", kind, data)
		}
		objs := make([]map[string]string, 0, len(t.Rows))
		for _, r := range t.Rows {
			m := map[string]string{}
			for i, c := range t.Columns {
				if i < len(r) {
					m[c] = r[i]
				}
			}
			objs = append(objs, m)
		}
		return Doc{Kind: kind, Title: credentialsTitle, Columns: t.Columns, Rows: t.Rows, JSON: objs}, nil
	case KindFindings:
		fs, ok := data.([]Finding)
		if !ok {
			return Doc{}, fmt.Errorf("report %s: data is %T, want []Finding", kind, data)
		}
		d := Doc{Kind: kind, Title: findingsTitle, Columns: FindingColumns, JSON: nonNil(fs)}
		for _, f := range fs {
			d.Rows = append(d.Rows, f.Cells())
		}
		return d, nil
	case KindSummary:
		s, ok := data.(Summary)
		if !ok {
			return Doc{}, fmt.Errorf("report %s: data is %T, want Summary", kind, data)
		}
		d := Doc{Kind: kind, Title: "Run summary " + s.Run, Columns: summaryColumns, JSON: s, Summary: &s}
		for _, a := range s.Accounts {
			d.Rows = append(d.Rows, a.cells())
		}
		return d, nil
	}
	return Doc{}, fmt.Errorf("report kind %q is not one of users, credentials, findings, summary", kind)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

var summaryColumns = []string{"account_id", "account_name", "ou_path", "status", "error", "users", "admins", "stale", "findings_high", "findings_medium", "findings_low"}

func (a AccountSummary) cells() []string {
	return []string{a.AccountID, a.AccountName, a.OUPath, a.Status, a.Error,
		fmt.Sprint(a.Users), fmt.Sprint(a.Admins), fmt.Sprint(a.Stale),
		fmt.Sprint(a.High), fmt.Sprint(a.Medium), fmt.Sprint(a.Low)}
}

// Write writes data (see NewDoc, or a Doc) of a kind in a format: csv, json,
// md or html.
func Write(w io.Writer, kind, format string, data any) error {
	d, ok := data.(Doc)
	if !ok {
		var err error
		if d, err = NewDoc(kind, data); err != nil {
			return err
		}
	}
	return WriteDoc(w, format, d)
}

// WriteDoc writes a Doc. CSV carries no notes (CSV readers do not skip
// comments): callers print Doc.Notes elsewhere. JSON is an array of objects
// with snake_case fields; when the Doc has notes it is an object
// {"notes": [...], "<kind>": [...]} instead.
func WriteDoc(w io.Writer, format string, d Doc) error {
	switch format {
	case FormatCSV:
		return writeCSV(w, d.Columns, d.Rows)
	case FormatJSON:
		var v any = d.JSON
		if len(d.Notes) > 0 {
			v = map[string]any{"notes": d.Notes, d.Kind: d.JSON}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case FormatMD:
		return writeMD(w, d)
	case FormatHTML:
		return writeHTML(w, d)
	}
	return fmt.Errorf("report format %q is not one of csv, json, md, html", format)
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "*", `\*`)
	s = strings.ReplaceAll(s, "<", "&lt;")
	s = strings.ReplaceAll(s, ">", "&gt;")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "<br>")
}

func writeMD(w io.Writer, d Doc) error {
	bw := bufio.NewWriter(w)
	mdHead(bw, d)
	for _, r := range d.Rows {
		mdRow(bw, r)
	}
	mdTail(bw, len(d.Rows))
	return bw.Flush()
}

// mdHead, mdRow and mdTail write the Markdown table in parts, so that rows
// can be written one by one.
func mdHead(b *bufio.Writer, d Doc) {
	fmt.Fprintf(b, "# %s\n\n", mdEscape(d.Title))
	for _, n := range d.Notes {
		fmt.Fprintf(b, "> %s\n", mdEscape(n))
	}
	if len(d.Notes) > 0 {
		b.WriteString("\n")
	}
	mdRow(b, d.Columns)
	b.WriteString("|")
	for range d.Columns {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
}

func mdRow(b *bufio.Writer, cells []string) {
	b.WriteString("|")
	for _, c := range cells {
		b.WriteString(" " + mdEscape(c) + " |")
	}
	b.WriteString("\n")
}

func mdTail(b *bufio.Writer, rows int) {
	if rows == 0 {
		b.WriteString("\n_No rows._\n")
	}
}

// BuildSummary summarises a run per account (the run's accounts, then the
// accounts discovery skipped). The accounts are read one by one; only the
// counts are kept.
func BuildSummary(ctx context.Context, r snapshot.Reader, o Options) (Summary, error) {
	o = o.withDefaults()
	rn, err := openRun(ctx, r)
	if err != nil {
		return Summary{}, err
	}
	sum := newSummarizer(r.Run, rn, o)
	err = rn.eachAccount(ctx, r, func(group []*acct) error {
		sum.add(group, groupUsers(rn, group, o), groupFindings(rn, group, o))
		return nil
	})
	if err != nil {
		return Summary{}, err
	}
	return sum.finish(), nil
}

// summarizer counts the summary as the accounts go by: one line per entry
// of the account list (bounded by design: a few hundred bytes an account).
type summarizer struct {
	s  Summary
	rn *run
	// last is, per account id, the position of its last list entry: the
	// line its users and findings are counted on.
	last map[string]int
}

func newSummarizer(runID string, rn *run, o Options) *summarizer {
	z := &summarizer{s: Summary{Run: runID, GeneratedAt: o.Now, Accounts: make([]AccountSummary, len(rn.list))}, rn: rn, last: map[string]int{}}
	for i, a := range rn.list {
		z.last[a.ID] = i
	}
	return z
}

// add records a group of list entries sharing one account id, with the
// group's users and findings.
func (z *summarizer) add(group []*acct, users []UserRow, findings []Finding) {
	for _, a := range group {
		z.s.Accounts[a.pos] = AccountSummary{
			AccountID: a.account.ID, AccountName: a.name(), OUPath: a.ouPath(),
			Status: a.status(), Error: a.statusError(), Problems: len(a.problems),
		}
		switch {
		case a.failed():
			z.s.Failed++
		case a.partial():
			z.s.Partial++
		}
	}
	for _, u := range users {
		as := &z.s.Accounts[z.last[u.AccountID]]
		as.Users++
		if u.Admin {
			as.Admins++
		}
		if u.Stale != nil && *u.Stale {
			as.Stale++
		}
	}
	for _, f := range findings {
		if f.Status == StatusFail && f.Muted {
			z.s.Accounts[z.last[f.AccountID]].Muted++
		}
		if !f.Counted() {
			continue
		}
		as := &z.s.Accounts[z.last[f.AccountID]]
		switch f.Severity {
		case SeverityHigh:
			as.High++
		case SeverityMedium:
			as.Medium++
		case SeverityLow:
			as.Low++
		}
	}
}

// finish appends the skipped accounts and the totals.
func (z *summarizer) finish() Summary {
	s := z.s
	skipped := append([]snapshot.Account{}, z.rn.skipped...)
	sort.SliceStable(skipped, func(i, j int) bool { return skipped[i].ID < skipped[j].ID })
	for _, a := range skipped {
		s.Accounts = append(s.Accounts, AccountSummary{AccountID: a.ID, AccountName: a.Name, OUPath: a.OUPath, Status: snapshot.StatusSkipped, Error: a.SkipReason})
		s.Skipped++
	}
	t := &s.Totals
	t.AccountID = "total"
	if s.Partial > 0 {
		t.Status = fmt.Sprintf("%d ok, %d partial, %d failed, %d skipped", len(z.rn.list)-s.Failed-s.Partial, s.Partial, s.Failed, s.Skipped)
	} else {
		t.Status = fmt.Sprintf("%d ok, %d failed, %d skipped", len(z.rn.list)-s.Failed, s.Failed, s.Skipped)
	}
	for _, a := range s.Accounts {
		t.Users += a.Users
		t.Admins += a.Admins
		t.Stale += a.Stale
		t.High += a.High
		t.Medium += a.Medium
		t.Low += a.Low
		t.Muted += a.Muted
		t.Problems += a.Problems
	}
	return s
}
