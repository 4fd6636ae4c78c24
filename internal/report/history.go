package report

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// History is what the first-seen times of a run's findings are computed
// from: the run's own start, and the first-seen time of every finding of
// the previous complete run.
//
// First-seen is carried forward one run at a time: a finding's first-seen
// is its first-seen in the previous complete run if that run had it, else
// this run's start. Each run's findings.json records the values, so the
// chain needs only the previous run's file, read as a stream and kept as
// one id and one time per finding (a few megabytes at 50,000 findings),
// however long the store's history. A finding absent from one complete run
// (fixed, then back) starts again: first-seen dates the current unbroken
// series of runs that had it. A previous findings.json written before
// first_seen existed counts as first seen in that run.
type History struct {
	// Run is the start of the run being reported.
	Run time.Time
	// Previous is the previous complete run's prefix ("" if none).
	Previous string
	// Seen maps a finding id to its first-seen time in Previous.
	Seen map[string]time.Time
}

// FirstSeen is the first-seen time of the finding id in the run.
func (h *History) FirstSeen(id string) time.Time {
	if t, ok := h.Seen[id]; ok {
		return t
	}
	return h.Run
}

// withHistory loads the history of r's run unless o has one.
func (o Options) withHistory(ctx context.Context, r snapshot.Reader) (Options, error) {
	if o.History != nil {
		return o, nil
	}
	h, err := LoadHistory(ctx, r, o.Now)
	if err != nil {
		return o, err
	}
	o.History = h
	return o, nil
}

// LoadHistory finds the run's start and its previous complete run — the
// complete run that finished last before this one started, or, for a run
// without run-info.json, the latest complete run before it in the store's
// order — and reads that run's reports/findings.json. The run's start is
// run-info.json's, else the manifest's, else midnight UTC of its date, else
// now. A missing previous findings.json is no history; an unreadable one is
// an error. Runs whose reports are incomplete (CheckComplete) are passed
// over.
func LoadHistory(ctx context.Context, r snapshot.Reader, now time.Time) (*History, error) {
	h := &History{Run: now.UTC(), Seen: map[string]time.Time{}}
	var info snapshot.RunInfo
	infoErr := snapshot.ReadJSON(ctx, r.Store, store.RunInfoKey(r.Run), &info)
	switch {
	case infoErr == nil && !info.Started.IsZero():
		h.Run = info.Started.UTC()
	default:
		if m, err := r.Manifest(ctx); err == nil && !m.Started.IsZero() {
			h.Run = m.Started.UTC()
		} else if date, _, err := store.ParseRunPrefix(r.Run); err == nil {
			if t, err := time.Parse("2006-01-02", date); err == nil {
				h.Run = t
			}
		}
	}
	runs, err := snapshot.Runs(ctx, r.Store)
	if err != nil {
		return nil, fmt.Errorf("first-seen: list runs: %w", err)
	}
	var prevFinished time.Time
	for _, p := range runs {
		if p == r.Run {
			continue
		}
		// A run whose reports were not all written is no history: its
		// findings.json may be cut short.
		if ok, err := Complete(ctx, r.Store, p); err != nil {
			return nil, fmt.Errorf("first-seen: %w", err)
		} else if !ok {
			continue
		}
		if infoErr != nil || info.Started.IsZero() {
			// No start to compare with: the store's order.
			if p < r.Run {
				h.Previous = p
			}
			continue
		}
		m, err := (snapshot.Reader{Store: r.Store, Run: p}).Manifest(ctx)
		if err != nil || !m.Finished.Before(info.Started) {
			continue
		}
		if h.Previous == "" || m.Finished.After(prevFinished) {
			h.Previous, prevFinished = p, m.Finished
		}
	}
	if h.Previous == "" {
		return h, nil
	}
	prevStart := h.Run
	var pinfo snapshot.RunInfo
	if err := snapshot.ReadJSON(ctx, r.Store, store.RunInfoKey(h.Previous), &pinfo); err == nil && !pinfo.Started.IsZero() {
		prevStart = pinfo.Started.UTC()
	} else if m, err := (snapshot.Reader{Store: r.Store, Run: h.Previous}).Manifest(ctx); err == nil && !m.Started.IsZero() {
		prevStart = m.Started.UTC()
	}
	key := store.ReportKey(h.Previous, "findings.json")
	rc, err := store.OpenObject(ctx, r.Store, key)
	if errors.Is(err, store.ErrNotFound) {
		return h, nil
	}
	if err != nil {
		return nil, fmt.Errorf("first-seen: %w", err)
	}
	defer rc.Close()
	err = EachFinding(rc, func(f *Finding) error {
		if f.Status != StatusFail {
			return nil
		}
		id := f.ID
		if id == "" {
			id = FindingID(f.CheckID, f.AccountID, f.Principal)
		}
		t := f.FirstSeen
		if t.IsZero() {
			t = prevStart
		}
		if old, ok := h.Seen[id]; !ok || t.Before(old) {
			h.Seen[id] = t.UTC()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("first-seen: %s: %w", key, err)
	}
	return h, nil
}
