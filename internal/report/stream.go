package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// spool is a temporary file of records, one compact JSON value per line
// (exactly json.Marshal's bytes). The reports of a large organization are
// written through spools so that memory holds one account at a time: the
// pass over the accounts appends each account's rows, and each output
// (JSON array, CSV, HTML) is then produced by reading the spool back, one
// record at a time. JSON lines rather than CSV: a value goes back exactly
// as it came (encoding/csv reads a quoted "\r\n" as "\n").
type spool struct {
	f    *os.File
	w    *bufio.Writer
	n    int   // records
	size int64 // bytes
}

func newSpool() (*spool, error) {
	f, err := os.CreateTemp("", "orgiam-report-*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("report: temporary file: %w", err)
	}
	return &spool{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// add appends one record.
func (s *spool) add(v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.n++
	s.size += int64(len(line)) + 1
	s.w.Write(line)
	return s.w.WriteByte('\n')
}

func (s *spool) flush() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("report: temporary file: %w", err)
	}
	return nil
}

// each calls fn with every record's line, in order (the slice is reused).
func (s *spool) each(fn func(line []byte) error) error {
	if err := s.flush(); err != nil {
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	sc := bufio.NewScanner(s.f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<30)
	for sc.Scan() {
		if err := fn(sc.Bytes()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("report: temporary file: %w", err)
	}
	return nil
}

func (s *spool) close() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// output is one report object being written to a temporary file before it
// is stored whole (store.PutReader streams it to the backend).
type output struct {
	f *os.File
	w *bufio.Writer
}

func newOutput() (*output, error) {
	f, err := os.CreateTemp("", "orgiam-report-*")
	if err != nil {
		return nil, fmt.Errorf("report: temporary file: %w", err)
	}
	return &output{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

func (o *output) Write(p []byte) (int, error) { return o.w.Write(p) }

// store flushes the file and puts it under key.
func (o *output) store(ctx context.Context, s store.Store, key string) error {
	if err := o.w.Flush(); err != nil {
		return err
	}
	size, err := o.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := o.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return store.PutReader(ctx, s, key, o.f, size)
}

func (o *output) close() {
	o.f.Close()
	os.Remove(o.f.Name())
}

// jsonArray writes the records of a spool as WriteDoc's json format writes
// the same values in a slice: json.Encoder with a two-space indent, which
// is each element's json.Marshal indented one level.
func jsonArray(w io.Writer, s *spool) error {
	return jsonLines(w, s.n, s.each)
}

// jsonLines writes n compact JSON values, given one by one to the function
// each passes them to, as an indented JSON array.
func jsonLines(w io.Writer, n int, each func(func(line []byte) error) error) error {
	if n == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	var buf bytes.Buffer
	first := true
	err := each(func(line []byte) error {
		buf.Reset()
		if first {
			buf.WriteString("[\n  ")
			first = false
		} else {
			buf.WriteString(",\n  ")
		}
		if err := json.Indent(&buf, line, "  ", "  "); err != nil {
			return err
		}
		_, err := w.Write(buf.Bytes())
		return err
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n]\n")
	return err
}

// table is a report whose rows are given one by one: the Doc without rows
// (title, columns, summary for the HTML head), the number of rows, and the
// rows' cells.
type table struct {
	doc  Doc
	n    int
	each func(fn func(cells []string) error) error
}

// spoolTable is the table of a spool's records.
func spoolTable(d Doc, s *spool, cells func(line []byte) ([]string, error)) table {
	return table{doc: d, n: s.n, each: func(fn func([]string) error) error {
		return s.each(func(line []byte) error {
			c, err := cells(line)
			if err != nil {
				return err
			}
			return fn(c)
		})
	}}
}

func (t table) writeCSV(w io.Writer) error {
	cw := newCSVWriter(w)
	if err := cw.Write(t.doc.Columns); err != nil {
		return err
	}
	if err := t.each(cw.Write); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func (t table) writeHTML(w io.Writer) error {
	return writeHTMLRows(w, t.doc, t.n, t.each)
}

func (t table) writeMD(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	mdHead(bw, t.doc)
	if err := t.each(func(c []string) error { mdRow(bw, c); return nil }); err != nil {
		return err
	}
	mdTail(bw, t.n)
	return bw.Flush()
}

// userCells and findingCells decode a spool line with the encoding/json
// v2 engine (see snapshot.ReadJSON): the line is json.Marshal's own output
// of the same type, so the exact member names match, and decoding it back
// for each of the CSV and HTML outputs took a quarter of the report step
// with v1.
func userCells(line []byte) ([]string, error) {
	var u UserRow
	if err := jsonv2.Unmarshal(line, &u); err != nil {
		return nil, err
	}
	return u.Cells(), nil
}

func findingCells(line []byte) ([]string, error) {
	var f Finding
	if err := jsonv2.Unmarshal(line, &f); err != nil {
		return nil, err
	}
	return f.Cells(), nil
}

// Result is what WriteAll wrote.
type Result struct {
	Keys []string
	// Partial lists the accounts reported partially ("<id>: <files>"):
	// their scan succeeded but some of their files could not be read.
	Partial []string
	Summary Summary
}

// WriteAll computes every report of the run and writes reports/users.{csv,json,html},
// reports/credentials.csv, reports/findings.{csv,json,html} and
// reports/summary.json into the run through r.Store. It returns the keys written.
//
// It goes through the accounts once, one at a time: each account's users,
// findings and credential report rows go to temporary files, its counts to
// the summary; then each report is written from those files and stored. The
// memory it needs does not grow with the organization beyond the account
// list and the summary's line per account.
func WriteAll(ctx context.Context, r snapshot.Reader, o Options) (keys []string, err error) {
	res, err := WriteAllResult(ctx, r, o)
	return res.Keys, err
}

// WriteAllResult is WriteAll, also returning the accounts reported
// partially and the summary.
func WriteAllResult(ctx context.Context, r snapshot.Reader, o Options) (Result, error) {
	var res Result
	o = o.withDefaults()
	rn, err := openRun(ctx, r)
	if err != nil {
		return res, err
	}
	if o, err = o.withHistory(ctx, r); err != nil {
		return res, err
	}
	users, err := newSpool()
	if err != nil {
		return res, err
	}
	defer users.close()
	findings, err := newSpool()
	if err != nil {
		return res, err
	}
	defer findings.close()
	creds, err := newCredSpool(len(rn.list))
	if err != nil {
		return res, err
	}
	defer creds.close()
	sum := newSummarizer(r.Run, rn, o)

	err = rn.eachAccount(ctx, r, func(group []*acct) error {
		us := groupUsers(rn, group, o)
		for i := range us {
			if err := users.add(&us[i]); err != nil {
				return err
			}
		}
		fs := groupFindings(rn, group, o)
		for i := range fs {
			if err := findings.add(&fs[i]); err != nil {
				return err
			}
		}
		for _, a := range group {
			if err := creds.add(a); err != nil {
				return err
			}
			if a.partial() {
				res.Partial = append(res.Partial, a.account.ID+": "+a.statusError())
			}
		}
		sum.add(group, us, fs)
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Summary = sum.finish()
	s := &res.Summary

	usersT := spoolTable(Doc{Kind: KindUsers, Title: usersTitle, Columns: UserColumns, Summary: s}, users, userCells)
	findT := spoolTable(Doc{Kind: KindFindings, Title: findingsTitle, Columns: FindingColumns, Summary: s}, findings, findingCells)
	outputs := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"users.csv", usersT.writeCSV},
		{"users.json", func(w io.Writer) error { return jsonArray(w, users) }},
		{"users.html", usersT.writeHTML},
		{"credentials.csv", creds.writeCSV},
		{"findings.csv", findT.writeCSV},
		{"findings.json", func(w io.Writer) error { return jsonArray(w, findings) }},
		{"findings.html", findT.writeHTML},
		{"summary.json", func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(s)
		}},
	}
	// The set is complete only once its record is written again, last.
	if err := clearCompletion(ctx, r.Store, r.Run); err != nil {
		return res, err
	}
	var files []CompletedFile
	for _, out := range outputs {
		key := store.ReportKey(r.Run, out.name)
		f, err := writeOutput(ctx, r.Store, key, out.write)
		if err != nil {
			return res, fmt.Errorf("report %s: %w", out.name, err)
		}
		f.Name = out.name
		files = append(files, f)
		res.Keys = append(res.Keys, key)
	}
	if err := writeCompletion(ctx, r.Store, r.Run, files); err != nil {
		return res, err
	}
	return res, nil
}

// writeOutput writes one report to a temporary file and stores it,
// returning its size and hash.
func writeOutput(ctx context.Context, s store.Store, key string, write func(io.Writer) error) (CompletedFile, error) {
	o, err := newOutput()
	if err != nil {
		return CompletedFile{}, err
	}
	defer o.close()
	hw := newHashingWriter(o)
	if err := write(hw); err != nil {
		return CompletedFile{}, err
	}
	if err := o.store(ctx, s, key); err != nil {
		return CompletedFile{}, fmt.Errorf("write %s/%s: %w", s, key, err)
	}
	return hw.file(""), nil
}

// WriteReport writes one report of the run (users, credentials, findings or
// summary) in a format (csv, json, md or html) to w, as Write writes the
// same data, going through the accounts once as WriteAll does: memory holds
// one account at a time. The HTML of users, credentials and findings shows
// the run's summary above the table.
func WriteReport(ctx context.Context, r snapshot.Reader, o Options, kind, format string, w io.Writer) error {
	switch format {
	case FormatCSV, FormatJSON, FormatMD, FormatHTML:
	case FormatOCSF, FormatASFF, FormatSARIF:
		if kind != KindFindings {
			return fmt.Errorf("report format %q is for findings only", format)
		}
	default:
		return fmt.Errorf("report format %q is not one of csv, json, md, html, ocsf, asff, sarif", format)
	}
	switch kind {
	case KindUsers, KindCredentials, KindFindings:
	case KindSummary:
		s, err := BuildSummary(ctx, r, o)
		if err != nil {
			return err
		}
		return Write(w, kind, format, s)
	default:
		return fmt.Errorf("report kind %q is not one of users, credentials, findings, summary", kind)
	}
	o = o.withDefaults()
	rn, err := openRun(ctx, r)
	if err != nil {
		return err
	}
	if kind == KindFindings {
		if o, err = o.withHistory(ctx, r); err != nil {
			return err
		}
	}
	var sp *spool
	var creds *credSpool
	if kind == KindCredentials {
		if creds, err = newCredSpool(len(rn.list)); err != nil {
			return err
		}
		defer creds.close()
	} else {
		if sp, err = newSpool(); err != nil {
			return err
		}
		defer sp.close()
	}
	var sum *summarizer
	if format == FormatHTML {
		sum = newSummarizer(r.Run, rn, o)
	}
	err = rn.eachAccount(ctx, r, func(group []*acct) error {
		var us []UserRow
		var fs []Finding
		if kind == KindUsers || sum != nil {
			us = groupUsers(rn, group, o)
		}
		if kind == KindFindings || sum != nil {
			fs = groupFindings(rn, group, o)
		}
		switch kind {
		case KindUsers:
			for i := range us {
				if err := sp.add(&us[i]); err != nil {
					return err
				}
			}
		case KindFindings:
			for i := range fs {
				if err := sp.add(&fs[i]); err != nil {
					return err
				}
			}
		case KindCredentials:
			for _, a := range group {
				if err := creds.add(a); err != nil {
					return err
				}
			}
		}
		if sum != nil {
			sum.add(group, us, fs)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var t table
	var jsonOut func(io.Writer) error
	switch kind {
	case KindUsers:
		t = spoolTable(Doc{Kind: kind, Title: usersTitle, Columns: UserColumns}, sp, userCells)
		jsonOut = func(w io.Writer) error { return jsonArray(w, sp) }
	case KindFindings:
		t = spoolTable(Doc{Kind: kind, Title: findingsTitle, Columns: FindingColumns}, sp, findingCells)
		jsonOut = func(w io.Writer) error { return jsonArray(w, sp) }
	case KindCredentials:
		cols := creds.columns()
		t = table{doc: Doc{Kind: kind, Title: credentialsTitle, Columns: cols}, n: creds.sp.n, each: creds.each}
		// NewDoc's JSON: one object per row, keyed by column (encoding/json
		// writes a map's keys sorted).
		jsonOut = func(w io.Writer) error {
			return jsonLines(w, t.n, func(fn func([]byte) error) error {
				return creds.each(func(row []string) error {
					m := make(map[string]string, len(cols))
					for i, c := range cols {
						m[c] = row[i]
					}
					line, err := json.Marshal(m)
					if err != nil {
						return err
					}
					return fn(line)
				})
			})
		}
	}
	if sum != nil {
		s := sum.finish()
		t.doc.Summary = &s
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	switch format {
	case FormatCSV:
		err = t.writeCSV(bw)
	case FormatJSON:
		err = jsonOut(bw)
	case FormatMD:
		err = t.writeMD(bw)
	case FormatHTML:
		err = t.writeHTML(bw)
	case FormatOCSF, FormatASFF, FormatSARIF:
		err = writeMachine(bw, format, o, r, sp)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// writeMachine writes the spooled findings as OCSF, ASFF (JSON arrays) or
// SARIF, converting one finding at a time.
func writeMachine(w io.Writer, format string, o Options, r snapshot.Reader, sp *spool) error {
	each := func(fn func(*Finding) error) error {
		return sp.each(func(line []byte) error {
			var f Finding
			if err := json.Unmarshal(line, &f); err != nil {
				return err
			}
			return fn(&f)
		})
	}
	if format == FormatSARIF {
		checks := Checks
		if len(o.CheckIDs) > 0 {
			checks = nil
			for _, c := range Checks {
				if o.CheckIDs[c.ID] {
					checks = append(checks, c)
				}
			}
		}
		base := strings.TrimSuffix(r.Store.String(), "/") + "/" + strings.Trim(r.Run, "/") + "/"
		return writeSARIF(w, o.ToolVersion, base, checks, each)
	}
	convert := func(f *Finding) any {
		if format == FormatASFF {
			return ToASFF(f, ASFFOptions{Region: o.ASFFRegion, ProductAccount: o.ASFFProductAccount, Now: o.Now})
		}
		return ToOCSF(f, OCSFOptions{Now: o.Now, ToolVersion: o.ToolVersion})
	}
	return jsonLines(w, sp.n, func(fn func([]byte) error) error {
		return each(func(f *Finding) error {
			line, err := json.Marshal(convert(f))
			if err != nil {
				return err
			}
			return fn(line)
		})
	})
}
