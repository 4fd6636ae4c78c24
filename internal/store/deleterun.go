package store

import "context"

// DeleteRunLevel removes a run's own objects: manifest.json first, so that
// from the first delete on the run no longer claims to be complete (an
// interrupted delete leaves an incomplete run, never a complete one with
// files missing), then every key IsRunLevelKey gives the run. Runs nested
// under its date (<date>/<run-id>/…) are left alone.
func DeleteRunLevel(ctx context.Context, st Store, run string) error {
	keys, err := st.List(ctx, run+"/")
	if err != nil {
		return err
	}
	manifest := ManifestKey(run)
	if err := st.Delete(ctx, manifest); err != nil {
		return err
	}
	for _, k := range keys {
		if k != manifest && IsRunLevelKey(run, k) {
			if err := st.Delete(ctx, k); err != nil {
				return err
			}
		}
	}
	return nil
}
