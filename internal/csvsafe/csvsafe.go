// Package csvsafe writes CSV that a spreadsheet opens without running
// anything: a cell that begins with a character a spreadsheet reads as the
// start of a formula (=, +, -, @) or with a tab or carriage return (which
// some strip before that test) is prefixed with a single quote, as OWASP's
// "CSV Injection" guidance recommends; a plain signed number is not. Account names, user names, tags and
// policy names are chosen by whoever administers a member account, so every
// CSV orgiam writes goes through here.
package csvsafe

import (
	"encoding/csv"
	"io"
	"strings"
)

// Cell returns s, neutralised when a spreadsheet would read it as a formula.
// A plain signed number ("-3", "+1.5") is left as it is: it can only be
// read as that number, and the reports' numeric columns stay numbers.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return "'" + s
	case '+', '-':
		if !plainNumber(s[1:]) {
			return "'" + s
		}
	}
	return s
}

// plainNumber reports digits with at most one decimal point between digits.
func plainNumber(s string) bool {
	whole, frac, dot := strings.Cut(s, ".")
	return digits(whole) && (!dot || digits(frac))
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Writer is a csv.Writer whose records are neutralised cell by cell.
type Writer struct {
	*csv.Writer
	rec []string
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{Writer: csv.NewWriter(w)} }

// Write writes one record, neutralising its cells (record is not modified).
func (w *Writer) Write(record []string) error {
	w.rec = w.rec[:0]
	for _, c := range record {
		w.rec = append(w.rec, Cell(c))
	}
	return w.Writer.Write(w.rec)
}

// WriteAll writes records and flushes, as csv.Writer.WriteAll does.
func (w *Writer) WriteAll(records [][]string) error {
	for _, r := range records {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
