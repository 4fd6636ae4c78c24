package lambdarunner

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/fakeaws"
)

// flakyCreds fails its first Retrieve, as STS can at a cold start.
type flakyCreds struct{ calls atomic.Int32 }

func (f *flakyCreds) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if f.calls.Add(1) == 1 {
		return aws.Credentials{}, errors.New("transient: connection reset")
	}
	return aws.Credentials{AccessKeyID: "AKIASIMULATEDBASE000", SecretAccessKey: "simulated", Source: "test"}, nil
}

func TestFailedColdStartIsRetriedByTheNextInvocation(t *testing.T) {
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	srv := fakeaws.New(fakeaws.NewWorld(fakeaws.Options{Seed: 1, Orgs: 1, AccountsPerOrg: 2, Now: now}), fakeaws.Knobs{})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	vars := map[string]string{"ORGIAM_STORE": filepath.Join(t.TempDir(), "s"), "ORGIAM_ALLOW_FILE_STORE": "true", "ORGIAM_REGION": "us-east-1"}
	b := &EnvBuilder{
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Auth:   awsauth.Options{Endpoint: url, Credentials: &flakyCreds{}, RetryMaxAttempts: 1},
		Now:    func() time.Time { return now },
	}
	plan := Handlers(b)["plan"]
	if _, err := plan(context.Background(), nil); err == nil {
		t.Fatal("the first invocation did not see the failing cold start")
	}
	if _, err := plan(context.Background(), nil); err != nil {
		t.Fatalf("the second invocation kept the cold start's error: %v", err)
	}
}
