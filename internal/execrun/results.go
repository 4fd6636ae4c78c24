package execrun

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/csvsafe"
	"github.com/orgiam/orgiam/internal/notify"
)

func sortItems(items []item) {
	sort.Slice(items, func(i, j int) bool {
		if items[i].AccountID != items[j].AccountID {
			return items[i].AccountID < items[j].AccountID
		}
		return items[i].Region < items[j].Region
	})
}

func sortResults(rs []Result) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].AccountID != rs[j].AccountID {
			return rs[i].AccountID < rs[j].AccountID
		}
		return rs[i].Region < rs[j].Region
	})
}

func count(rs []Result) Totals {
	t := Totals{Items: len(rs)}
	for _, r := range rs {
		switch r.Status {
		case StatusOK:
			t.OK++
		case StatusFailed:
			t.Failed++
		case StatusTimeout:
			t.Timeout++
		case StatusError:
			t.Error++
		case StatusSkipped:
			t.Skipped++
		case StatusCancelled:
			t.Cancelled++
		}
	}
	return t
}

// CSVColumns are results.csv's columns.
var CSVColumns = []string{"account_id", "account_name", "region", "status", "exit_code", "duration_seconds", "started", "error", "stdout_bytes", "stderr_bytes", "truncated", "stdout_key", "stderr_key"}

func resultsCSV(rs []Result) ([]byte, error) {
	var b bytes.Buffer
	w := csvsafe.NewWriter(&b)
	if err := w.Write(CSVColumns); err != nil {
		return nil, err
	}
	for _, r := range rs {
		started := ""
		if !r.Started.IsZero() {
			started = r.Started.UTC().Format(time.RFC3339)
		}
		code := ""
		if r.ExitCode != nil {
			code = strconv.Itoa(*r.ExitCode)
		}
		if err := w.Write([]string{r.AccountID, r.AccountName, r.Region, r.Status, code,
			strconv.FormatFloat(r.DurationSeconds, 'f', 3, 64), started, r.Error,
			strconv.FormatInt(r.StdoutBytes, 10), strconv.FormatInt(r.StderrBytes, 10),
			strconv.FormatBool(r.Truncated), r.Stdout, r.Stderr}); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// TableColumns and TableRows are the summary table on the terminal.
var TableColumns = []string{"ACCOUNT", "NAME", "REGION", "STATUS", "EXIT", "DURATION", "DETAIL"}

// TableRows is one row per item: the error of an item that did not
// succeed, the last line of stdout of one that did.
func TableRows(rs []Result) [][]string {
	rows := make([][]string, 0, len(rs))
	for _, r := range rs {
		detail := r.Error
		if r.Status == StatusOK {
			detail = r.lastLine
		}
		if len([]rune(detail)) > 80 {
			detail = string([]rune(detail)[:79]) + "…"
		}
		dur := ""
		if r.Status != StatusSkipped && r.Region != "-" {
			dur = time.Duration(r.DurationSeconds * float64(time.Second)).Round(time.Millisecond).String()
		}
		rows = append(rows, []string{r.AccountID, r.AccountName, r.Region, r.Status, exitText(r.ExitCode), dur, detail})
	}
	return rows
}

// Summary is the notification of a run: the items that did not succeed
// are its failed lines, results.csv its link.
func Summary(res Results) notify.Summary {
	t := res.Totals
	s := notify.Summary{
		Run: res.Run, Store: res.Store, Started: res.Started, Finished: res.Finished,
		OK: t.OK, Failed: t.Problems(), Skipped: t.Skipped,
		Title: fmt.Sprintf("orgiam exec %s: %d ok, %d failed, %d timed out, %d not run, %d skipped", res.Run, t.OK, t.Failed, t.Timeout, t.Error+t.Cancelled, t.Skipped),
	}
	for _, r := range res.Items {
		switch r.Status {
		case StatusOK, StatusSkipped:
			continue
		}
		msg := r.Status
		if r.Error != "" {
			msg += ": " + r.Error
		}
		s.FailedAccounts = append(s.FailedAccounts, notify.AccountError{ID: r.AccountID + "/" + r.Region, Name: r.AccountName, Error: msg})
	}
	if res.Store != "" {
		s.ReportLinks = []string{strings.TrimSuffix(res.Store, "/") + "/" + res.Run + "/exec/" + ResultsCSV}
	}
	return s
}
