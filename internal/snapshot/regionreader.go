package snapshot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/orgiam/orgiam/internal/store"
)

// RegionScan reads accounts/<id>/regions/<region>.json.
func (r Reader) RegionScan(ctx context.Context, id, region string) (RegionScan, error) {
	var s RegionScan
	key := store.RegionKey(r.Run, id, region)
	err := ReadJSON(ctx, r.Store, key, &s)
	if err == nil {
		err = checkSchema(key, s.SchemaVersion)
	}
	return s, err
}

// RegionOutcome is where an account's region items stand.
type RegionOutcome struct {
	// Missing are regions of the account's plan with no region file.
	Missing []string
	// Failed are regions whose item failed.
	Failed []string
	// Warnings are the region items' collector warnings, one line each.
	Warnings []string
}

// Incomplete reports whether a region item is missing or failed: the
// account must be scanned again to be complete.
func (o RegionOutcome) Incomplete() bool { return len(o.Missing) > 0 || len(o.Failed) > 0 }

// Regions reads the region items of an account's plan (AccountInfo.Scan.Regions).
func (r Reader) Regions(ctx context.Context, info AccountInfo) (RegionOutcome, error) {
	var o RegionOutcome
	for _, region := range info.Scan.Regions {
		s, err := r.RegionScan(ctx, info.ID, region)
		if errors.Is(err, store.ErrNotFound) {
			o.Missing = append(o.Missing, region)
			continue
		}
		if err != nil {
			return o, err
		}
		if s.Status == StatusFailed {
			o.Failed = append(o.Failed, region)
			o.Warnings = append(o.Warnings, fmt.Sprintf("region %s failed: %s", region, s.Reason))
		}
		for _, w := range s.Warnings {
			o.Warnings = append(o.Warnings, WarningLine(w))
		}
	}
	return o, nil
}

// WarningLine is a collector warning as one line of text: "kms
// eu-west-1 kms:ListKeys AccessDeniedException: …".
func WarningLine(w CollectorWarning) string {
	parts := []string{w.Collector}
	for _, p := range []string{w.Region, w.Operation, w.Resource} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	msg := w.Message
	if w.Code != "" && !strings.Contains(msg, w.Code) {
		msg = w.Code + ": " + msg
	}
	return strings.Join(parts, " ") + ": " + msg
}
