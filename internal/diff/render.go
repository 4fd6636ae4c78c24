package diff

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/orgiam/orgiam/internal/tableout"
)

// Formats are the output formats of Write.
var Formats = []string{"table", "json", "md", "html"}

// Columns are the table columns of a change.
var Columns = []string{"severity", "kind", "action", "account_id", "account_name", "principal", "subject", "via", "detail"}

// Cells flattens a change in Columns' order.
func (c Change) Cells() []string {
	return []string{c.Severity, c.Kind, c.Action, c.AccountID, c.AccountName, c.Principal, c.Subject, c.Via, c.Detail}
}

// Headline is the one-line summary: "12 changes (2 high, 3 medium, …) from A to B".
func (r *Report) Headline() string {
	var parts []string
	for _, s := range Severities {
		if n := r.BySeverity[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	sev := ""
	if len(parts) > 0 {
		sev = " (" + strings.Join(parts, ", ") + ")"
	}
	return fmt.Sprintf("%d change(s)%s from run %s to run %s; %d account(s) compared, %d added, %d removed, %d not compared",
		len(r.Changes), sev, r.From.Run, r.To.Run, r.Accounts.Compared, r.Accounts.Added, r.Accounts.Removed, r.Accounts.NotCompared)
}

// Write renders the report as table, json, md or html.
func Write(w io.Writer, format string, r *Report) error {
	switch format {
	case "", "table":
		fmt.Fprintln(w, r.Headline())
		if len(r.Changes) == 0 {
			return nil
		}
		fmt.Fprintln(w)
		rows := make([][]string, len(r.Changes))
		for i, c := range r.Changes {
			rows[i] = c.Cells()
		}
		return tableout.Write(w, "table", Columns, rows)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "md":
		return writeMarkdown(w, r)
	case "html":
		return htmlTmpl.Execute(w, r)
	}
	return fmt.Errorf("format %q is not one of %s", format, strings.Join(Formats, ", "))
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func writeMarkdown(w io.Writer, r *Report) error {
	fmt.Fprintf(w, "# Changes from %s to %s\n\n%s\n\n", r.From.Run, r.To.Run, r.Headline())
	if len(r.Changes) == 0 {
		_, err := fmt.Fprintln(w, "No change.")
		return err
	}
	fmt.Fprintln(w, "| "+strings.Join(Columns, " | ")+" |")
	fmt.Fprintln(w, "|"+strings.Repeat(" --- |", len(Columns)))
	for _, c := range r.Changes {
		cells := c.Cells()
		for i := range cells {
			cells[i] = mdCell(cells[i])
		}
		if _, err := fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |"); err != nil {
			return err
		}
	}
	return nil
}

// statementsJSON renders statements for the HTML page.
func statementsJSON(s []Statement) string {
	if len(s) == 0 {
		return ""
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	return string(b)
}

var htmlTmpl = template.Must(template.New("diff").Funcs(template.FuncMap{"stmts": statementsJSON}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orgiam: changes from {{.From.Run}} to {{.To.Run}}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.high{color:#b00020;font-weight:bold}.medium{color:#b35c00}.low{color:#555}.info{color:#777}
pre{margin:4px 0;font-size:12px;white-space:pre-wrap}
</style></head><body>
<h1>Changes from {{.From.Run}} to {{.To.Run}}</h1>
<p>{{.Headline}}</p>
{{if .Changes}}<table><thead><tr><th>severity</th><th>kind</th><th>action</th><th>account</th><th>principal</th><th>subject</th><th>detail</th></tr></thead><tbody>
{{range .Changes}}<tr><td class="{{.Severity}}">{{.Severity}}</td><td>{{.Kind}}</td><td>{{.Action}}</td><td>{{.AccountID}} {{.AccountName}}</td><td>{{.Principal}}</td><td>{{.Subject}}{{if .Via}} ({{.Via}}){{end}}</td>
<td>{{.Detail}}{{with stmts .Added}}<pre>+ {{.}}</pre>{{end}}{{with stmts .Removed}}<pre>- {{.}}</pre>{{end}}</td></tr>
{{end}}</tbody></table>{{else}}<p>No change.</p>{{end}}
</body></html>
`))
