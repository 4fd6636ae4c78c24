package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/orgiam/orgiam/internal/snapshot"
)

// Credentials rolls every account's credential report into one table:
// account_id, account_name, then IAM's columns (the current IAM columns
// first, then any other column a report carries, in order of appearance).
// Values are exactly as in each stored CSV; a column an account's report
// lacks is empty.
func Credentials(ctx context.Context, r snapshot.Reader) (cols []string, rows [][]string, err error) {
	rn, err := load(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	return credentialsOf(rn)
}

func credentialsOf(rn *run) ([]string, [][]string, error) {
	type parsed struct {
		a      *acct
		header []string
		recs   [][]string
	}
	var all []parsed
	iamCols := append([]string{}, snapshot.CredentialReportColumns...)
	seen := map[string]bool{}
	for _, c := range iamCols {
		seen[c] = true
	}
	for _, a := range rn.accounts {
		if len(a.rawCSV) == 0 {
			continue
		}
		cr := csv.NewReader(bytes.NewReader(a.rawCSV))
		cr.FieldsPerRecord = -1
		recs, err := cr.ReadAll()
		if err != nil {
			if a.failed() {
				continue
			}
			return nil, nil, fmt.Errorf("report: account %s: credential-report.csv: %w", a.account.Id, err)
		}
		if len(recs) == 0 {
			continue
		}
		header := make([]string, len(recs[0]))
		for i, h := range recs[0] {
			header[i] = strings.TrimSpace(h)
			if !seen[header[i]] {
				seen[header[i]] = true
				iamCols = append(iamCols, header[i])
			}
		}
		all = append(all, parsed{a: a, header: header, recs: recs[1:]})
	}
	cols := append([]string{"account_id", "account_name"}, iamCols...)
	rows := [][]string{}
	for _, p := range all {
		pos := map[string]int{}
		for i, h := range p.header {
			pos[h] = i
		}
		for _, rec := range p.recs {
			row := make([]string, len(cols))
			row[0], row[1] = p.a.account.Id, p.a.name()
			for i, c := range iamCols {
				if j, ok := pos[c]; ok && j < len(rec) {
					row[i+2] = rec[j]
				}
			}
			rows = append(rows, row)
		}
	}
	return cols, rows, nil
}

// writeCSV writes a header and rows as CSV.
func writeCSV(w io.Writer, cols []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(cols); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
