package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strings"

	"github.com/orgiam/orgiam/internal/csvsafe"
	"github.com/orgiam/orgiam/internal/snapshot"
)

// Credentials rolls every account's credential report into one table:
// account_id, account_name, then IAM's columns (the current IAM columns
// first, then any other column a report carries, in order of appearance).
// Values are exactly as in each stored CSV; a column an account's report
// lacks is empty. Rows follow the account list's order.
func Credentials(ctx context.Context, r snapshot.Reader) (cols []string, rows [][]string, err error) {
	rn, err := openRun(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	cs, err := newCredSpool(len(rn.list))
	if err != nil {
		return nil, nil, err
	}
	defer cs.close()
	if err := rn.eachAccount(ctx, r, func(group []*acct) error {
		for _, a := range group {
			if err := cs.add(a); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, nil, err
	}
	rows = [][]string{}
	err = cs.each(func(row []string) error {
		rows = append(rows, append([]string(nil), row...))
		return nil
	})
	return cs.columns(), rows, err
}

// credSpool gathers the accounts' credential report rows as the accounts
// go by (in account id order) and gives them back in the account list's
// order, mapped to the union of every report's columns, which is known
// only at the end.
type credSpool struct {
	sp *spool
	// segs is, per list position, that account's records in the spool.
	segs []credSeg
	// extra is, per list position, the columns of that account's report
	// beyond IAM's current ones (nil for nearly every account).
	extra map[int][]string
}

// credSeg is one account's part of the spool: n records from byte off.
type credSeg struct {
	off int64
	n   int
}

func newCredSpool(accounts int) (*credSpool, error) {
	sp, err := newSpool()
	if err != nil {
		return nil, err
	}
	return &credSpool{sp: sp, segs: make([]credSeg, accounts), extra: map[int][]string{}}, nil
}

func (c *credSpool) close() { c.sp.close() }

var standardCredColumn = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range snapshot.CredentialReportColumns {
		m[c] = true
	}
	return m
}()

// add spools an account's rows: account id, name, IAM's current columns,
// then the account's extra columns. A report that is not valid CSV is left
// out (the account was already noted as failed or partial when its report
// did not parse).
func (c *credSpool) add(a *acct) error {
	if len(a.rawCSV) == 0 {
		return nil
	}
	cr := csv.NewReader(bytes.NewReader(a.rawCSV))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil || len(recs) == 0 {
		return nil
	}
	pos := map[string]int{}
	var extra []string
	for i, h := range recs[0] {
		h = strings.TrimSpace(h)
		if _, dup := pos[h]; !dup && !standardCredColumn[h] {
			extra = append(extra, h)
		}
		pos[h] = i
	}
	if extra != nil {
		c.extra[a.pos] = extra
	}
	own := append(append([]string{}, snapshot.CredentialReportColumns...), extra...)
	seg := credSeg{off: c.sp.size}
	for _, rec := range recs[1:] {
		row := make([]string, 2+len(own))
		row[0], row[1] = a.account.ID, a.name()
		for i, col := range own {
			if j, ok := pos[col]; ok && j < len(rec) {
				row[i+2] = rec[j]
			}
		}
		if err := c.sp.add(row); err != nil {
			return err
		}
		seg.n++
	}
	c.segs[a.pos] = seg
	return nil
}

// iamColumns is IAM's current columns, then every extra column in order of
// first appearance along the account list.
func (c *credSpool) iamColumns() []string {
	cols := append([]string{}, snapshot.CredentialReportColumns...)
	seen := map[string]bool{}
	for p := range c.segs {
		for _, x := range c.extra[p] {
			if !seen[x] {
				seen[x] = true
				cols = append(cols, x)
			}
		}
	}
	return cols
}

func (c *credSpool) columns() []string {
	return append([]string{"account_id", "account_name"}, c.iamColumns()...)
}

// each calls fn with every row in the account list's order, mapped to
// columns() (the slice is reused).
func (c *credSpool) each(fn func(row []string) error) error {
	cols := c.iamColumns()
	at := map[string]int{}
	for i, col := range cols {
		at[col] = i + 2
	}
	if err := c.sp.flush(); err != nil {
		return err
	}
	out := make([]string, 2+len(cols))
	for p, seg := range c.segs {
		if seg.n == 0 {
			continue
		}
		own := append(append([]string{}, snapshot.CredentialReportColumns...), c.extra[p]...)
		dec := json.NewDecoder(io.NewSectionReader(c.sp.f, seg.off, c.sp.size-seg.off))
		for k := 0; k < seg.n; k++ {
			var row []string
			if err := dec.Decode(&row); err != nil {
				return err
			}
			clear(out)
			out[0], out[1] = row[0], row[1]
			for i, col := range own {
				out[at[col]] = row[i+2]
			}
			if err := fn(out); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeCSV writes the credentials report.
func (c *credSpool) writeCSV(w io.Writer) error {
	cw := newCSVWriter(w)
	if err := cw.Write(c.columns()); err != nil {
		return err
	}
	if err := c.each(cw.Write); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// newCSVWriter is the CSV writer of every report: cells a spreadsheet
// would run as formulas are neutralised (see csvsafe).
func newCSVWriter(w io.Writer) *csvsafe.Writer {
	return csvsafe.NewWriter(w)
}

// writeCSV writes a header and rows as CSV.
func writeCSV(w io.Writer, cols []string, rows [][]string) error {
	cw := newCSVWriter(w)
	if err := cw.Write(cols); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(r); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
