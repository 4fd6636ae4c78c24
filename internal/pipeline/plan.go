package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/collect"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// PlanInput picks the run. Empty fields come from the configuration (or
// today's UTC date).
type PlanInput struct {
	Date  string `json:"date,omitempty"`
	RunID string `json:"runId,omitempty"`
	// AutoRunID picks a run id (the time, HHMMSS) when the day's run already
	// exists, instead of failing: the scheduled serverless runner uses it.
	AutoRunID bool `json:"autoRunId,omitempty"`
	// Resume continues an incomplete run: its plan and account list are
	// kept, and only the accounts without complete data are scanned again.
	Resume bool `json:"resume,omitempty"`
}

// PlanOutput names the run every later step works on.
type PlanOutput struct {
	Run   string `json:"run"`
	Date  string `json:"date"`
	RunID string `json:"runId"`
	Store string `json:"store"`
	// Bucket and StorePrefix locate an S3 store (the state machine writes
	// the Distributed Map's results under StorePrefix/Run).
	Bucket      string `json:"bucket,omitempty"`
	StorePrefix string `json:"storePrefix,omitempty"`
	// Resumed is true when an incomplete run is being continued.
	Resumed bool `json:"resumed,omitempty"`
}

// ErrRunExists means the run prefix already holds a complete run.
var ErrRunExists = errors.New("run already exists")

// ErrRunIncomplete means the run prefix holds a run that never finished.
var ErrRunIncomplete = errors.New("run is incomplete")

// ErrNothingToResume means --resume names a run that was never started.
var ErrNothingToResume = errors.New("no run to resume")

// runState is what a run prefix holds.
type runState int

const (
	runNone       runState = iota // nothing: a new run
	runIncomplete                 // run.json or accounts.json, no manifest
	runComplete                   // manifest.json
)

func stateOf(ctx context.Context, st store.Store, run string) (runState, error) {
	for _, c := range []struct {
		key   string
		state runState
	}{{store.ManifestKey(run), runComplete}, {store.RunInfoKey(run), runIncomplete}, {store.AccountListKey(run), runIncomplete}} {
		ok, err := st.Exists(ctx, c.key)
		if err != nil {
			return runNone, err
		}
		if ok {
			return c.state, nil
		}
	}
	return runNone, nil
}

// choose resolves the run prefix: date and run id from the input, the
// configuration or the clock; with AutoRunID, a run id from the time when the
// day's run already exists (complete or not).
func choose(ctx context.Context, env *Env, in PlanInput) (prefix, date, runID string, err error) {
	date = firstNonEmpty(in.Date, env.Cfg.Date, env.now().Format("2006-01-02"))
	runID = firstNonEmpty(in.RunID, env.Cfg.RunID)
	if prefix, err = store.RunPrefix(date, runID); err != nil {
		return "", "", "", &UsageError{Err: err}
	}
	// A run dated ahead would be the "latest" run until that day and hide
	// every real one: more than a day ahead (time zones aside) is a slip.
	if d, perr := time.Parse("2006-01-02", date); perr == nil && d.After(env.now().Add(24*time.Hour)) {
		return "", "", "", &UsageError{Err: fmt.Errorf("--date %s is more than a day in the future (today is %s UTC)", date, env.now().Format("2006-01-02"))}
	}
	if in.AutoRunID && runID == "" && !in.Resume {
		state, serr := stateOf(ctx, env.Store, prefix)
		if serr != nil {
			return "", "", "", serr
		}
		if state != runNone {
			runID = env.now().Format("150405")
			prefix, err = store.RunPrefix(date, runID)
		}
	}
	return
}

