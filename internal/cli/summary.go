package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/report"
	"github.com/orgiam/orgiam/internal/store"
)

// printReports names the reports a run wrote (as paths for a file store,
// URLs otherwise) and counts its failing high-severity findings, so the
// summary says where to look first.
func printReports(ctx context.Context, w io.Writer, env *pipeline.Env, run string) {
	if run == "" {
		return
	}
	prefix := store.ReportKey(run, "") + "/"
	keys, err := env.Store.List(ctx, prefix)
	if err != nil || len(keys) == 0 {
		return
	}
	sort.Strings(keys)
	base := strings.TrimSuffix(env.Store.String(), "/")
	if p, ok := strings.CutPrefix(base, "file://"); ok {
		base = p
	}
	if err := report.CheckComplete(ctx, env.Store, run); err != nil {
		fmt.Fprintf(w, "\nreports: not listed: %v\n", err)
		return
	}
	fmt.Fprintln(w, "\nreports:")
	for _, k := range keys {
		fmt.Fprintf(w, "  %s/%s\n", base, k)
	}
	data, err := env.Store.Get(ctx, store.ReportKey(run, "findings.json"))
	if errors.Is(err, store.ErrNotFound) {
		return
	}
	if err != nil {
		fmt.Fprintf(w, "findings: unreadable: %v\n", err)
		return
	}
	list, err := report.DecodeFindings(data)
	if err != nil {
		fmt.Fprintf(w, "findings: unreadable: %v\n", err)
		return
	}
	high, fail, muted := 0, 0, 0
	for i := range list {
		f := &list[i]
		switch {
		case f.Counted():
			fail++
			if f.Severity == report.SeverityHigh {
				high++
			}
		case f.Status == report.StatusFail:
			muted++
		}
	}
	if muted > 0 {
		fmt.Fprintf(w, "findings: %d high-severity failing (%d failing in all; %d more muted)\n", high, fail, muted)
		return
	}
	fmt.Fprintf(w, "findings: %d high-severity failing (%d failing in all)\n", high, fail)
}
