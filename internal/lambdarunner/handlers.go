// Package lambdarunner adapts the pipeline steps to AWS Lambda handlers. The
// handlers hold no logic of their own: they decode the step input, call the
// step with an Env built once per cold start from ORGIAM_* variables, and
// return its output. The state machine in deploy/stepfunctions wires them.
package lambdarunner

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/fanout"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/store"
	"github.com/orgiam/orgiam/internal/version"
)

// Func is a Lambda handler taking and returning raw JSON.
type Func func(ctx context.Context, in json.RawMessage) (any, error)

// Options let tests point the handlers at an emulator.
type Options struct {
	Endpoint    string
	Credentials awsauth.Options
}

// EnvBuilder builds the step Env once per process (a warm Lambda reuses it).
type EnvBuilder struct {
	Lookup func(string) (string, bool)
	Auth   awsauth.Options
	// Now is the clock the steps read (the run's date, timestamps); nil
	// means the system clock. Tests inject a fixed one.
	Now func() time.Time
	mu  sync.Mutex
	env *pipeline.Env
}

// Env returns the shared Env, building it on first use. A failed build is
// not kept: a transient error at a cold start (STS throttled, a network
// blip) is retried by the next invocation instead of failing every
// invocation for the life of the warm container.
func (b *EnvBuilder) Env(ctx context.Context) (*pipeline.Env, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.env != nil {
		return b.env, nil
	}
	env, err := b.build(ctx)
	if err != nil {
		return nil, err
	}
	b.env = env
	return env, nil
}

func (b *EnvBuilder) build(ctx context.Context) (*pipeline.Env, error) {
	lookup := b.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	cfg, err := config.Load(nil, lookup)
	if err != nil {
		return nil, err
	}
	if b.Lookup == nil {
		if err := config.CheckEnv(os.Environ(), cfg); err != nil {
			return nil, err
		}
	}
	if !strings.HasPrefix(cfg.Store, "s3://") {
		if cfg.AllowFileStore != "true" {
			return nil, fmt.Errorf("ORGIAM_STORE: %q must be an s3:// URL in Lambda (the functions share no disk)", cfg.Store)
		}
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ao := b.Auth
	ao.Region = firstSet(ao.Region, cfg.Region)
	ao.Logger = log
	lim := fanout.New(fanout.Options{Ceiling: cfg.RateLimit, Disabled: cfg.RateControl == "off"})
	ao.APIOptions = append(ao.APIOptions, lim.Middleware())
	if ao.SessionName == "" {
		ao.SessionName = awsauth.SessionName("lambda")
	}
	auth, err := awsauth.New(ctx, ao)
	if err != nil {
		return nil, err
	}
	storeCfg, err := awsauth.LoadBase(ctx, awsauth.Options{Region: cfg.Region, Endpoint: ao.Endpoint, Credentials: ao.Credentials, Logger: log})
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.Store, &storeCfg)
	if err != nil {
		return nil, err
	}
	env := &pipeline.Env{Cfg: cfg, Auth: auth, Store: st, Limiter: lim, Log: log, Now: b.Now, Version: version.String()}
	env.StandardSteps()
	// ORGIAM_COLLECTORS is checked at the cold start, before any step runs.
	if _, err := env.Collectors(); err != nil {
		return nil, err
	}
	return env, nil
}

func firstSet(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// step adapts one pipeline step.
func step[I, O any](b *EnvBuilder, fn func(context.Context, *pipeline.Env, I) (O, error)) Func {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var in I
		if len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, &in); err != nil {
				return nil, fmt.Errorf("input: %w", err)
			}
		}
		env, err := b.Env(ctx)
		if err != nil {
			return nil, err
		}
		return fn(ctx, env, in)
	}
}

// Handlers maps each ORGIAM_HANDLER name to its function.
func Handlers(b *EnvBuilder) map[string]Func {
	return map[string]Func{
		"plan": step(b, func(ctx context.Context, env *pipeline.Env, in pipeline.PlanInput) (pipeline.PlanOutput, error) {
			in.AutoRunID = true
			return pipeline.Plan(ctx, env, in)
		}),
		"discover": step(b, pipeline.Discover),
		// The account item: IAM, the credential report's start, S3 and the
		// regions enabled in the account, once per account.
		"scan-account": step(b, pipeline.ScanAccount),
		// The account × region items: region-items lists those still to
		// scan in the store, the regional Map runs scan-region on each.
		"region-items":      step(b, pipeline.RegionItems),
		"scan-region":       step(b, pipeline.ScanRegion),
		"credential-report": step(b, pipeline.CredentialReport),
		"index":             step(b, pipeline.Index),
		"report":            step(b, pipeline.Report),
		"diff":              step(b, pipeline.Diff),
		"finalize":          step(b, pipeline.Finalize),
		"notify-summary":    step(b, pipeline.Notify),
		// Not part of the state machine: its own EventBridge rule calls it.
		"config-report": step(b, pipeline.ConfigReport),
		// Its own state machine, on its own schedule (policygen.tf).
		"policygen": policygenHandler(b),
		// The operations fan-out machine (deploy/terraform/orgiam/operations_fanout.tf):
		// its items, and the results CSV from its Map's ResultWriter.
		"operations-items":   step(b, pipeline.OperationsItems),
		"operations-results": step(b, pipeline.OperationsResults),
	}
}

// Names lists the handler names.
func Names() []string {
	var n []string
	for k := range Handlers(&EnvBuilder{}) {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// standalone are the handlers outside the orgiam state machine.
var standalone = map[string]bool{"config-report": true, "operations-items": true, "operations-results": true, "policygen": true}

// StateMachineNames lists the handlers the state machine invokes: every one
// but config-report, which its own EventBridge rule calls, and those of the
// operations fan-out machine, and policygen, which has its own state
// machine.
func StateMachineNames() []string {
	var n []string
	for _, k := range Names() {
		if !standalone[k] {
			n = append(n, k)
		}
	}
	return n
}

// Handler returns the handler named by ORGIAM_HANDLER.
func Handler(ctx context.Context, name string, lookup func(string) (string, bool)) (Func, error) {
	h, ok := Handlers(&EnvBuilder{Lookup: lookup})[name]
	if !ok {
		return nil, fmt.Errorf("ORGIAM_HANDLER=%q: expected one of %s", name, strings.Join(Names(), ", "))
	}
	return h, nil
}
