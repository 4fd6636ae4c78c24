package report

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/version"
)

// The HTML reports are one self-contained file each: the page's style and
// script (html/report.css, html/report.js, plain JavaScript with no library)
// are embedded in the binary and written inline, the rows go into a
// <script type="application/json" id="orgiam-rows"> block as they are read
// (one JSON array of strings per row, so the writer holds one row at a
// time), and the summary, computed as the rows go by, into a second block
// after them. The script draws the summary and shows the rows a page at a
// time with search, facets and sorting (see report.js).
//
// Inside those blocks the only thing that could end the script element
// early is "</script" (or "<!--"); encoding/json writes '<', '>' and '&' as
// \u003c, \u003e and \u0026, so no value from the data can.

//go:embed html/report.css
var htmlCSS string

//go:embed html/report.js
var htmlJS string

// htmlCSP is the pages' Content-Security-Policy: nothing is fetched
// (default-src 'none'), the one script that runs is report.js (by its
// hash: a script element made from the data would not run even if it got
// into the page), styles are inline (the script sets style attributes).
var htmlCSP = func() string {
	sum := sha256.Sum256([]byte(htmlJS))
	return "default-src 'none'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
}()

var htmlTmpl = template.Must(template.New("report").Parse(`{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="orgiam {{.Version}}">
<title>orgiam: {{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body data-kind="{{.Kind}}">
<header>
<h1>{{.Title}}</h1>
<p class="meta" id="meta">Generated <time datetime="{{.GeneratedAt}}">{{.GeneratedAt}}</time> by orgiam <span id="version">{{.Version}}</span>{{with .Run}} · snapshot <span id="snapshot">{{.}}</span>{{end}}{{with .Accounts}} · {{.}}{{end}} · {{.Rows}} rows</p>
{{range .Notes}}<p class="note">{{.}}</p>
{{end}}{{with .Unread}}<details class="note" id="unread"{{if le (len .) 10}} open{{end}}><summary>{{$.UnreadHead}}</summary>
<table class="small"><thead><tr><th>account</th><th>name</th><th>OU</th><th>status</th><th>reason</th></tr></thead><tbody>
{{range .}}<tr><td>{{.AccountID}}</td><td>{{.AccountName}}</td><td>{{.OUPath}}</td><td class="st-{{.Status}}">{{.Status}}</td><td>{{.Error}}</td></tr>
{{end}}</tbody></table></details>
{{end}}<noscript><p class="note">This page shows its rows with JavaScript, which is off: the same rows are in the report's CSV and JSON files.</p></noscript>
</header>
<section id="summary"></section>
<section id="table-section">
<h2>{{.Heading}}</h2>
<div id="controls"><input type="search" id="q" placeholder="Search every column" aria-label="search"><span id="facets"></span><span id="chips"></span><span id="count"></span></div>
<div id="wrap"><table id="rows"><thead></thead><tbody></tbody></table></div>
<div id="pager"><button id="first" type="button" aria-label="first page">&laquo;</button><button id="prev" type="button" aria-label="previous page">&lsaquo;</button><span id="page"></span><button id="next" type="button" aria-label="next page">&rsaquo;</button><button id="last" type="button" aria-label="last page">&raquo;</button><label>rows per page <select id="size"><option selected>50</option><option>100</option><option>250</option><option>1000</option></select></label></div>
</section>
{{end}}{{define "tail"}}
<script type="application/json" id="orgiam-meta">{{.Meta}}</script>
<script>{{.JS}}</script>
</body>
</html>
{{end}}`))

// htmlHeadData is what the page's head shows.
type htmlHeadData struct {
	Kind, Title, Heading string
	Notes                []string
	GeneratedAt          string
	Version              string
	Run                  string
	Accounts             string
	Rows                 string
	CSS                  template.CSS
	CSP                  string
	// Unread are the accounts whose data are missing or incomplete
	// (failed, skipped, partial), listed above the summary.
	Unread     []AccountSummary
	UnreadHead string
}

type htmlTailData struct {
	// Meta is JSON with '<', '>' and '&' escaped (see above); JS is the
	// embedded script. Both are trusted text written as they are.
	Meta template.JS
	JS   template.JS
}

