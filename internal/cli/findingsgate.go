package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/report"
	"github.com/orgiam/orgiam/internal/report/mutelist"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// loadMutelist reads --mutelist (nil for none); a mistake in it is a usage
// error naming the file and line. Expired entries are warned about on warn.
func loadMutelist(path string, now time.Time, warn io.Writer) (*mutelist.List, error) {
	if path == "" {
		return nil, nil
	}
	l, err := mutelist.Load(path, now)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--mutelist: %w", err))
	}
	if warn != nil {
		for _, w := range l.Warnings() {
			fmt.Fprintln(warn, "orgiam: warning: "+w)
		}
	}
	return l, nil
}

// parseFailOn checks --fail-on ("" is never).
func parseFailOn(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	sev, err := report.ParseFailOn(strings.ToLower(v))
	if err != nil {
		return "", usageErr(fmt.Errorf("--fail-on %w", err))
	}
	return sev, nil
}

// parseChecks checks --check ids against the checks (nil for all).
func parseChecks(ids []string) (map[string]bool, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	out := map[string]bool{}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if _, ok := report.CheckByID(id); !ok {
			known := make([]string, len(report.Checks))
			for i, c := range report.Checks {
				known[i] = c.ID
			}
			return nil, usageErr(fmt.Errorf("--check %q: no such check (the checks are %s; see docs/checks.md)", id, strings.Join(known, ", ")))
		}
		out[id] = true
	}
	return out, nil
}

// failOn is the gate's verdict: nil when no counted finding of severity
// sev or higher remains, else the ExitFindings error saying how many.
func failOn(sev string, high, medium, low, muted int) error {
	if sev == "" {
		return nil
	}
	n := report.CountAtOrAbove(sev, high, medium, low)
	if n == 0 {
		return nil
	}
	return &exitError{code: ExitFindings, err: fmt.Errorf("--fail-on %s: %d unmuted FAIL findings at or above %s remain (high %d, medium %d, low %d; %d muted)", sev, n, sev, high, medium, low, muted)}
}

// runSummary is the summary of a collected run: reports/summary.json when
// the run wrote all its reports, else computed from its files with mutes.
func runSummary(ctx context.Context, st store.Store, run string, o report.Options) (report.Summary, error) {
	var s report.Summary
	if ok, err := report.Complete(ctx, st, run); err != nil {
		return s, err
	} else if !ok {
		// A summary.json of a set not all written is not trusted.
		return report.BuildSummary(ctx, snapshot.Reader{Store: st, Run: run}, o)
	}
	err := snapshot.ReadJSON(ctx, st, store.ReportKey(run, "summary.json"), &s)
	if err == nil {
		return s, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return s, err
	}
	return report.BuildSummary(ctx, snapshot.Reader{Store: st, Run: run}, o)
}
