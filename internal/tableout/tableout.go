// Package tableout writes tabular results (column names + string rows) as an
// aligned text table for a terminal, as JSON (an array of objects keyed by
// column) or as CSV.
package tableout

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/orgiam/orgiam/internal/csvsafe"
)

// Formats are the accepted output formats.
var Formats = []string{"table", "json", "csv"}

// Rows is a tabular result: column names and rows of string cells.
type Rows struct {
	Columns []string   `json:"columns"`
	Data    [][]string `json:"data"`
}

// Write writes r in format (see Write).
func (r Rows) Write(w io.Writer, format string) error { return Write(w, format, r.Columns, r.Data) }

// Write writes rows under cols in format: "table", "json" or "csv". A row
// shorter than cols is padded with empty cells; a longer one is an error.
func Write(w io.Writer, format string, cols []string, rows [][]string) error {
	for i, r := range rows {
		if len(r) > len(cols) {
			return fmt.Errorf("tableout: row %d has %d cells for %d columns", i+1, len(r), len(cols))
		}
	}
	switch strings.ToLower(format) {
	case "table", "":
		return writeTable(w, cols, rows)
	case "json":
		return writeJSON(w, cols, rows)
	case "csv":
		return writeCSV(w, cols, rows)
	}
	return fmt.Errorf("output format %q is not supported (valid: %s)", format, strings.Join(Formats, ", "))
}

func cell(r []string, i int) string {
	if i < len(r) {
		return r[i]
	}
	return ""
}

// clean keeps a table cell on one line.
func clean(s string) string {
	if strings.ContainsAny(s, "\n\r\t") {
		s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s)
	}
	return s
}

func writeTable(w io.Writer, cols []string, rows [][]string) error {
	width := make([]int, len(cols))
	for i, c := range cols {
		width[i] = utf8.RuneCountInString(c)
	}
	for _, r := range rows {
		for i := range cols {
			if n := utf8.RuneCountInString(clean(cell(r, i))); n > width[i] {
				width[i] = n
			}
		}
	}
	var b strings.Builder
	line := func(get func(i int) string) {
		for i := range cols {
			s := get(i)
			b.WriteString(s)
			if i < len(cols)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(s)+2))
			}
		}
		b.WriteByte('\n')
	}
	line(func(i int) string { return strings.ToUpper(cols[i]) })
	for _, r := range rows {
		line(func(i int) string { return clean(cell(r, i)) })
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeJSON(w io.Writer, cols []string, rows [][]string) error {
	// Objects are written by hand to keep the columns in their order.
	var b strings.Builder
	b.WriteString("[")
	for n, r := range rows {
		if n > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  {")
		for i, c := range cols {
			if i > 0 {
				b.WriteString(", ")
			}
			k, _ := json.Marshal(c)
			v, _ := json.Marshal(cell(r, i))
			b.Write(k)
			b.WriteString(": ")
			b.Write(v)
		}
		b.WriteString("}")
	}
	if len(rows) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeCSV writes CSV with the cells a spreadsheet would run as formulas
// neutralised (see csvsafe): query results carry names member accounts choose.
func writeCSV(w io.Writer, cols []string, rows [][]string) error {
	cw := csvsafe.NewWriter(w)
	if err := cw.Write(cols); err != nil {
		return err
	}
	rec := make([]string, len(cols))
	for _, r := range rows {
		for i := range cols {
			rec[i] = cell(r, i)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
