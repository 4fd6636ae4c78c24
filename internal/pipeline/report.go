package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orgiam/orgiam/internal/report"
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
	res, err := report.WriteAllResult(ctx, snapshot.Reader{Store: env.Store, Run: in.Run}, report.Options{Now: env.now()})
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

// readFindings reads a run's reports/findings.json (nil if absent).
func readFindings(ctx context.Context, s store.Store, run string) ([]report.Finding, error) {
	data, err := s.Get(ctx, store.ReportKey(run, "findings.json"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	list, err := report.DecodeFindings(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", store.ReportKey(run, "findings.json"), err)
	}
	return list, nil
}

func init() {
	reportStep = Step{Name: "report", Run: func(ctx context.Context, env *Env, run string) error {
		_, err := Report(ctx, env, ReportInput{Run: run})
		return err
	}}
	newHighFindings = func(ctx context.Context, env *Env, run string) int {
		cur, err := readFindings(ctx, env.Store, run)
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
		var old []report.Finding
		if prev != "" {
			if old, err = readFindings(ctx, env.Store, prev); err != nil {
				env.logger().Warn("previous findings unreadable; counting every high finding as new", "run", prev, "error", err.Error())
			}
		}
		return report.NewHighFindings(old, cur)
	}
}
