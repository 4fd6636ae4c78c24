package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	cmd                                      *cobra.Command
}

func (f *readFlags) register(cmd *cobra.Command, formats string) {
	f.cmd = cmd
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
	st, err := f.openStore(ctx)
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
	run, err := snapshot.ResolveRunWarn(ctx, st, f.run, func(msg string) {
		if f.cmd != nil {
			fmt.Fprintln(f.cmd.ErrOrStderr(), "orgiam: warning: "+msg)
		}
	})
	if err != nil {
		return nil, "", usageErr(err)
	}
	return st, run, nil
}

// openStore opens the store for reading only: a folder store must exist
// already (it is never created, and nothing is written to check it, so a
// read-only folder works); an S3 store is checked with HeadBucket.
func (f *readFlags) openStore(ctx context.Context) (store.Store, error) {
	// Name what the user wrote: the flag, or the variable it defaulted from.
	src := "--store"
	if f.cmd != nil && !f.cmd.Flags().Changed("store") && os.Getenv("ORGIAM_STORE") != "" {
		src = "ORGIAM_STORE"
	}
	loc, err := store.ParseURL(f.store)
	if err != nil {
		return nil, usageErr(fmt.Errorf("%s: %w", src, err))
	}
	if loc.Scheme == "file" {
		fi, err := os.Stat(loc.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, usageErr(fmt.Errorf("%s %s: no such folder (nothing was collected there; run `orgiam collect` or pass --store)", src, loc.Path))
		case err != nil:
			return nil, usageErr(fmt.Errorf("%s %s: %w", src, loc.Path, err))
		case !fi.IsDir():
			return nil, usageErr(fmt.Errorf("%s %s: not a folder", src, loc.Path))
		}
		return store.NewFile(loc.Path), nil
	}
	cfg := config.Defaults()
	cfg.Store, cfg.Region, cfg.Profile = f.store, f.region, f.profile
	return openStore(ctx, cfg, awsauth.Options{})
}

// output opens --out (or returns w). The output goes to a temporary file
// beside --out, renamed over it by commit: a command that fails midway
// leaves an existing file as it was. abort (safe after commit) drops it.
func (f *readFlags) output(w io.Writer) (out io.Writer, commit func() error, abort func(), err error) {
	if f.out == "" {
		return w, func() error { return nil }, func() {}, nil
	}
	file, err := os.CreateTemp(filepath.Dir(f.out), "."+filepath.Base(f.out)+".tmp-*")
	if err != nil {
		return nil, nil, nil, usageErr(fmt.Errorf("--out: %w", err))
	}
	done := false
	abort = func() {
		if !done {
			done = true
			file.Close()
			os.Remove(file.Name())
		}
	}
	commit = func() error {
		if done {
			return nil
		}
		done = true
		if err := file.Sync(); err != nil {
			file.Close()
			os.Remove(file.Name())
			return fmt.Errorf("--out: %w", err)
		}
		if err := file.Close(); err != nil {
			os.Remove(file.Name())
			return fmt.Errorf("--out: %w", err)
		}
		if err := os.Rename(file.Name(), f.out); err != nil {
			os.Remove(file.Name())
			return fmt.Errorf("--out: %w", err)
		}
		return nil
	}
	return file, commit, abort, nil
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
