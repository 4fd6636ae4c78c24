// Package execrun runs any command once per account × region of the
// organizations (`orgiam exec`): the accounts come from the collect
// pipeline's own plan and discover steps, the regions from
// ec2:DescribeRegions in each account, and each item's command gets that
// account's assumed-role credentials. Every item's stdout, stderr, exit
// code and duration go to the store under <run>/exec/; results.json,
// written last, marks the run complete.
package execrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/orgiam/orgiam/internal/fanout"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/regions"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// How an item's command gets its credentials.
const (
	// CredentialsEndpoint serves them on a loopback endpoint as container
	// credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI and
	// AWS_CONTAINER_AUTHORIZATION_TOKEN); the SDKs and the AWS CLI refresh
	// them on their own, so a command may run longer than one role session.
	CredentialsEndpoint = "endpoint"
	// CredentialsEnv puts them in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
	// and AWS_SESSION_TOKEN, for tools that read only those; they last one
	// role session (at most an hour).
	CredentialsEnv = "env"
)

// Item statuses.
const (
	StatusOK        = "ok"        // the command exited 0
	StatusFailed    = "failed"    // it exited non-zero
	StatusTimeout   = "timeout"   // it ran past --timeout and was stopped
	StatusError     = "error"     // it could not be run (credentials, regions, start)
	StatusSkipped   = "skipped"   // a --regions region not enabled in the account
	StatusCancelled = "cancelled" // stopped by Ctrl-C
)

// DefaultGrace is how long a stopped command has between SIGTERM and SIGKILL.
const DefaultGrace = 5 * time.Second

// Options are what to run and how.
type Options struct {
	// Command is the command and its arguments; Command[0] is resolved
	// (ResolveCommand) before the run starts.
	Command []string
	// Params is the --params file's JSON, given to every item once as
	// ORGIAM_PARAMS (nil: the variable is not set).
	Params json.RawMessage
	// Regions is the --regions selection.
	Regions regions.Selection
	// RoleName and RolePath are the role assumed in each account (default
	// the configuration's collect role).
	RoleName, RolePath string
	// Concurrency is how many items run at once (default the configuration's).
	Concurrency int
	// Timeout bounds one item (0: none).
	Timeout time.Duration
	// Credentials is CredentialsEndpoint (default) or CredentialsEnv.
	Credentials string
	// MaxOutput bounds what is kept of each of an item's streams
	// (default DefaultMaxOutput): the head and the tail.
	MaxOutput int
	// Environ is the environment the commands start from (os.Environ()).
	Environ []string
	// Grace is the time between SIGTERM and SIGKILL (default DefaultGrace).
	Grace time.Duration
	// NewEC2 builds an account's EC2 client (tests may replace it).
	NewEC2 func(aws.Config) regions.DescribeRegionsAPI
}

// Result is one item's outcome, as results.json and results.csv hold it.
type Result struct {
	AccountID       string    `json:"accountId"`
	AccountName     string    `json:"accountName"`
	Region          string    `json:"region"`
	Status          string    `json:"status"`
	ExitCode        *int      `json:"exitCode,omitempty"`
	Started         time.Time `json:"started,omitzero"`
	DurationSeconds float64   `json:"durationSeconds"`
	Error           string    `json:"error,omitempty"`
	StdoutBytes     int64     `json:"stdoutBytes"`
	StderrBytes     int64     `json:"stderrBytes"`
	// Truncated is true when a stream was longer than the kept head and tail.
	Truncated bool   `json:"truncated,omitempty"`
	Stdout    string `json:"stdoutKey,omitempty"`
	Stderr    string `json:"stderrKey,omitempty"`
	// lastLine is the last non-empty line of stdout (the summary table).
	lastLine string
}

// Totals count the items by status.
type Totals struct {
	Items     int `json:"items"`
	OK        int `json:"ok"`
	Failed    int `json:"failed"`
	Timeout   int `json:"timeout"`
	Error     int `json:"error"`
	Skipped   int `json:"skipped"`
	Cancelled int `json:"cancelled"`
}

// Problems is every item that did not succeed and was not skipped.
func (t Totals) Problems() int { return t.Failed + t.Timeout + t.Error + t.Cancelled }