// htmlColumn is one column of the page (meta.columns in report.js).
type htmlColumn struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	// Type: "" (text), num, date, sev (sorted by rank), status, bool,
	// mfa, ver (dotted numbers, as check ids), flags (space-separated tokens).
	Type   string  `json:"type,omitempty"`
	Facet  bool    `json:"facet,omitempty"`
	Frozen bool    `json:"frozen,omitempty"`
	Hidden bool    `json:"hidden,omitempty"` // shown in a row's details only
	Width  float64 `json:"w,omitempty"`      // em
	// Link: "user" makes a user ARN a link to the users report's row,
	// "findings" a link to that principal's findings.
	Link  string `json:"link,omitempty"`
	Param string `json:"param,omitempty"` // the URL parameter of its filter
	Alarm bool   `json:"alarm,omitempty"` // a "true" is highlighted
	order int
}

// htmlSpec is the page's shape of a known column: its position among the
// shown columns (order), or hidden.
type htmlSpec struct {
	htmlColumn
}

func col(order int, label, typ string, width float64, opts ...string) htmlSpec {
	c := htmlColumn{Label: label, Type: typ, Width: width, order: order}
	for _, o := range opts {
		switch {
		case o == "facet":
			c.Facet = true
		case o == "frozen":
			c.Frozen = true
		case o == "hidden":
			c.Hidden = true
		case o == "alarm":
			c.Alarm = true
		case strings.HasPrefix(o, "link="):
			c.Link = o[5:]
		case strings.HasPrefix(o, "param="):
			c.Param = o[6:]
		}
	}
	return htmlSpec{c}
}

// htmlSpecs are the known columns of each kind, by name. A column a kind's
// rows gain later (a new field of Finding, say) and that is not listed here
// is still in the data: shown in each row's details, searchable. Names of
// fields the findings are expected to gain are listed already.
var htmlSpecs = map[string]map[string]htmlSpec{
	KindFindings: {
		"account_id":      col(1, "account", "", 9, "frozen", "facet", "param=account"),
		"principal":       col(2, "principal", "", 22, "frozen", "link=user", "param=principal"),
		"severity":        col(3, "severity", "sev", 6.5, "facet", "param=severity"),
		"status":          col(4, "status", "status", 5, "facet", "param=status"),
		"muted":           col(5, "muted", "bool", 5, "facet", "param=muted"),
		"check_id":        col(6, "check", "ver", 4.5, "facet", "param=check"),
		"title":           col(7, "title", "", 22),
		"region":          col(8, "region", "", 8, "facet", "param=region"),
		"evidence":        col(9, "evidence", "", 28),
		"account_name":    col(10, "account name", "", 11),
		"ou_path":         col(11, "OU", "", 13, "facet", "param=ou"),
		"first_seen":      col(12, "first seen", "date", 10),
		"check_id_legacy": col(0, "check (CIS v1.4–4.0)", "ver", 0, "hidden"),
		"resource_arn":    col(0, "resource", "", 0, "hidden", "link=user"),
	},
	KindUsers: {
		"account_id":             col(1, "account", "", 9, "frozen", "facet", "param=account"),
		"user_name":              col(2, "user", "", 14, "frozen"),
		"flags":                  col(3, "flags", "flags", 11, "facet", "param=flags"),
		"admin":                  col(4, "admin", "bool", 4.5, "alarm"),
		"mfa":                    col(5, "MFA", "mfa", 5.5, "facet", "param=mfa"),
		"console_access":         col(6, "console", "bool", 5, "facet", "param=console"),
		"stale":                  col(7, "stale", "bool", 4.5, "alarm"),
		"last_activity":          col(8, "last activity", "date", 12),
		"key1_age_days":          col(9, "key 1 age", "num", 5.5),
		"key1_status":            col(10, "key 1", "", 5.5),
		"key2_age_days":          col(11, "key 2 age", "num", 5.5),
		"key2_status":            col(12, "key 2", "", 5.5),
		"groups":                 col(13, "groups", "", 12),
		"account_name":           col(14, "account name", "", 11),
		"ou_path":                col(15, "OU", "", 13, "facet", "param=ou"),
		"arn":                    col(0, "ARN", "", 0, "hidden", "link=findings", "param=user"),
		"policies":               col(16, "policies", "", 20),
		"created":                col(0, "created", "date", 0, "hidden"),
		"password_last_used":     col(0, "password last used", "date", 0, "hidden"),
		"key1_id":                col(0, "key 1 id", "", 0, "hidden"),
		"key1_last_used":         col(0, "key 1 last used", "date", 0, "hidden"),
		"key1_last_used_service": col(0, "key 1 last service", "", 0, "hidden"),
		"key2_id":                col(0, "key 2 id", "", 0, "hidden"),
		"key2_last_used":         col(0, "key 2 last used", "date", 0, "hidden"),
		"key2_last_used_service": col(0, "key 2 last service", "", 0, "hidden"),
		"permission_boundary":    col(0, "permission boundary", "", 0, "hidden"),
		"tags":                   col(0, "tags", "", 0, "hidden"),
	},
	// The credentials and summary pages show every column; these are the
	// ones with a role beyond text.
	"": {
		"account_id":   col(1, "account_id", "", 9, "frozen", "facet", "param=account"),
		"account_name": col(2, "account_name", "", 12),
		"user":         col(3, "user", "", 14, "frozen"),
		"ou_path":      col(4, "ou_path", "", 13, "facet", "param=ou"),
		"status":       col(5, "status", "status", 6, "facet", "param=status"),
	},
}

