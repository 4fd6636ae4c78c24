// Package cli is orgiam's command line: one file per command. It only wires
// the configuration, credentials and store to the pipeline.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/store"
)

// Exit codes.
const (
	ExitOK            = 0
	ExitError         = 1
	ExitUsage         = 2
	ExitAccountFailed = 3
	// ExitFindings: FAIL findings at or above --fail-on remain unmuted
	// (and no account failed: 3 wins, the findings being incomplete).
	ExitFindings = 4
)

// exitError carries an exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error { return &exitError{code: ExitUsage, err: err} }

// IO is where commands read and write (tests replace it).
type IO struct {
	Out, Err io.Writer
	// IsTTY tells whether Err is a terminal (progress bar).
	IsTTY bool
	// Now is the clock commands read (the run's date, report ages, run
	// ids); nil means the system clock. Tests inject a fixed one.
	Now func() time.Time
}

func (s IO) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Main runs the command line and returns the exit code.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, args, IO{Out: os.Stdout, Err: os.Stderr, IsTTY: isTerminal(os.Stderr)})
}

// Run runs the command line with the given streams.
func Run(ctx context.Context, args []string, stdio IO) int {
	root := NewRoot(stdio)
	root.SetArgs(args)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	// Find fails only on an unknown command (cobra's own check, which
	// Execute would return untyped): a usage error.
	_, _, err := root.Find(args)
	if err != nil {
		err = usageErr(err)
	} else {
		err = root.ExecuteContext(ctx)
	}
	if err == nil {
		return ExitOK
	}
	code := ExitError
	var ee *exitError
	var ce *config.Error
	var ue *pipeline.UsageError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case errors.As(err, &ce), errors.As(err, &ue), errors.Is(err, awsauth.ErrNoCredentials), errors.Is(err, pipeline.ErrRunExists),
		errors.Is(err, pipeline.ErrRunIncomplete), errors.Is(err, pipeline.ErrNothingToResume),
		errors.Is(err, awsauth.ErrNoProfile):
		code = ExitUsage
	}
	if ee == nil || ee.err != errSilent {
		fmt.Fprintln(stdio.Err, "orgiam: "+err.Error())
	}
	return code
}

// errSilent ends a command with its exit code after it printed what it had to say.
var errSilent = errors.New("")

// NewRoot builds the command tree.
func NewRoot(stdio IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "orgiam",
		Short: "Inventory and audit AWS IAM across every account of your AWS Organizations",
		Long: `orgiam discovers every account of one or more AWS Organizations, assumes a
role in each, collects all IAM data into dated snapshots (a local folder or
S3), indexes them in SQLite, and writes org-wide reports and CIS IAM findings.

Exit codes: 0 all ok, 3 some accounts failed, 4 unmuted FAIL findings at or
above --fail-on remain, 2 usage or configuration error, 1 anything else.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newCollect(stdio), newInit(stdio), newVersion(stdio))
	root.AddCommand(newSimulate(stdio), newWhoCan(stdio), newCan(stdio))
	root.AddCommand(newExport(stdio))
	root.AddCommand(newDiff(stdio), newServe(stdio))
	root.AddCommand(newPolicy(stdio))
	root.AddCommand(newIndex(stdio), newQuery(stdio), newReport(stdio))
	root.AddCommand(newSchedule(stdio), newDemo(stdio))
	root.AddCommand(newExec(stdio))
	typeUsageErrors(root)
	return root
}

// typeUsageErrors makes cobra's flag and argument errors usage errors (exit
// 2) by their origin rather than by their wording: flag parsing errors go
// through the root's flag error function (inherited by every command), and
// each command's argument check is wrapped.
func typeUsageErrors(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if check := c.Args; check != nil {
			c.Args = func(c *cobra.Command, args []string) error {
				if err := check(c, args); err != nil {
					return usageErr(err)
				}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func newLogger(w io.Writer, format string, quiet bool) *slog.Logger {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	if config.EnvValue("debug", os.LookupEnv) != "" {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens and checks the store before anything is written, so a bad
// --store fails with nothing partially written.
func openStore(ctx context.Context, cfg *config.Config, auth awsauth.Options) (store.Store, error) {
	// Only the base credentials: the collection's rate control and
	// connection settings are not the store's.
	base := awsauth.Options{Region: cfg.Region, Profile: cfg.Profile, Endpoint: auth.Endpoint, Credentials: auth.Credentials, Logger: auth.Logger}
	return openStoreAt(ctx, cfg.Store, "--store", false, base)
}

// openStoreAt is the one store opener of the command line: store.Open, with
// AWS credentials loaded only for an S3 store, and the store checked. src
// names what the user wrote (the flag, or the variable it defaulted from).
// readOnly is for the commands that only read: a folder store must exist
// already (it is never created, and nothing is written to check it, so a
// read-only folder works); an S3 store is checked with HeadBucket either way.
func openStoreAt(ctx context.Context, raw, src string, readOnly bool, auth awsauth.Options) (store.Store, error) {
	loc, err := store.ParseURL(raw)
	if err != nil {
		return nil, usageErr(fmt.Errorf("%s: %w", src, err))
	}
	var awsCfg *aws.Config
	switch {
	case loc.Scheme == "s3":
		c, err := awsauth.LoadBase(ctx, auth)
		if err != nil {
			return nil, usageErr(err)
		}
		awsCfg = &c
	case readOnly:
		fi, err := os.Stat(loc.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, usageErr(fmt.Errorf("%s %s: no such folder (nothing was collected there; run `orgiam collect` or pass --store)", src, loc.Path))
		case err != nil:
			return nil, usageErr(fmt.Errorf("%s %s: %w", src, loc.Path, err))
		case !fi.IsDir():
			return nil, usageErr(fmt.Errorf("%s %s: not a folder", src, loc.Path))
		}
	}
	st, err := store.Open(ctx, raw, awsCfg)
	if err != nil {
		return nil, usageErr(err)
	}
	if readOnly && loc.Scheme == "file" {
		return st, nil
	}
	if err := st.Check(ctx); err != nil {
		return nil, usageErr(fmt.Errorf("%s: %w", src, err))
	}
	return st, nil
}
