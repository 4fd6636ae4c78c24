package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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
	// storeEnv is the variable --store's default came from ("" if none).
	storeEnv string
	cmd      *cobra.Command
}

func (f *readFlags) register(cmd *cobra.Command, formats string) {
	f.cmd = cmd
	f.storeEnv = storeFlags(cmd.PersistentFlags(), &f.store, &f.region, &f.profile)
	cmd.PersistentFlags().StringVar(&f.run, "run", "", "run to read, YYYY-MM-DD or YYYY-MM-DD/RUN-ID (default: the latest complete run)")
	if formats != "" {
		cmd.PersistentFlags().StringVar(&f.format, "format", "", "output format: "+formats)
		cmd.PersistentFlags().StringVar(&f.out, "out", "", "write to FILE instead of standard output")
	}
}

// storeFlags registers --store, --region and --profile on fs for a command
// that reads the store without loading the whole configuration. Their
// defaults and variables come from the configuration table, as for collect;
// it returns the variable --store's default came from ("" if none).
func storeFlags(fs *pflag.FlagSet, storeURL, region, profile *string) (storeEnv string) {
	def, storeEnv := envDefault("store")
	fs.StringVar(storeURL, "store", def, "snapshot store: a folder path, file:///path, or s3://bucket/prefix [env "+envName("store")+"]")
	def, _ = envDefault("region")
	fs.StringVar(region, "region", def, "AWS region for an S3 store [env "+envName("region")+"]")
	def, _ = envDefault("profile")
	fs.StringVar(profile, "profile", def, "AWS profile for an S3 store [env "+envName("profile")+"]")
	return storeEnv
}

// envDefault is the default of the configuration field name for a flag of a
// command that does not load the whole configuration: the field's variable
// (or its alias) when set and not empty, else the field's default. env is
// the variable the value came from ("" for the default).
func envDefault(name string) (value, env string) {
	f, ok := config.FieldByName(name)
	if !ok {
		panic("cli: no configuration field " + name)
	}
	for _, v := range []string{f.EnvName(), f.EnvAlias()} {
		if v == "" {
			continue
		}
		if val, ok := os.LookupEnv(v); ok && val != "" {
			return val, v
		}
	}
	return f.Default, ""
}

// envName is the variable of the configuration field name.
func envName(name string) string {
	f, _ := config.FieldByName(name)
	return f.EnvName()
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
	if f.cmd != nil && !f.cmd.Flags().Changed("store") && f.storeEnv != "" {
		src = f.storeEnv
	}
	return openStoreAt(ctx, f.store, src, true, awsauth.Options{Region: f.region, Profile: f.profile})
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