// htmlPage writes one HTML report: head, rows one by one, tail.
type htmlPage struct {
	w    *bufio.Writer
	kind string
	// in are the columns of the rows given to row; cols those of the page
	// (in, then the derived columns).
	in   []string
	cols []htmlColumn
	view []int
	at   map[string]int // index in in, by name
	// ouOf is each account's OU path, from the run's summary (findings
	// carry no OU of their own).
	ouOf    map[string]string
	derived []func(cells []string) string
	roll    htmlRollup
	n       int
	flagsAt int // users: the index of the derived flags column
	buf     []string
	sum     *Summary
}

// htmlRollup is the summary of a kind, counted row by row.
type htmlRollup interface {
	add(p *htmlPage, cells []string)
	finish() any
}

func newHTMLPage(w io.Writer, d Doc, rows int) (*htmlPage, error) {
	p := &htmlPage{w: bufio.NewWriterSize(w, 64<<10), kind: d.Kind, in: d.Columns, at: map[string]int{}, sum: d.Summary}
	for i, c := range d.Columns {
		p.at[c] = i
	}
	names := append([]string{}, d.Columns...)
	if d.Summary != nil {
		p.ouOf = make(map[string]string, len(d.Summary.Accounts))
		for _, a := range d.Summary.Accounts {
			p.ouOf[a.AccountID] = a.OUPath
		}
	}
	switch d.Kind {
	case KindFindings:
		if _, ok := p.at["ou_path"]; !ok {
			names = append(names, "ou_path")
			acct := p.at["account_id"]
			p.derived = append(p.derived, func(c []string) string { return p.ouOf[p.cell(c, acct)] })
		}
		p.roll = newFindingsRollup()
	case KindUsers:
		p.flagsAt = len(names)
		names = append(names, "flags")
		p.derived = append(p.derived, p.userFlags)
		p.roll = newUsersRollup()
	}
	specs := htmlSpecs[d.Kind]
	generic := specs == nil
	if generic {
		specs = htmlSpecs[""]
	}
	for i, name := range names {
		s, ok := specs[name]
		c := s.htmlColumn
		switch {
		case ok:
		case generic:
			c = htmlColumn{Label: name, Width: 10, order: 100 + i}
		default:
			c = htmlColumn{Label: strings.ReplaceAll(name, "_", " "), Hidden: true}
		}
		c.Name = name
		p.cols = append(p.cols, c)
		if !c.Hidden {
			p.view = append(p.view, i)
		}
	}
	sort.SliceStable(p.view, func(a, b int) bool {
		x, y := p.cols[p.view[a]], p.cols[p.view[b]]
		if x.Frozen != y.Frozen {
			return x.Frozen
		}
		return x.order < y.order
	})
	p.buf = make([]string, len(names))

	h := htmlHeadData{Kind: d.Kind, Title: d.Title, Heading: htmlHeading(d.Kind), Notes: d.Notes, Version: version.String(),
		Rows: strconv.Itoa(rows), CSS: template.CSS(htmlCSS), CSP: htmlCSP, GeneratedAt: "(time not recorded)"}
	at := d.GeneratedAt
	if d.Summary != nil {
		h.Run = d.Summary.Run
		at = d.Summary.GeneratedAt
		h.Accounts = plural(len(d.Summary.Accounts), "account", "accounts") + " (" + d.Summary.Totals.Status + ")"
		for _, a := range d.Summary.Accounts {
			if a.Status != "ok" {
				h.Unread = append(h.Unread, a)
			}
		}
		if len(h.Unread) > 0 {
			h.UnreadHead = plural(len(h.Unread), "account was", "accounts were") + " not read in full: their rows here are missing or incomplete."
		}
	}
	if !at.IsZero() {
		h.GeneratedAt = at.UTC().Format(time.RFC3339)
	}
	if err := htmlTmpl.ExecuteTemplate(p.w, "head", h); err != nil {
		return nil, err
	}
	// The rows' block is opened and closed here, outside the template: its
	// content is written row by row by row().
	p.w.WriteString(`<script type="application/json" id="orgiam-rows">[` + "\n")
	return p, nil
}

