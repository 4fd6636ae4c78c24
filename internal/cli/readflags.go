package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
	"github.com/orgiam/orgiam/internal/version"
)

// readFlags are the flags of the commands that read a snapshot (index,
// query, report): which store, which run, and how to reach S3.
type readFlags struct {
	store, run, region, profile, format, out string
}

func (f *readFlags) register(cmd *cobra.Command, formats string) {
	def := "./orgiam-data"
	if v, ok := os.LookupEnv("ORGIAM_STORE"); ok && v != "" {
		def = v
	}
	cmd.PersistentFlags().StringVar(&f.store, "store", def, "snapshot store: a folder path, file:///path, or s3://bucket/prefix [env ORGIAM_STORE]")
	cmd.PersistentFlags().StringVar(&f.run, "run", "", "run to read, YYYY-MM-DD or YYYY-MM-DD/RUN-ID (default: the latest complete run)")
	cmd.PersistentFlags().StringVar(&f.region, "region", os.Getenv("ORGIAM_REGION"), "AWS region for an S3 store [env ORGIAM_REGION]")
	cmd.PersistentFlags().StringVar(&f.profile, "profile", os.Getenv("ORGIAM_PROFILE"), "AWS profile for an S3 store [env ORGIAM_PROFILE]")
	if formats != "" {
		cmd.PersistentFlags().StringVar(&f.format, "format", "", "output format: "+formats)
		cmd.PersistentFlags().StringVar(&f.out, "out", "", "write to FILE instead of standard output")
	}
}

// open opens the store and resolves the run: the latest complete run by
// default; an explicit --run must be complete unless allowIncomplete (a run
// being collected or interrupted, as long as it has an account list).
func (f *readFlags) open(ctx context.Context, allowIncomplete bool) (store.Store, string, error) {
	cfg := config.Defaults()
	cfg.Store, cfg.Region, cfg.Profile = f.store, f.region, f.profile
	st, err := openStore(ctx, cfg, awsauth.Options{})
	if err != nil {
		return nil, "", err
	}
	if f.run != "" && allowIncomplete {
		if _, _, err := store.ParseRunPrefix(f.run); err != nil {
			return nil, "", usageErr(fmt.Errorf("--run: %w", err))
		}
		if _, err := (snapshot.Reader{Store: st, Run: f.run}).Accounts(ctx); err != nil {
			return nil, "", usageErr(fmt.Errorf("--run %s: no run there in %s (%v)", f.run, st, err))
		}
		return st, f.run, nil
	}
	run, err := snapshot.ResolveRun(ctx, st, f.run)
	if err != nil {
		return nil, "", usageErr(err)
	}
	return st, run, nil
}

// output opens --out (or returns w).
func (f *readFlags) output(w io.Writer) (io.Writer, func() error, error) {
	if f.out == "" {
		return w, func() error { return nil }, nil
	}
	file, err := os.OpenFile(f.out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, usageErr(fmt.Errorf("--out: %w", err))
	}
	return file, file.Close, nil
}

// localEnv is an Env for steps that only read and write the store.
func localEnv(st store.Store, stdio IO) *pipeline.Env {
	return &pipeline.Env{Cfg: config.Defaults(), Store: st, Log: newLogger(stdio.Err, "text", true), Now: stdio.now, Version: version.String()}
}

// indexPath returns a local path of the run's index.sqlite: the file itself
// for a folder store, a downloaded copy (removed by cleanup) for S3.
func indexPath(ctx context.Context, st store.Store, run string) (string, func(), error) {
	key := store.IndexKey(run)
	if fs, ok := st.(*store.File); ok {
		p := filepath.Join(fs.Root, filepath.FromSlash(key))
		if _, err := os.Stat(p); err != nil {
			return "", nil, usageErr(fmt.Errorf("run %s has no index.sqlite: build it with `orgiam index --run %s`", run, run))
		}
		return p, func() {}, nil
	}
	data, err := st.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, usageErr(fmt.Errorf("run %s has no index.sqlite: build it with `orgiam index --run %s`", run, run))
	}
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "orgiam-query-")
	if err != nil {
		return "", nil, err
	}
	p := filepath.Join(dir, "index.sqlite")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return p, func() { os.RemoveAll(dir) }, nil
}
