package lambdarunner

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/orgiam/orgiam/internal/config"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orgiam/orgiam/internal/pipeline"
	"github.com/orgiam/orgiam/internal/policygen"
)

// policygenHandler is the unattended policy generation's function (its
// own state machine, deploy/terraform/orgiam/policygen.tf): the input's
// "action" picks the step (plan, generate, commit); the rest of the input
// is that step's.
func policygenHandler(b *EnvBuilder) Func {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var sel struct {
			Action string `json:"action"`
		}
		if err := json.Unmarshal(raw, &sel); err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
		switch sel.Action {
		case "plan":
			return policygenStep(b, policygen.PlanGeneration)(ctx, raw)
		case "generate":
			return policygenStep(b, policygen.GeneratePrincipal)(ctx, raw)
		case "commit":
			return policygenStep(b, policygen.CommitGeneration)(ctx, raw)
		}
		return nil, fmt.Errorf("input: action %q: expected plan, generate or commit", sel.Action)
	}
}

func policygenStep[I, O any](b *EnvBuilder, fn func(context.Context, policygen.StepEnv, I) (O, error)) Func {
	return step(b, func(ctx context.Context, env *pipeline.Env, in I) (O, error) {
		return fn(ctx, policygenEnv(b, env), in)
	})
}

// policygenEnv reads trails from S3 with the function's credentials, or
// with the trail role assumed from them.
func policygenEnv(b *EnvBuilder, env *pipeline.Env) policygen.StepEnv {
	lookup := b.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	return policygen.StepEnv{
		Store: env.Store,
		Git:   config.GitFromEnv(lookup),
		Now:   now,
		Trail: func(ctx context.Context, url, role string) (policygen.Source, error) {
			bucket, prefix, err := policygen.ParseS3URL(url)
			if err != nil {
				return nil, err
			}
			cfg := env.Auth.Base
			if role != "" {
				cfg = env.Auth.Assume(cfg, role, "")
			}
			client := s3.NewFromConfig(cfg, func(o *s3.Options) {
				if cfg.BaseEndpoint != nil {
					o.UsePathStyle = true
				}
			})
			// One listing up front: an unreadable bucket is named here,
			// not a generation that read nothing.
			if _, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(1)}); err != nil {
				return nil, fmt.Errorf("cannot list the bucket: %w", err)
			}
			return policygen.S3Source{Client: client, Bucket: bucket, Prefix: prefix}, nil
		},
	}
}
