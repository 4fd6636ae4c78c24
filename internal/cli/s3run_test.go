package cli

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
	"github.com/orgiam/orgiam/internal/testutil/moto"
)

// TestOverwriteAndResumeOnS3 runs the lock, the staged overwrite and
// --resume against an S3 store (moto_server, the real S3 wire protocol and
// its conditional writes), the organization being served by fakeaws.
func TestOverwriteAndResumeOnS3(t *testing.T) {
	srv := moto.Start(t)
	_, sim, cfg := runWorld(t, 6, fakeaws.Knobs{CredReportDelay: 30 * time.Millisecond})
	ctx := context.Background()
	s3c := s3.NewFromConfig(baseCfg(srv.Endpoint), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("runs")}); err != nil {
		t.Fatal(err)
	}
	cfg.Store = "s3://runs/orgiam?region=us-east-1&endpoint=" + srv.Endpoint
	cfg.Concurrency = 1
	st := store.NewS3(store.Location{Scheme: "s3", Bucket: "runs", Prefix: "orgiam", Endpoint: srv.Endpoint, SSE: "AES256"}, baseCfg(srv.Endpoint))

	// Interrupted, then resumed.
	runPartly(t, cfg, sim, 2)
	var out, errb bytes.Buffer
	if err := runCollect(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth); exitCode(err) != ExitUsage {
		t.Fatalf("plain re-run of the incomplete run: %v", err)
	}
	if err := runCollectPlan(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth, planResume()); err != nil {
		t.Fatalf("resume: %v\n%s", err, errb.String())
	}
	if n := lost(t, st, "2026-11-23", nil); n != 0 {
		t.Fatalf("%d accounts lost", n)
	}
	old, err := st.Get(ctx, store.ManifestKey("2026-11-23"))
	if err != nil {
		t.Fatal(err)
	}

	// An overwrite interrupted midway leaves the old run as it was.
	cfg.Overwrite = true
	runPartly(t, cfg, sim, 2)
	if m, _ := st.Get(ctx, store.ManifestKey("2026-11-23")); !bytes.Equal(m, old) {
		t.Fatal("interrupted overwrite changed the old manifest")
	}
	if run, err := snapshot.ResolveRun(ctx, st, ""); err != nil || run != "2026-11-23" {
		t.Fatalf("latest run: %q %v", run, err)
	}
	if err := runCollect(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth); err != nil {
		t.Fatalf("overwrite: %v\n%s", err, errb.String())
	}
	if keys, _ := st.List(ctx, ".staging/"); len(keys) != 0 {
		t.Fatalf("staging left: %v", keys)
	}
	if keys, _ := st.List(ctx, ".locks/"); len(keys) != 0 {
		t.Fatalf("locks left: %v", keys)
	}
	if n := lost(t, st, "2026-11-23", nil); n != 0 {
		t.Fatalf("%d accounts lost after the overwrite", n)
	}
}

func planResume() pipeline.PlanInput { return pipeline.PlanInput{Resume: true} }