// Results is exec/results.json.
type Results struct {
	SchemaVersion int       `json:"schemaVersion"`
	Run           string    `json:"run"`
	Store         string    `json:"store"`
	Command       []string  `json:"command"`
	Role          string    `json:"role"`
	Regions       string    `json:"regions"`
	Credentials   string    `json:"credentials"`
	Started       time.Time `json:"started"`
	Finished      time.Time `json:"finished"`
	Totals        Totals    `json:"totals"`
	Items         []Result  `json:"items"`
}

// ResultsSchemaVersion is the version of results.json.
const ResultsSchemaVersion = 1

// Keys of the run's exec folder.
const (
	ResultsJSON = "results.json"
	ResultsCSV  = "results.csv"
	PlanJSON    = "plan.json"
)

// ItemKey is exec/<account>/<region>/<name> of a run.
func ItemKey(run, account, region, name string) string {
	return store.ExecKey(run, path.Join(account, region, name))
}

// ErrInterrupted means the run was stopped before every item ended; no
// results.json was written.
var ErrInterrupted = errors.New("interrupted")

// ResolveCommand finds argv[0] once, before any item runs: a name is
// looked up on PATH, a path must be an executable file. It returns argv
// with argv[0] made absolute.
func ResolveCommand(argv []string) ([]string, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("no command: give it after --, e.g. orgiam exec -- aws sts get-caller-identity")
	}
	p, err := exec.LookPath(argv[0])
	if err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) && errors.Is(ee.Err, exec.ErrNotFound) && !strings.Contains(argv[0], "/") {
			return nil, fmt.Errorf("command %q not found on PATH", argv[0])
		}
		return nil, fmt.Errorf("command %q: %v", argv[0], unwrapPath(unwrapExec(err)))
	}
	if !strings.HasPrefix(p, "/") {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		p = path.Join(wd, p)
	}
	out := append([]string{p}, argv[1:]...)
	return out, nil
}