func htmlHeading(kind string) string {
	switch kind {
	case KindFindings:
		return "Findings"
	case KindUsers:
		return "Users"
	case KindCredentials:
		return "Credential report rows"
	case KindSummary:
		return "Accounts"
	}
	return "Rows"
}

// cell is c[i], or "" when the row is short or the column absent (i < 0).
func (p *htmlPage) cell(c []string, i int) string {
	if i < 0 || i >= len(c) {
		return ""
	}
	return c[i]
}

func (p *htmlPage) named(c []string, name string) string {
	i, ok := p.at[name]
	if !ok {
		return ""
	}
	return p.cell(c, i)
}

// userFlags is a users row's highlights: admin, no-mfa (a console password
// without MFA), stale, old-key (an active key older than 90 days).
func (p *htmlPage) userFlags(c []string) string {
	var f []string
	if p.named(c, "admin") == "true" {
		f = append(f, "admin")
	}
	if p.named(c, "console_access") == "true" && p.named(c, "mfa") == MFANone {
		f = append(f, "no-mfa")
	}
	if p.named(c, "stale") == "true" {
		f = append(f, "stale")
	}
	for _, k := range []string{"key1", "key2"} {
		age, err := strconv.Atoi(p.named(c, k+"_age_days"))
		if err == nil && age > 90 && strings.EqualFold(p.named(c, k+"_status"), "Active") {
			f = append(f, "old-key")
			break
		}
	}
	return strings.Join(f, " ")
}

// row writes one row.
func (p *htmlPage) row(cells []string) error {
	out := p.buf[:0]
	for i := range p.in {
		out = append(out, p.cell(cells, i))
	}
	for _, d := range p.derived {
		out = append(out, d(cells))
	}
	if p.roll != nil {
		p.roll.add(p, out)
	}
	line, err := json.Marshal(out)
	if err != nil {
		return err
	}
	if p.n > 0 {
		p.w.WriteString(",\n")
	}
	p.n++
	_, err = p.w.Write(line)
	return err
}

// htmlMeta is the orgiam-meta block.
type htmlMeta struct {
	Kind    string            `json:"kind"`
	Columns []htmlColumn      `json:"columns"`
	View    []int             `json:"view"`
	Sort    int               `json:"sort"`
	Links   map[string]string `json:"links"`
	Summary any               `json:"summary,omitempty"`
}

func (p *htmlPage) finish() error {
	if p.n > 0 {
		p.w.WriteString("\n")
	}
	p.w.WriteString("]</script>")
	m := htmlMeta{Kind: p.kind, Columns: p.cols, View: p.view, Sort: -1,
		Links: map[string]string{"users": "users.html", "findings": "findings.html"}}
	if p.kind == KindFindings {
		for i, c := range p.cols {
			if c.Name == "severity" {
				m.Sort = i
			}
		}
	}
	if p.roll != nil {
		m.Summary = p.roll.finish()
	}
	meta, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := htmlTmpl.ExecuteTemplate(p.w, "tail", htmlTailData{Meta: template.JS(meta), JS: template.JS(htmlJS)}); err != nil {
		return err
	}
	return p.w.Flush()
}

// writeHTMLRows writes an HTML report of n rows, given one by one to the
// function each passes them to.
func writeHTMLRows(w io.Writer, d Doc, n int, each func(fn func(cells []string) error) error) error {
	p, err := newHTMLPage(w, d, n)
	if err != nil {
		return err
	}
	if err := each(p.row); err != nil {
		return err
	}
	return p.finish()
}

