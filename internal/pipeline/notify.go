package pipeline

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgiam/orgiam/internal/notify"
	"github.com/orgiam/orgiam/internal/report"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// NotifyInput names the run whose summary is sent.
type NotifyInput struct {
	Run string `json:"run"`
}

// NotifyOutput says how many notifiers were tried. Failures are logged, never
// returned: a notification never fails the run.
type NotifyOutput struct {
	Run       string `json:"run"`
	Notifiers int    `json:"notifiers"`
	// Sent is true when the summary was handed to at least one notifier
	// (each one's delivery is logged).
	Sent bool `json:"sent"`
}

// Summary builds the run summary from the store (the manifest when the run
// is complete, the account files otherwise).
func Summary(ctx context.Context, env *Env, run string) (notify.Summary, error) {
	m, err := snapshot.Reader{Store: env.Store, Run: run}.Manifest(ctx)
	if err != nil {
		if m, err = BuildManifest(ctx, env, run); err != nil {
			return notify.Summary{}, err
		}
	}
	s := notify.Summary{
		Run: run, Store: env.Store.String(), Started: m.Started, Finished: m.Finished,
		OK: m.Totals.OK, Failed: m.Totals.Failed, Skipped: m.Totals.Skipped, Partial: m.Totals.Partial,
	}
	for _, a := range m.Accounts {
		switch a.Status {
		case snapshot.StatusFailed:
			s.FailedAccounts = append(s.FailedAccounts, notify.AccountError{ID: a.ID, Name: a.Name, Error: a.Error})
		case snapshot.StatusPartial:
			s.PartialAccounts = append(s.PartialAccounts, notify.AccountError{ID: a.ID, Name: a.Name, Error: a.Error})
		}
	}
	for _, e := range m.Errors {
		s.FailedAccounts = append(s.FailedAccounts, notify.AccountError{ID: "-", Name: "organization", Error: e})
	}
	s.NewHighFindings = newHighFindings(ctx, env, run)
	if s.Drift, err = readDrift(ctx, env.Store, run); err != nil {
		env.logger().Warn("changes since the previous run unreadable; notifying without them", "run", run, "error", err.Error())
	}
	// Links only to a report set that was all written.
	complete := report.CheckComplete(ctx, env.Store, run)
	if complete != nil {
		env.logger().Warn("reports not linked", "run", run, "error", complete.Error())
	}
	for _, name := range []string{"users.html", "findings.html"} {
		if complete != nil {
			break
		}
		if ok, _ := env.Store.Exists(ctx, store.ReportKey(run, name)); ok {
			s.ReportLinks = append(s.ReportLinks, env.Store.String()+"/"+store.ReportKey(run, name))
		}
	}
	return s, nil
}

// Notify sends the run summary to every --notify target. It never fails the
// run: each notifier is retried and time-bounded, and failures are logged.
func Notify(ctx context.Context, env *Env, in NotifyInput) (NotifyOutput, error) {
	out := NotifyOutput{Run: in.Run}
	ns, err := env.Notifiers()
	if err != nil {
		env.logger().Error("notification targets", "error", err.Error())
		return out, nil
	}
	if len(ns) == 0 {
		return out, nil
	}
	s, err := Summary(ctx, env, in.Run)
	if err != nil {
		env.logger().Error("run summary for the notification", "run", in.Run, "error", err.Error())
		return out, nil
	}
	if env.Cfg.NotifyOnDriftOnly && !s.HasDrift() {
		env.logger().Info("nothing changed since the previous run: no notification (--notify-on-drift-only)", "run", in.Run)
		return out, nil
	}
	notify.Send(ctx, env.logger(), ns, s)
	out.Notifiers, out.Sent = len(ns), true
	return out, nil
}

// Notifiers parses the --notify targets (the CLI checks them before a run
// starts, so a malformed one is a usage error, not a silent loss).
func (e *Env) Notifiers() ([]notify.Notifier, error) {
	var ns []notify.Notifier
	for _, spec := range e.Cfg.Notify {
		var awsCfg *aws.Config
		if e.Auth != nil {
			awsCfg = &e.Auth.Base
		}
		n, err := notify.Parse(spec, awsCfg)
		if err != nil {
			return nil, fmt.Errorf("--notify: %w", err)
		}
		ns = append(ns, n)
	}
	return ns, nil
}