func unwrapExec(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// ReadParams reads a --params file: it must hold one JSON value. The
// compact form is returned (it travels in one variable).
func ReadParams(file string) (json.RawMessage, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", file, unwrapPath(err))
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%s is not JSON: %v", file, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s holds more than one JSON value", file)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

var roleNameRe = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

// ParseRole reads --role: a role name, or /path/name.
func ParseRole(s string) (name, rolePath string, err error) {
	if strings.HasPrefix(s, "arn:") {
		// One role is assumed in every account: an ARN names one account's.
		return "", "", fmt.Errorf("%q is an ARN: give the role's name (or /path/name), which is assumed in every account", s)
	}
	rolePath = "/"
	name = s
	if i := strings.LastIndex(s, "/"); i >= 0 {
		rolePath, name = s[:i+1], s[i+1:]
		if !strings.HasPrefix(rolePath, "/") {
			rolePath = "/" + rolePath
		}
	}
	if !roleNameRe.MatchString(name) {
		return "", "", fmt.Errorf("%q is not a role name (1-64 of letters, digits and +=,.@_-, optionally after a /path/)", s)
	}
	return name, rolePath, nil
}

// item is one account × region to run in.
type item struct {
	AccountID, AccountName, Region string
	cfg                            aws.Config
}

// Outcome is what a run did.
type Outcome struct {
	Run     string
	Results Results
}

// Run plans the run (its prefix and lock as collect's), discovers the
// accounts, lists each account's regions, runs the command in every item
// and writes the results. A failing or timed-out item never stops the
// others. When ctx is cancelled the commands are stopped (their process
// groups get SIGTERM, then SIGKILL), the items that ended are kept, and no
// results.json is written: the run is not complete.
func Run(ctx context.Context, env *pipeline.Env, o Options) (Outcome, error) {
	var out Outcome
	if o.Concurrency < 1 {
		o.Concurrency = env.Cfg.Concurrency
	}
	if o.Credentials == "" {
		o.Credentials = CredentialsEndpoint
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.NewEC2 == nil {
		o.NewEC2 = func(c aws.Config) regions.DescribeRegionsAPI { return ec2.NewFromConfig(c) }
	}
	// The role of this run is the collect role of the pipeline's Env: its
	// chain (the initial role, the external id) is the collect run's.
	cfg := *env.Cfg
	cfg.Overwrite = false
	if o.RoleName != "" {
		cfg.CollectRole, cfg.CollectRolePath = o.RoleName, o.RolePath
	}
	env.Cfg = &cfg
	now := func() time.Time {
		if env.Now != nil {
			return env.Now().UTC()
		}
		return time.Now().UTC()
	}
	log := env.Log
	if log == nil {
		log = slog.Default()
	}

	run, date, runID, err := choosePrefix(ctx, env, now)
	if err != nil {
		return out, err
	}
	out.Run = run
	lockOpts := env.Lock
	lockOpts.Command = "orgiam exec"
	if lockOpts.Now == nil {
		lockOpts.Now = now
	}
	lock, err := store.AcquireLock(ctx, env.Store, run, lockOpts)
	if err != nil {
		return out, err
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopBeat := heartbeat(runCtx, lock, lockOpts.Lease, cancel)
	defer func() {
		stopBeat()
		if err := lock.Release(context.WithoutCancel(ctx)); err != nil {
			log.Warn("run lock not released", "run", run, "error", err.Error())
		}
	}()

	// A run of its own, planned and discovered by the collect pipeline's
	// steps: run.json, the organizations and the account list are the
	// record of which accounts the command ran in.
	if _, err := pipeline.Plan(runCtx, env, pipeline.PlanInput{Date: date, RunID: runID}); err != nil {
		return out, err
	}
	if _, err := pipeline.Discover(runCtx, env, pipeline.DiscoverInput{Run: run}); err != nil {
		var ue *pipeline.UsageError
		if errors.As(err, &ue) {
			// Nothing ran: leave nothing behind.
			if derr := store.DeleteRunLevel(context.WithoutCancel(ctx), env.Store, run); derr != nil {
				log.Warn("run not cleaned up", "run", run, "error", derr.Error())
			}
		}
		return out, err
	}
	accounts, err := snapshot.Reader{Store: env.Store, Run: run}.Accounts(runCtx)
	if err != nil {
		return out, err
	}
	res := Results{
		SchemaVersion: ResultsSchemaVersion, Run: run, Store: env.Store.String(),
		Command: o.Command, Role: env.CollectRoleARN("<account>"), Regions: o.Regions.String(),
		Credentials: o.Credentials, Started: now(),
	}
	if err := putJSON(runCtx, env.Store, store.ExecKey(run, PlanJSON), planRecord(res, o)); err != nil {
		return out, err
	}
	log.Info("exec started", "run", run, "accounts", len(accounts), "regions", o.Regions.String(), "role", res.Role)

	items, early := resolveItems(runCtx, env, o, accounts, log)
	r := &runner{env: env, o: o, run: run, log: log}
	if o.Credentials == CredentialsEndpoint {
		if r.creds, err = startCredServer(); err != nil {
			return out, fmt.Errorf("credential endpoint: %w", err)
		}
		defer r.creds.Close()
	}
	results := append([]Result(nil), early...)
	var mu sync.Mutex
	ferr := fanout.Run(runCtx, items, o.Concurrency, 0,
		func(ctx context.Context, it item) error {
			rr := r.runItem(ctx, it)
			mu.Lock()
			results = append(results, rr)
			mu.Unlock()
			if rr.Status != StatusOK {
				return errors.New(rr.Status)
			}
			return nil
		}, nil)
	sortResults(results)
	res.Items = results
	res.Finished = now()
	res.Totals = count(results)
	out.Results = res
	if cause := context.Cause(runCtx); cause != nil && errors.Is(cause, store.ErrLockLost) {
		return out, cause
	}
	if ferr != nil || ctx.Err() != nil {
		return out, fmt.Errorf("run %s %w: %d of %d items ended (no results.json written: the run is incomplete)", run, ErrInterrupted, len(results)-len(early)-res.Totals.Cancelled, len(items))
	}
	csv, err := resultsCSV(results)
	if err != nil {
		return out, err
	}
	if err := env.Store.Put(runCtx, store.ExecKey(run, ResultsCSV), csv); err != nil {
		return out, err
	}
	// Last: its presence marks the run complete.
	if err := putJSON(runCtx, env.Store, store.ExecKey(run, ResultsJSON), res); err != nil {
		return out, err
	}
	log.Info("exec complete", "run", run, "ok", res.Totals.OK, "problems", res.Totals.Problems(), "skipped", res.Totals.Skipped)
	return out, nil
}

// choosePrefix is the run's prefix: --date (default today, UTC) and
// --run-id (default exec-HHMMSS, with a suffix when that run exists). A
// given run id that is already taken is refused.
func choosePrefix(ctx context.Context, env *pipeline.Env, now func() time.Time) (run, date, runID string, err error) {
	date = env.Cfg.Date
	if date == "" {
		date = now().Format("2006-01-02")
	}
	runID = env.Cfg.RunID
	auto := runID == ""
	if auto {
		runID = "exec-" + now().Format("150405")
	}
	base := runID
	for i := 2; ; i++ {
		if run, err = store.RunPrefix(date, runID); err != nil {
			return "", "", "", &pipeline.UsageError{Err: err}
		}
		taken, err := runTaken(ctx, env.Store, run)
		if err != nil {
			return "", "", "", err
		}
		if !taken {
			return run, date, runID, nil
		}
		if !auto {
			return "", "", "", &pipeline.UsageError{Err: fmt.Errorf("--run-id %s: run %s/%s already exists; pass another --run-id", runID, env.Store, run)}
		}
		runID = fmt.Sprintf("%s-%d", base, i)
	}
}

func runTaken(ctx context.Context, st store.Store, run string) (bool, error) {
	for _, k := range []string{store.RunInfoKey(run), store.ManifestKey(run), store.ExecKey(run, ResultsJSON)} {
		ok, err := st.Exists(ctx, k)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// heartbeat renews the lock until the returned function is called; a lost
// lock cancels the run.
func heartbeat(ctx context.Context, lock *store.Lock, lease time.Duration, cancel context.CancelCauseFunc) func() {
	if lease <= 0 {
		lease = store.DefaultLease
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(lease / 4)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if err := lock.Heartbeat(ctx); errors.Is(err, store.ErrLockLost) {
					cancel(err)
					return
				}
			}
		}
	}()
	return func() { close(stop); <-done }
}

// resolveItems lists the regions of every account (with its credentials,
// at most Concurrency accounts at once) and returns the items to run, and
// the results already known: regions skipped, accounts whose regions could
// not be listed.
func resolveItems(ctx context.Context, env *pipeline.Env, o Options, accounts []snapshot.Account, log *slog.Logger) ([]item, []Result) {
	var mu sync.Mutex
	var items []item
	var early []Result
	_ = fanout.Run(ctx, accounts, o.Concurrency, 0, func(ctx context.Context, a snapshot.Account) error {
		cfg := env.AccountConfig(a.ID)
		enabled, err := regions.Enabled(ctx, o.NewEC2(cfg))
		var scan []string
		var skipped map[string]string
		switch {
		case err != nil && o.Regions.AllEnabled:
			msg := fmt.Sprintf("account %s: ec2:DescribeRegions: %v", a.ID, err)
			mu.Lock()
			early = append(early, Result{AccountID: a.ID, AccountName: a.Name, Region: "-", Status: StatusError, Error: msg})
			mu.Unlock()
			log.Warn("regions not listed", "account", a.ID, "error", err.Error())
			return err
		case err != nil:
			// The regions were named: run there, and say the check failed.
			log.Warn("regions not listed; running in the --regions given", "account", a.ID, "error", err.Error())
			scan = o.Regions.Names
		default:
			scan, skipped = o.Regions.Resolve(enabled)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range scan {
			items = append(items, item{AccountID: a.ID, AccountName: a.Name, Region: r, cfg: cfg})
		}
		for r, why := range skipped {
			early = append(early, Result{AccountID: a.ID, AccountName: a.Name, Region: r, Status: StatusSkipped, Error: why})
		}
		return nil
	}, nil)
	sortItems(items)
	return items, early
}

func putJSON(ctx context.Context, st store.Store, key string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	return st.Put(ctx, key, data)
}

// planRecord is exec/plan.json: what was asked, written before any item
// runs. The parameters are not stored (they may hold secrets), only
// whether there were any.
func planRecord(r Results, o Options) map[string]any {
	return map[string]any{
		"run": r.Run, "command": r.Command, "role": r.Role, "regions": r.Regions,
		"credentials": r.Credentials, "concurrency": o.Concurrency,
		"timeoutSeconds": o.Timeout.Seconds(), "params": o.Params != nil, "started": r.Started,
	}
}
