package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orgiam/orgiam/internal/report"
	"github.com/orgiam/orgiam/internal/report/mutelist"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// ReportInput names the run to report on.
type ReportInput struct {
	Run string `json:"run"`
}

// ReportOutput lists the report objects written under reports/.
type ReportOutput struct {
	Run  string   `json:"run"`
	Keys []string `json:"keys"`
	// Partial counts the accounts reported from part of their files (some
	// could not be read); summary.json names them and the files.
	Partial int `json:"partial,omitempty"`
}

// Report writes the users, credentials and findings reports (CSV, JSON,
// HTML) and summary.json under the run's reports/. It reads the accounts
// one by one (memory does not grow with the organization); an account whose
// files cannot all be read is reported from the others and marked partial.
func Report(ctx context.Context, env *Env, in ReportInput) (ReportOutput, error) {
	o := report.Options{Now: env.now()}
	if env.Cfg != nil && env.Cfg.Mutelist != "" {
		l, err := mutelist.Load(env.Cfg.Mutelist, env.now())
		if err != nil {
			return ReportOutput{Run: in.Run}, &UsageError{Err: fmt.Errorf("--mutelist: %w", err)}
		}
		for _, w := range l.Warnings() {
			env.logger().Warn(w)
		}
		o.Mutes = l
	}
	res, err := report.WriteAllResult(ctx, snapshot.Reader{Store: env.Store, Run: in.Run}, o)
	if err != nil {
		return ReportOutput{Run: in.Run}, err
	}
	env.objects.Add(int64(len(res.Keys)))
	for i, p := range res.Partial {
		if i == 20 {
			env.logger().Warn("more accounts reported partially; see summary.json", "run", in.Run, "accounts", len(res.Partial))
			break
		}
		env.logger().Warn("account reported partially: some of its files could not be read", "run", in.Run, "account", p)
	}
	return ReportOutput{Run: in.Run, Keys: res.Keys, Partial: len(res.Partial)}, nil
}

// failKeys reads the keys of a run's FAIL findings from its
// reports/findings.json as a stream (nil if the run has none).
func failKeys(ctx context.Context, s store.Store, run string, highOnly bool) (map[string]bool, error) {
	if ok, err := report.Complete(ctx, s, run); !ok {
		return nil, err
	}
	key := store.ReportKey(run, "findings.json")
	rc, err := store.OpenObject(ctx, s, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	keys, err := report.FailKeys(rc, highOnly)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return keys, nil
}

// newHighFindings counts the run's high-severity findings absent from the
// previous complete run (0 when they cannot be read: the notification goes
// out without the count rather than not at all).
func newHighFindings(ctx context.Context, env *Env, run string) int {
	cur, err := failKeys(ctx, env.Store, run, true)
	if err != nil || cur == nil {
		return 0
	}
	runs, err := snapshot.Runs(ctx, env.Store)
	if err != nil {
		return 0
	}
	// The previous run is the complete run that finished last before this
	// one started.
	var info snapshot.RunInfo
	if err := snapshot.ReadJSON(ctx, env.Store, store.RunInfoKey(run), &info); err != nil {
		return 0
	}
	prev := ""
	var prevFinished time.Time
	for _, r := range runs {
		if r == run {
			continue
		}
		m, err := (snapshot.Reader{Store: env.Store, Run: r}).Manifest(ctx)
		if err != nil || !m.Finished.Before(info.Started) {
			continue
		}
		if m.Finished.After(prevFinished) {
			prev, prevFinished = r, m.Finished
		}
	}
	var old map[string]bool
	if prev != "" {
		if old, err = failKeys(ctx, env.Store, prev, false); err != nil {
			env.logger().Warn("previous findings unreadable; counting every high finding as new", "run", prev, "error", err.Error())
		}
	}
	n := 0
	for k := range cur {
		if !old[k] {
			n++
		}
	}
	return n
}
