// Package cli is orgiam's command line: one file per command. It only wires
// the configuration, credentials and store to the pipeline.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

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
	err := root.ExecuteContext(ctx)
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
	case isCobraUsage(err):
		code = ExitUsage
	}
	if ee == nil || ee.err != errSilent {
		fmt.Fprintln(stdio.Err, "orgiam: "+err.Error())
	}
	return code
}

// errSilent ends a command with its exit code after it printed what it had to say.
var errSilent = errors.New("")

func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "unknown command", "accepts ", "requires at least", "invalid argument", "flag needs an argument", "requires exactly"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// NewRoot builds the command tree.
func NewRoot(stdio IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "orgiam",
		Short: "Inventory and audit AWS IAM across every account of your AWS Organizations",
		Long: `orgiam discovers every account of one or more AWS Organizations, assumes a
role in each, collects all IAM data into dated snapshots (a local folder or
S3), indexes them in SQLite, and writes org-wide reports and CIS IAM findings.

Exit codes: 0 all ok, 3 some accounts failed, 2 usage or configuration error,
1 anything else.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newCollect(stdio), newInit(stdio), newVersion(stdio))
	root.AddCommand(newSimulate(stdio), newWhoCan(stdio), newCan(stdio))
	root.AddCommand(newExport(stdio))
	root.AddCommand(newDiff(stdio), newServe(stdio))
	root.AddCommand(newPolicy(stdio))
	for _, add := range extraCommands {
		root.AddCommand(add(stdio))
	}
	return root
}

// extraCommands are added by the other command files.
var extraCommands []func(IO) *cobra.Command

func newLogger(w io.Writer, format string, quiet bool) *slog.Logger {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	if os.Getenv("ORGIAM_DEBUG") != "" {
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
	loc, err := store.ParseURL(cfg.Store)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--store: %w", err))
	}
	var st store.Store
	if loc.Scheme == "s3" {
		awsCfg, err := awsauth.LoadBase(ctx, awsauth.Options{Region: cfg.Region, Profile: cfg.Profile, Endpoint: auth.Endpoint, Credentials: auth.Credentials, Logger: auth.Logger})
		if err != nil {
			return nil, usageErr(err)
		}
		st, err = store.Open(ctx, cfg.Store, &awsCfg)
		if err != nil {
			return nil, usageErr(err)
		}
	} else {
		st = store.NewFile(loc.Path)
	}
	if err := st.Check(ctx); err != nil {
		return nil, usageErr(fmt.Errorf("--store: %w", err))
	}
	return st, nil
}
