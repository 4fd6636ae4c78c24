package pipeline

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/orgiam/orgiam/internal/index"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// scanEnded reports whether every account of the run's list has its outcome
// (account.json). The index step runs after the scan and before the
// manifest, so the manifest cannot tell it yet whether the run is complete;
// the accounts' files can, with one listing.
func scanEnded(ctx context.Context, env *Env, run string) (bool, error) {
	accounts, err := snapshot.Reader{Store: env.Store, Run: run}.Accounts(ctx)
	if err != nil {
		return false, err
	}
	keys, err := env.Store.List(ctx, store.AccountsPrefix(run))
	if err != nil {
		return false, err
	}
	have := map[string]bool{}
	for _, k := range keys {
		if strings.HasSuffix(k, "/account.json") {
			have[k] = true
		}
	}
	for _, a := range accounts {
		if !have[store.AccountKey(run, a.ID)] {
			return false, nil
		}
	}
	return true, nil
}

// markComplete sets meta.complete to 1 in the index file at path when the
// run's scan has ended.
func markComplete(ctx context.Context, env *Env, run, path string) error {
	ended, err := scanEnded(ctx, env, run)
	if err != nil || !ended {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "UPDATE meta SET value = '1' WHERE key = 'complete'"); err != nil {
		return fmt.Errorf("index meta.complete: %w", err)
	}
	return db.Close()
}

// IndexFile builds a run's index into the local file path instead of the
// store (`orgiam index --out`): it works on a store that is read-only. The
// file is built beside path and renamed over it once whole.
func IndexFile(ctx context.Context, env *Env, run, path string) (index.Stats, error) {
	dir := filepath.Dir(path)
	tmp, err := os.MkdirTemp(dir, ".orgiam-index-")
	if err != nil {
		return index.Stats{}, fmt.Errorf("--out: %w", err)
	}
	defer os.RemoveAll(tmp)
	p := filepath.Join(tmp, "index.sqlite")
	st, err := index.Build(ctx, snapshot.Reader{Store: env.Store, Run: run}, p, index.BuildOptions{ToolVersion: env.Version, Now: env.now})
	if err != nil {
		return st, fmt.Errorf("index %s: %w", run, err)
	}
	if err := os.Rename(p, path); err != nil {
		return st, fmt.Errorf("--out: %w", err)
	}
	return st, nil
}
