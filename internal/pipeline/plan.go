package pipeline

import (
	"context"
	"errors"
	"fmt"

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
}

// ErrRunExists means the run prefix already holds a complete run.
var ErrRunExists = errors.New("run already exists")

// Plan chooses the run prefix <date>[/<run-id>] and writes run.json. A
// complete run there is not overwritten unless --overwrite is set (its
// manifest is then removed first, so the run is incomplete until the new
// manifest is written).
func Plan(ctx context.Context, env *Env, in PlanInput) (PlanOutput, error) {
	date := firstNonEmpty(in.Date, env.Cfg.Date, env.now().Format("2006-01-02"))
	runID := firstNonEmpty(in.RunID, env.Cfg.RunID)
	prefix, err := store.RunPrefix(date, runID)
	if err != nil {
		return PlanOutput{}, err
	}
	exists, err := env.Store.Exists(ctx, store.ManifestKey(prefix))
	if err != nil {
		return PlanOutput{}, err
	}
	if exists && in.AutoRunID && runID == "" {
		runID = env.now().Format("150405")
		if prefix, err = store.RunPrefix(date, runID); err != nil {
			return PlanOutput{}, err
		}
		if exists, err = env.Store.Exists(ctx, store.ManifestKey(prefix)); err != nil {
			return PlanOutput{}, err
		}
	}
	if exists {
		if !env.Cfg.Overwrite {
			return PlanOutput{}, fmt.Errorf("%w: %s/%s is complete; pass --run-id for another run that day, or --overwrite to replace it", ErrRunExists, env.Store, prefix)
		}
		if err := env.Store.Delete(ctx, store.ManifestKey(prefix)); err != nil {
			return PlanOutput{}, err
		}
	}
	info := snapshot.RunInfo{ToolVersion: env.Version, RunID: runID, Date: date, Prefix: prefix, Started: env.now()}
	if err := env.putJSON(ctx, store.RunInfoKey(prefix), info); err != nil {
		return PlanOutput{}, err
	}
	out := PlanOutput{Run: prefix, Date: date, RunID: runID, Store: env.Store.String()}
	if s3, ok := env.Store.(*store.S3); ok {
		out.Bucket, out.StorePrefix = s3.Bucket(), s3.Prefix()
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
