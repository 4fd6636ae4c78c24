package snapshot

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/orgiam/orgiam/internal/store"
)

// RegionScans reads every accounts/<id>/regions/<region>.json of an account,
// in region order. A file that cannot be read or parsed is returned in bad
// (key → error) and left out; only a failure to list the folder, or a
// cancelled context, is an error.
func (r Reader) RegionScans(ctx context.Context, id string) (scans []RegionScan, bad map[string]error, err error) {
	keys, err := r.Store.List(ctx, store.RegionsPrefix(r.Run, id))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !strings.HasSuffix(k, ".json") {
			continue
		}
		var s RegionScan
		err := ReadJSON(ctx, r.Store, k, &s)
		if err == nil {
			err = checkSchema(k, s.SchemaVersion)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			if bad == nil {
				bad = map[string]error{}
			}
			bad[k] = err
			continue
		}
		scans = append(scans, s)
	}
	return scans, bad, nil
}

// AccountResources reads accounts/<id>/resources.json (nil, nil if absent).
func (r Reader) AccountResources(ctx context.Context, id string) (*AccountResources, error) {
	var a AccountResources
	key := store.AccountResourcesKey(r.Run, id)
	err := ReadJSON(ctx, r.Store, key, &a)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err == nil {
		err = checkSchema(key, a.SchemaVersion)
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}
