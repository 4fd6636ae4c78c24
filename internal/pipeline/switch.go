package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/orgiam/orgiam/internal/store"
)

// switchRun moves a complete run built under stage (by --overwrite) onto
// run. Until it starts, the old run is complete and readable. It removes the
// old manifest first, so from then on the run is incomplete; it copies every
// new object, removes the old objects the new run does not have, writes the
// new manifest last, and only then removes the staging copy. Interrupted, it
// leaves an incomplete run and a complete staging copy, and a later
// `collect --resume` finishes it (finishSwitch).
func switchRun(ctx context.Context, st store.Store, stage, run string) error {
	staged, err := st.List(ctx, stage+"/")
	if err != nil {
		return err
	}
	manifest := ""
	fresh := map[string]bool{}
	for _, k := range staged {
		rel := strings.TrimPrefix(k, stage+"/")
		if rel == "manifest.json" {
			manifest = k
			continue
		}
		fresh[run+"/"+rel] = true
	}
	if manifest == "" {
		return fmt.Errorf("run %s: the staged copy %s has no manifest: not switched", run, stage)
	}
	if err := st.Delete(ctx, store.ManifestKey(run)); err != nil {
		return err
	}
	old, err := st.List(ctx, run+"/")
	if err != nil {
		return err
	}
	for _, k := range staged {
		if k == manifest {
			continue
		}
		if err := copyObject(ctx, st, k, run+"/"+strings.TrimPrefix(k, stage+"/")); err != nil {
			return err
		}
	}
	for _, k := range old {
		if store.IsRunLevelKey(run, k) && !fresh[k] && k != store.ManifestKey(run) {
			if err := st.Delete(ctx, k); err != nil {
				return err
			}
		}
	}
	if err := copyObject(ctx, st, manifest, store.ManifestKey(run)); err != nil {
		return err
	}
	for _, k := range staged {
		if err := st.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// copyObject copies one staged object into the run. An account's files are
// bounded by that account and copied in memory; the run-level files that grow
// with the organization (index.sqlite, the reports) are spooled through a
// temporary file, so a switch stays within the pipeline's memory bound.
func copyObject(ctx context.Context, st store.Store, from, to string) error {
	if !orgSized(to) {
		data, err := st.Get(ctx, from)
		if err != nil {
			return err
		}
		return st.Put(ctx, to, data)
	}
	r, err := store.OpenObject(ctx, st, from)
	if err != nil {
		return err
	}
	defer r.Close()
	tmp, err := os.CreateTemp("", "orgiam-switch-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := io.Copy(tmp, r)
	if err != nil {
		return fmt.Errorf("store %s: read %s: %w", st, from, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return store.PutReader(ctx, st, to, tmp, n)
}

// orgSized reports whether a run key names a file whose size grows with the
// organization rather than with one account.
func orgSized(key string) bool {
	return strings.HasSuffix(key, "/index.sqlite") || strings.Contains(key, "/reports/")
}

// stagedComplete reports whether an interrupted switch left a complete
// staged run behind.
func stagedComplete(ctx context.Context, st store.Store, run string) (bool, error) {
	return st.Exists(ctx, store.StagingPrefix(run)+"/manifest.json")
}
