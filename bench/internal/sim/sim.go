// Package sim runs the local pipeline against a simulated organization
// (internal/fakeaws) for the benchmarks: it starts the emulator, configures
// collect for it, and runs the pipeline in-process with the real SDK.
package sim

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/orgiam/orgiam/bench/internal/measure"
	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/fanout"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/store"
)

// Setup describes one simulated run.
type Setup struct {
	Accounts int          // accounts of the one simulated organization (seed 7)
	Size     fakeaws.Size // per-account entity counts (zero: the generator's default)
	Knobs    fakeaws.Knobs
	Store    string // folder of the snapshot
	// Concurrency and RateLimit are collect's --concurrency and --rate-limit
	// (0: the default, no ceiling).
	Concurrency int
	RateLimit   float64
	// NoController turns the adaptive rate controller off (the baseline the
	// controller is compared with).
	NoController bool
	// During, if set, is started in the background once the scan begins
	// (the account list is written): faults that start mid-run.
	During func(Emulator)
	// Remote runs the emulator in a process of its own (StartRemote: the
	// benchmark binary must call ServeMain when started with ServeArg), so
	// that the emulator's CPU and memory are not the measured process's.
	Remote bool
	// SmallAttemptTimeout is awsauth's bound per attempt of a small read
	// (0: its default). The silent-server case sets it to the whole attempt
	// timeout to show the behaviour without it.
	SmallAttemptTimeout time.Duration
	// Reports runs the report step (the index reads its findings); the
	// index step never runs.
	Reports bool
}

// Result is what a run produced and counted.
type Result struct {
	Out             pipeline.LocalResult
	Wall            time.Duration // the pipeline's, without the emulator's start
	Calls           int64         // API attempts, retries included
	Throttles       int64         // throttling answers absorbed
	Objects         int64         // objects written to the store
	ServerThrottles int64         // throttling answers the emulator sent
	ServerGranted   int64         // IAM, STS and Organizations calls their token buckets granted
	PeakRate        float64       // the controller's most calls within one second
	Server          fakeaws.Stats // the emulator's counters over the run
	// CPU is the measured process's CPU time over the run, EmulatorCPU the
	// emulator process's (Remote only).
	CPU, EmulatorCPU time.Duration
	// GCCPU is the measured process's garbage collector's CPU time over the
	// run (measure.GCCPU).
	GCCPU time.Duration
	// Discovered is when the account list was written (discovery ended),
	// from the start of the run (5 ms resolution).
	Discovered time.Duration
}

// Collect runs the pipeline once against a new simulated organization.
func Collect(ctx context.Context, s Setup) (Result, error) {
	var res Result
	var (
		emu     Emulator
		url     string
		orgRole string
	)
	if s.Remote {
		r, err := StartRemote(s.Accounts, s.Size, s.Knobs)
		if err != nil {
			return res, err
		}
		defer r.Close()
		emu, url, orgRole = r, r.URL, r.OrgRole
	} else {
		world := fakeaws.NewWorld(fakeaws.Options{Seed: 7, Orgs: 1, AccountsPerOrg: s.Accounts, Size: s.Size})
		srv := fakeaws.New(world, s.Knobs)
		u, err := srv.Start()
		if err != nil {
			return res, err
		}
		defer srv.Close()
		emu, url, orgRole = srv, u, world.CollectRoleArn(world.Orgs()[0].ManagementAccountID)
	}
	cfg := config.Defaults()
	cfg.OrgRoles = []string{orgRole}
	cfg.Store = s.Store
	cfg.Concurrency = s.Concurrency
	cfg.RateLimit = s.RateLimit
	cfg.CredentialReportWait = 100 * time.Millisecond
	cfg.Index, cfg.Reports = false, s.Reports
	cfg.Overwrite = true
	day := time.Now().UTC().Format("2006-01-02")
	cfg.Date = day
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	lim := fanout.New(fanout.Options{Ceiling: cfg.RateLimit, Disabled: s.NoController})
	auth, err := awsauth.New(ctx, awsauth.Options{
		Region: "us-east-1", Endpoint: url, MaxConns: cfg.Concurrency * pipeline.DefaultAccountParallel,
		Credentials: credentials.NewStaticCredentialsProvider("AKIABENCHBASE0000000", "bench", ""),
		SessionName: "orgiam-bench", SmallAttemptTimeout: s.SmallAttemptTimeout,
	})
	if err != nil {
		return res, err
	}
	auth.Base.APIOptions = append(auth.Base.APIOptions, lim.Middleware())
	env := &pipeline.Env{Cfg: cfg, Auth: auth, Store: store.NewFile(cfg.Store), Limiter: lim, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "bench"}
	emu.ResetStats()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	cpuOf := func() time.Duration { return 0 }
	if r, ok := emu.(*Remote); ok {
		cpuOf = r.CPUTime
	}
	cpu0, ecpu0, gc0 := measure.CPUTime(), cpuOf(), measure.GCCPU()
	t0 := time.Now()
	var discovered atomic.Int64
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		st := store.NewFile(cfg.Store)
		for runCtx.Err() == nil {
			if ok, _ := st.Exists(runCtx, store.AccountListKey(day)); ok {
				discovered.Store(int64(time.Since(t0)))
				if s.During != nil {
					s.During(emu)
				}
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	out, err := pipeline.RunLocal(ctx, env, pipeline.PlanInput{}, nil)
	if err != nil {
		return res, err
	}
	res.Out, res.Wall = out, time.Since(t0)
	res.CPU, res.EmulatorCPU, res.GCCPU = measure.CPUTime()-cpu0, cpuOf()-ecpu0, measure.GCCPU()-gc0
	res.Discovered = time.Duration(discovered.Load())
	res.Calls, res.Throttles, res.Objects = lim.Calls(), lim.Throttles(), env.ObjectsWritten()
	st := emu.Stats()
	res.Server = st
	res.ServerThrottles = st.Throttles
	res.ServerGranted = st.Granted["iam"] + st.Granted["sts"] + st.Granted["organizations"]
	res.PeakRate = out.Manifest.Totals.PeakRate // as the summary shows it
	return res, nil
}