func writeHTML(w io.Writer, d Doc) error {
	return writeHTMLRows(w, d, len(d.Rows), func(fn func([]string) error) error {
		for _, r := range d.Rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// severityRank orders severities: critical > high > medium > low >
// informational > anything else.
func severityRank(s string) int {
	switch strings.ToLower(s) {
	case "critical":
		return 5
	case SeverityHigh:
		return 4
	case SeverityMedium:
		return 3
	case SeverityLow:
		return 2
	case "informational":
		return 1
	}
	return 0
}

// topN is how many accounts and OUs the summaries list.
const topN = 10

// findingsRollup counts the failing findings (FAIL and not muted) by
// severity, by check (findings, principals, accounts) and by account and
// OU. The findings of an account come together (every report writes them
// account by account), so the distinct principals of a check are counted
// per account and only the current account's are kept.
type findingsRollup struct {
	severity map[string]int
	passed   int
	muted    int
	checks   map[string]*checkRoll
	accounts map[string]*sevCounts
	names    map[string]string
	ous      map[string]string
	cur      string
	seen     map[string]map[string]bool // check → principals, of account cur
}

type checkRoll struct {
	Check      string `json:"check"`
	Title      string `json:"title"`
	Severity   string `json:"severity"`
	Findings   int    `json:"findings"`
	Principals int    `json:"principals"`
	Accounts   int    `json:"accounts"`
}

type sevCounts struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	Accounts int    `json:"accounts,omitempty"`
	Critical int    `json:"critical,omitempty"`
	High     int    `json:"high,omitempty"`
	Medium   int    `json:"medium,omitempty"`
	Low      int    `json:"low,omitempty"`
	Info     int    `json:"informational,omitempty"`
}

func (s *sevCounts) add(sev string, n int) {
	switch severityRank(sev) {
	case 5:
		s.Critical += n
	case 4:
		s.High += n
	case 3:
		s.Medium += n
	case 2:
		s.Low += n
	case 1:
		s.Info += n
	}
}

func (s *sevCounts) plus(o *sevCounts) {
	s.Critical += o.Critical
	s.High += o.High
	s.Medium += o.Medium
	s.Low += o.Low
	s.Info += o.Info
}

// worse orders by the most severe findings first: critical, then high, …
func (s *sevCounts) worse(o *sevCounts) bool {
	a := [5]int{s.Critical, s.High, s.Medium, s.Low, s.Info}
	b := [5]int{o.Critical, o.High, o.Medium, o.Low, o.Info}
	if a != b {
		for i := range a {
			if a[i] != b[i] {
				return a[i] > b[i]
			}
		}
	}
	return s.ID < o.ID
}

func newFindingsRollup() *findingsRollup {
	return &findingsRollup{severity: map[string]int{}, checks: map[string]*checkRoll{}, accounts: map[string]*sevCounts{},
		names: map[string]string{}, ous: map[string]string{}, seen: map[string]map[string]bool{}}
}

func (r *findingsRollup) add(p *htmlPage, c []string) {
	status := p.named(c, "status")
	if status == StatusPass {
		r.passed++
		return
	}
	if status != StatusFail {
		return
	}
	if p.named(c, "muted") == "true" {
		r.muted++
		return
	}
	acct, sev, check := p.named(c, "account_id"), strings.ToLower(p.named(c, "severity")), p.named(c, "check_id")
	r.severity[sev]++
	if acct != r.cur {
		r.cur = acct
		clear(r.seen)
	}
	cr := r.checks[check]
	if cr == nil {
		cr = &checkRoll{Check: check, Title: p.named(c, "title"), Severity: sev}
		r.checks[check] = cr
	}
	cr.Findings++
	seen := r.seen[check]
	if seen == nil {
		seen = map[string]bool{}
		r.seen[check] = seen
		cr.Accounts++
	}
	if who := p.named(c, "principal"); !seen[who] {
		seen[who] = true
		cr.Principals++
	}
	a := r.accounts[acct]
	if a == nil {
		a = &sevCounts{ID: acct, Name: p.named(c, "account_name")}
		r.accounts[acct] = a
		r.ous[acct] = p.ouOf[acct]
		if ou := p.named(c, "ou_path"); ou != "" {
			r.ous[acct] = ou
		}
	}
	a.add(sev, 1)
}

func (r *findingsRollup) finish() any {
	checks := make([]*checkRoll, 0, len(r.checks))
	for _, c := range r.checks {
		checks = append(checks, c)
	}
	sort.Slice(checks, func(i, j int) bool {
		a, b := checks[i], checks[j]
		if x, y := severityRank(a.Severity), severityRank(b.Severity); x != y {
			return x > y
		}
		if a.Findings != b.Findings {
			return a.Findings > b.Findings
		}
		return a.Check < b.Check
	})
	accts := make([]*sevCounts, 0, len(r.accounts))
	ous := map[string]*sevCounts{}
	for id, a := range r.accounts {
		accts = append(accts, a)
		ou := r.ous[id]
		o := ous[ou]
		if o == nil {
			o = &sevCounts{ID: ou}
			ous[ou] = o
		}
		o.Accounts++
		o.plus(a)
	}
	return map[string]any{
		"severity": r.severity, "passed": r.passed, "muted": r.muted, "checks": checks,
		"accounts": worst(accts), "ous": worst(values(ous)),
	}
}

func values[T any](m map[string]*T) []*T {
	out := make([]*T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func worst(list []*sevCounts) []*sevCounts {
	sort.Slice(list, func(i, j int) bool { return list[i].worse(list[j]) })
	if len(list) > topN {
		list = list[:topN]
	}
	return list
}

// usersRollup counts the users and their flags, in all and per account
// and OU.
type usersRollup struct {
	users      int
	adminNoMFA int
	flags      map[string]int
	accounts   map[string]*userCounts
}

type userCounts struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	OU       string `json:"-"`
	Accounts int    `json:"accounts,omitempty"`
	Users    int    `json:"users"`
	Admin    int    `json:"admin,omitempty"`
	NoMFA    int    `json:"no-mfa,omitempty"`
	Stale    int    `json:"stale,omitempty"`
	OldKey   int    `json:"old-key,omitempty"`
}

func (u *userCounts) score() int { return u.Admin + u.NoMFA + u.Stale + u.OldKey }

func (u *userCounts) plus(o *userCounts) {
	u.Users += o.Users
	u.Admin += o.Admin
	u.NoMFA += o.NoMFA
	u.Stale += o.Stale
	u.OldKey += o.OldKey
}

func newUsersRollup() *usersRollup {
	return &usersRollup{flags: map[string]int{}, accounts: map[string]*userCounts{}}
}

func (r *usersRollup) add(p *htmlPage, c []string) {
	r.users++
	acct := p.named(c, "account_id")
	a := r.accounts[acct]
	if a == nil {
		a = &userCounts{ID: acct, Name: p.named(c, "account_name"), OU: p.named(c, "ou_path")}
		r.accounts[acct] = a
	}
	a.Users++
	flags := strings.Fields(p.cell(c, p.flagsAt))
	admin, nomfa := false, false
	for _, f := range flags {
		r.flags[f]++
		switch f {
		case "admin":
			a.Admin++
			admin = true
		case "no-mfa":
			a.NoMFA++
			nomfa = true
		case "stale":
			a.Stale++
		case "old-key":
			a.OldKey++
		}
	}
	if admin && nomfa {
		r.adminNoMFA++
	}
}

func (r *usersRollup) finish() any {
	accts := make([]*userCounts, 0, len(r.accounts))
	ous := map[string]*userCounts{}
	for _, a := range r.accounts {
		accts = append(accts, a)
		o := ous[a.OU]
		if o == nil {
			o = &userCounts{ID: a.OU}
			ous[a.OU] = o
		}
		o.Accounts++
		o.plus(a)
	}
	return map[string]any{"users": r.users, "admin_no_mfa": r.adminNoMFA, "flags": r.flags,
		"accounts": worstUsers(accts), "ous": worstUsers(values(ous))}
}

func worstUsers(list []*userCounts) []*userCounts {
	sort.Slice(list, func(i, j int) bool {
		if a, b := list[i].score(), list[j].score(); a != b {
			return a > b
		}
		return list[i].ID < list[j].ID
	})
	if len(list) > topN {
		list = list[:topN]
	}
	return list
}
