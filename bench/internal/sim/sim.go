// Package sim runs the local pipeline against a simulated organization
// (internal/fakeaws) for the benchmarks: it starts the emulator, configures
// collect for it, and runs the pipeline in-process with the real SDK.
package sim

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

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
	// Concurrency and RateLimit are collect's --concurrency and --rate-limit.
	Concurrency int
	RateLimit   float64
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
}

// Collect runs the pipeline once against a new simulated organization.
func Collect(ctx context.Context, s Setup) (Result, error) {
	var res Result
	world := fakeaws.NewWorld(fakeaws.Options{Seed: 7, Orgs: 1, AccountsPerOrg: s.Accounts, Size: s.Size})
	srv := fakeaws.New(world, s.Knobs)
	url, err := srv.Start()
	if err != nil {
		return res, err
	}
	defer srv.Close()
	cfg := config.Defaults()
	cfg.OrgRoles = []string{world.CollectRoleArn(world.Orgs()[0].ManagementAccountID)}
	cfg.Store = s.Store
	cfg.Concurrency = s.Concurrency
	cfg.RateLimit = s.RateLimit
	cfg.CredentialReportWait = 100 * time.Millisecond
	cfg.Index, cfg.Reports = false, s.Reports
	cfg.Overwrite = true
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	lim := fanout.NewLimiter(cfg.RateLimit)
	auth, err := awsauth.New(ctx, awsauth.Options{
		Region: "us-east-1", Endpoint: url, MaxConns: cfg.Concurrency,
		Credentials: credentials.NewStaticCredentialsProvider("AKIABENCHBASE0000000", "bench", ""),
		SessionName: "orgiam-bench",
	})
	if err != nil {
		return res, err
	}
	auth.Base.APIOptions = append(auth.Base.APIOptions, lim.Middleware())
	env := &pipeline.Env{Cfg: cfg, Auth: auth, Store: store.NewFile(cfg.Store), Limiter: lim, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "bench"}
	srv.ResetStats()
	t0 := time.Now()
	out, err := pipeline.RunLocal(ctx, env, pipeline.PlanInput{}, nil)
	if err != nil {
		return res, err
	}
	res.Out, res.Wall = out, time.Since(t0)
	res.Calls, res.Throttles, res.Objects = lim.Calls(), lim.Throttles(), env.ObjectsWritten()
	res.ServerThrottles = srv.Stats().Throttles
	return res, nil
}