// Plan chooses the run prefix <date>[/<run-id>] and writes run.json. A
// complete run is never changed here: replacing one (--overwrite) is done by
// the local runner, which builds the new run beside the old one. An
// incomplete run is refused unless Resume (continue it) or --overwrite
// (start it again: it has nothing worth keeping) is set.
func Plan(ctx context.Context, env *Env, in PlanInput) (PlanOutput, error) {
	prefix, date, runID, err := choose(ctx, env, in)
	if err != nil {
		return PlanOutput{}, err
	}
	state, err := stateOf(ctx, env.Store, prefix)
	if err != nil {
		return PlanOutput{}, err
	}
	out := PlanOutput{Run: prefix, Date: date, RunID: runID, Store: env.Store.String()}
	if s3, ok := env.Store.(*store.S3); ok {
		out.Bucket, out.StorePrefix = s3.Bucket(), s3.Prefix()
	}
	switch {
	case state == runComplete && in.Resume:
		return out, &UsageError{Err: fmt.Errorf("%w: %s/%s is complete; nothing to resume (--overwrite replaces it)", ErrNothingToResume, env.Store, prefix)}
	case state == runComplete && env.Cfg.Overwrite:
		return out, &UsageError{Err: fmt.Errorf("%s/%s is complete: --overwrite replaces a run only from `orgiam collect`, which builds the new run beside the old one", env.Store, prefix)}
	case state == runComplete:
		return out, fmt.Errorf("%w: %s/%s is complete; pass --run-id for another run that day, or --overwrite to replace it", ErrRunExists, env.Store, prefix)
	case state == runIncomplete && in.Resume:
		out.Resumed = true
		return out, env.sameCollectors(ctx, prefix)
	case state == runIncomplete && env.Cfg.Overwrite:
		if err := store.DeleteRunLevel(ctx, env.Store, prefix); err != nil {
			return out, err
		}
	case state == runIncomplete:
		return out, fmt.Errorf("%w: %s/%s was started but never finished (no manifest.json); pass --resume to complete it, or --overwrite to start it again", ErrRunIncomplete, env.Store, prefix)
	case in.Resume:
		return out, &UsageError{Err: fmt.Errorf("%w: %s/%s was never started (no run.json); give the --date and --run-id of the run to resume", ErrNothingToResume, env.Store, prefix)}
	}
	info := snapshot.RunInfo{SchemaVersion: snapshot.SchemaVersion, ToolVersion: env.Version, RunID: runID, Date: date, Prefix: prefix, Started: env.now()}
	if info.Collectors, err = env.collectorNames(); err != nil {
		return PlanOutput{}, err
	}
	if err := env.putJSON(ctx, store.RunInfoKey(prefix), info); err != nil {
		return PlanOutput{}, err
	}
	return out, nil
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// lockOptions are the Env's lock settings with its clock.
func (e *Env) lockOptions() store.LockOptions {
	o := e.Lock
	if o.Now == nil {
		o.Now = e.now
	}
	if o.Command == "" {
		o.Command = "orgiam collect"
	}
	return o
}

// heartbeatEvery is how often a held lock is renewed.
func heartbeatEvery(lease time.Duration) time.Duration {
	if lease <= 0 {
		lease = store.DefaultLease
	}
	return lease / 4
}

// collectorNames are the names run.json records: those of the run's
// collectors when --collectors keeps it to some (nil: all of them).
func (e *Env) collectorNames() ([]string, error) {
	if len(e.Cfg.Collectors) == 0 {
		return nil, nil
	}
	cs, err := e.Collectors()
	if err != nil {
		return nil, err
	}
	return collect.Names(cs), nil
}

// sameCollectors refuses to resume a run with other collectors than it was
// started with: the accounts scanned before and after would hold different
// data sets under one manifest.
func (e *Env) sameCollectors(ctx context.Context, prefix string) error {
	var info snapshot.RunInfo
	if err := snapshot.ReadJSON(ctx, e.Store, store.RunInfoKey(prefix), &info); err != nil {
		return err
	}
	names, err := e.collectorNames()
	if err != nil {
		return err
	}
	if !slices.Equal(names, info.Collectors) {
		was, now := "all", "all"
		if len(info.Collectors) > 0 {
			was = strings.Join(info.Collectors, ",")
		}
		if len(names) > 0 {
			now = strings.Join(names, ",")
		}
		return &UsageError{Err: e.Cfg.FieldError("collectors", fmt.Sprintf("%s/%s was started with collectors %s, not %s: resume it with the same --collectors", e.Store, prefix, was, now))}
	}
	return nil
}
