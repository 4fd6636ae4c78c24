package report

import (
	"bufio"
	"html/template"
	"io"
)

// htmlTmpl is the page in three parts, so that a report's rows can be
// written one by one between its head and its tail: "head" (up to the rows
// table's <tbody>; it needs the row count and the summary), "row", "tail".
var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{"cls": cellClass}).Parse(`{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>orgiam: {{.Title}}</title>
<style>
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:1.5em;color:#1b1f24;font-size:14px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}
.note{background:#fff8c5;border-left:4px solid #d4a72c;padding:.4em .8em;margin:.3em 0}
table{border-collapse:collapse;margin:.5em 0;width:100%}
th,td{border:1px solid #d0d7de;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa;cursor:pointer;white-space:nowrap;position:sticky;top:0}
th.asc::after{content:" \25B2"}th.desc::after{content:" \25BC"}
tr:nth-child(even) td{background:#fafbfc}
td.s-high,td.s-FAIL,td.s-failed{color:#a40e26;font-weight:600}
td.s-medium,td.s-skipped{color:#9a6700;font-weight:600}
td.s-ok,td.s-PASS{color:#1a7f37}
.count{color:#57606a}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{range .Notes}}<p class="note">{{.}}</p>
{{end}}{{with .Summary}}<h2>Accounts (run {{.Run}})</h2>
<p class="count">{{len .Accounts}} accounts: {{.Totals.Status}}; {{.Totals.Users}} users, {{.Totals.Admins}} administrators, {{.Totals.Stale}} stale; findings: {{.Totals.High}} high, {{.Totals.Medium}} medium, {{.Totals.Low}} low.</p>
<table class="sortable">
<thead><tr><th>account_id</th><th>account_name</th><th>ou_path</th><th>status</th><th>error</th><th>users</th><th>admins</th><th>stale</th><th>high</th><th>medium</th><th>low</th></tr></thead>
<tbody>
{{range .Accounts}}<tr><td>{{.AccountID}}</td><td>{{.AccountName}}</td><td>{{.OUPath}}</td><td{{with cls .Status}} class="{{.}}"{{end}}>{{.Status}}</td><td>{{.Error}}</td><td>{{.Users}}</td><td>{{.Admins}}</td><td>{{.Stale}}</td><td>{{.High}}</td><td>{{.Medium}}</td><td>{{.Low}}</td></tr>
{{end}}</tbody>
</table>
{{end}}<h2>{{.Kind}} <span class="count">({{.RowCount}} rows)</span></h2>
<table class="sortable">
<thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{end}}{{define "row"}}<tr>{{range .}}<td{{with cls .}} class="{{.}}"{{end}}>{{.}}</td>{{end}}</tr>
{{end}}{{define "tail"}}</tbody>
</table>
<script>
document.querySelectorAll("table.sortable").forEach(function(t){
  t.querySelectorAll("th").forEach(function(th,i){
    th.addEventListener("click",function(){
      var asc=!th.classList.contains("asc"),tb=t.tBodies[0];
      t.querySelectorAll("th").forEach(function(h){h.classList.remove("asc","desc")});
      th.classList.add(asc?"asc":"desc");
      var rows=Array.prototype.slice.call(tb.rows);
      rows.sort(function(a,b){
        var x=a.cells[i].textContent,y=b.cells[i].textContent,nx=parseFloat(x),ny=parseFloat(y);
        var c=(!isNaN(nx)&&!isNaN(ny)&&String(nx)===x&&String(ny)===y)?nx-ny:x.localeCompare(y);
        return asc?c:-c;
      });
      rows.forEach(function(r){tb.appendChild(r)});
    });
  });
});
</script>
</body>
</html>
{{end}}`))

// cellClass colours status and severity cells.
func cellClass(v string) string {
	switch v {
	case SeverityHigh, SeverityMedium, StatusFail, StatusPass, "ok", "failed", "skipped":
		return "s-" + v
	}
	return ""
}

// htmlHeadData is what the head shows: the Doc (its rows are not used) and
// the number of rows.
type htmlHeadData struct {
	Doc
	RowCount int
}

func htmlHead(w io.Writer, d Doc, rows int) error {
	return htmlTmpl.ExecuteTemplate(w, "head", htmlHeadData{Doc: d, RowCount: rows})
}

func htmlRow(w io.Writer, cells []string) error {
	return htmlTmpl.ExecuteTemplate(w, "row", cells)
}

func htmlTail(w io.Writer, d Doc) error {
	return htmlTmpl.ExecuteTemplate(w, "tail", d)
}

func writeHTML(w io.Writer, d Doc) error {
	bw := bufio.NewWriter(w)
	if err := htmlHead(bw, d, len(d.Rows)); err != nil {
		return err
	}
	for _, r := range d.Rows {
		if err := htmlRow(bw, r); err != nil {
			return err
		}
	}
	if err := htmlTail(bw, d); err != nil {
		return err
	}
	return bw.Flush()
}
