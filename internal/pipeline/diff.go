package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/orgiam/orgiam/internal/diff"
	"github.com/orgiam/orgiam/internal/notify"
	"github.com/orgiam/orgiam/internal/store"
)

// DiffReportName is the run's comparison with the previous complete run,
// under reports/.
const DiffReportName = "diff.json"

// DiffInput names the run to compare with the complete run before it.
type DiffInput struct {
	Run string `json:"run"`
}

// DiffOutput says what was compared and how much changed.
type DiffOutput struct {
	Run string `json:"run"`
	// Previous is the run compared with ("" when there is none: nothing is
	// written).
	Previous   string         `json:"previous,omitempty"`
	Key        string         `json:"key,omitempty"`
	Changes    int            `json:"changes"`
	BySeverity map[string]int `json:"bySeverity,omitempty"`
}

// Diff writes reports/diff.json: the run against the complete run that
// finished last before it started. It runs before the manifest, so the run
// itself is read from its account files. A run with no previous complete
// run, or one of another organization, writes nothing and is not an error.
func Diff(ctx context.Context, env *Env, in DiffInput) (DiffOutput, error) {
	out := DiffOutput{Run: in.Run}
	prev, err := diff.Previous(ctx, env.Store, in.Run)
	if err != nil {
		return out, fmt.Errorf("diff %s: previous run: %w", in.Run, err)
	}
	if prev == "" {
		env.logger().Info("no previous complete run: nothing to compare", "run", in.Run)
		return out, nil
	}
	rep, err := diff.Compare(ctx, env.Store, prev, in.Run, diff.Options{})
	var nc *diff.NotComparableError
	if errors.As(err, &nc) {
		env.logger().Warn("previous run not comparable: no diff written", "run", in.Run, "previous", prev, "reason", nc.Reason)
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("diff %s against %s: %w", in.Run, prev, err)
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return out, err
	}
	out.Previous, out.Key = prev, store.ReportKey(in.Run, DiffReportName)
	if err := env.put(ctx, out.Key, data); err != nil {
		return out, err
	}
	out.Changes, out.BySeverity = len(rep.Changes), rep.BySeverity
	env.logger().Info("changes since the previous run", "run", in.Run, "previous", prev, "changes", out.Changes,
		"high", rep.BySeverity[diff.SevHigh], "medium", rep.BySeverity[diff.SevMedium])
	return out, nil
}

// diffStep is the pipeline step around Diff (after the report and index
// steps: it compares their findings).
var diffStep = Step{Name: "diff", Run: func(ctx context.Context, env *Env, run string) error {
	_, err := Diff(ctx, env, DiffInput{Run: run})
	return err
}}

// maxDriftLines caps the changes a notification lists.
const maxDriftLines = 20

// readDrift reads the run's diff.json into the notification's drift
// section (nil when the run has none).
func readDrift(ctx context.Context, s store.Store, run string) (*notify.Drift, error) {
	data, err := s.Get(ctx, store.ReportKey(run, DiffReportName))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rep diff.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", store.ReportKey(run, DiffReportName), err)
	}
	d := &notify.Drift{From: rep.From.Run, Changes: len(rep.Changes), BySeverity: rep.BySeverity, ByKind: rep.Counts}
	// The most severe changes first, in the report's order within a severity.
	for _, sev := range diff.Severities {
		for _, c := range rep.Changes {
			if c.Severity != sev {
				continue
			}
			if len(d.Lines) == maxDriftLines {
				break
			}
			who := c.Principal
			if who == "" {
				who = c.Subject
			}
			d.Lines = append(d.Lines, notify.DriftLine{Severity: c.Severity, Kind: c.Kind, Action: c.Action, AccountID: c.AccountID, Principal: who, Detail: c.Detail})
		}
	}
	return d, nil
}
