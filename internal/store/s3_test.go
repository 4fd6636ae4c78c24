package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/orgiam/orgiam/internal/testutil/moto"
)

func motoConfig() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
}

var bucketSeq atomic.Int64

// newMotoBucket creates a fresh bucket on the moto server.
func newMotoBucket(t *testing.T, srv *moto.Server) string {
	t.Helper()
	name := fmt.Sprintf("orgiam-test-%d", bucketSeq.Add(1))
	c := s3.NewFromConfig(motoConfig(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.Endpoint)
		o.UsePathStyle = true
	})
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
	return name
}

func rawClient(srv *moto.Server) *s3.Client {
	return s3.NewFromConfig(motoConfig(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.Endpoint)
		o.UsePathStyle = true
	})
}

func TestS3(t *testing.T) {
	srv := moto.Start(t)
	ctx := context.Background()

	t.Run("conditional writes and the run lock", func(t *testing.T) {
		testCreateAndLock(t, NewS3(Location{Scheme: "s3", Bucket: newMotoBucket(t, srv), Prefix: "locks", Endpoint: srv.Endpoint}, motoConfig()))
	})

	t.Run("backend with prefix", func(t *testing.T) {
		b := newMotoBucket(t, srv)
		st := NewS3(Location{Scheme: "s3", Bucket: b, Prefix: "orgiam/snapshots", Endpoint: srv.Endpoint}, motoConfig())
		// An object outside the prefix must never be listed.
		if _, err := rawClient(srv).PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(b), Key: aws.String("other/2026-11-23/manifest.json"), Body: strings.NewReader("x"),
		}); err != nil {
			t.Fatal(err)
		}
		testBackend(t, st)
		out, err := rawClient(srv).HeadObject(ctx, &s3.HeadObjectInput{
			Bucket: aws.String(b), Key: aws.String("orgiam/snapshots/2026-11-23/manifest.json"),
		})
		if err != nil {
			t.Fatalf("object not under the prefix: %v", err)
		}
		if got := aws.ToString(out.ContentType); got != "application/json" {
			t.Errorf("ContentType = %q, want application/json", got)
		}
	})

	t.Run("backend without prefix", func(t *testing.T) {
		b := newMotoBucket(t, srv)
		testBackend(t, NewS3(Location{Scheme: "s3", Bucket: b, Endpoint: srv.Endpoint}, motoConfig()))
	})

	t.Run("server-side encryption", func(t *testing.T) {
		b := newMotoBucket(t, srv)
		tests := []struct {
			name    string
			loc     Location
			wantSSE types.ServerSideEncryption
			wantKey string
		}{
			{"default AES256", Location{Bucket: b, Prefix: "aes"}, types.ServerSideEncryptionAes256, ""},
			{"explicit AES256", Location{Bucket: b, Prefix: "aes2", SSE: "AES256"}, types.ServerSideEncryptionAes256, ""},
			{"kms with key", Location{Bucket: b, Prefix: "kms", SSE: "aws:kms", KMSKey: "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"},
				types.ServerSideEncryptionAwsKms, "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.loc.Scheme, tt.loc.Endpoint = "s3", srv.Endpoint
				st := NewS3(tt.loc, motoConfig())
				if err := st.Put(ctx, "k.json", []byte("{}")); err != nil {
					t.Fatal(err)
				}
				out, err := rawClient(srv).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(tt.loc.Prefix + "/k.json")})
				if err != nil {
					t.Fatal(err)
				}
				if out.ServerSideEncryption != tt.wantSSE {
					t.Errorf("ServerSideEncryption = %q, want %q", out.ServerSideEncryption, tt.wantSSE)
				}
				if tt.wantKey != "" && !strings.Contains(aws.ToString(out.SSEKMSKeyId), tt.wantKey) {
					t.Errorf("SSEKMSKeyId = %q, want %q", aws.ToString(out.SSEKMSKeyId), tt.wantKey)
				}
			})
		}
	})

	t.Run("check missing bucket", func(t *testing.T) {
		st := NewS3(Location{Scheme: "s3", Bucket: "no-such-bucket-orgiam", Prefix: "p", Endpoint: srv.Endpoint}, motoConfig())
		err := st.Check(ctx)
		want := `store s3://no-such-bucket-orgiam/p: bucket "no-such-bucket-orgiam" does not exist (create it, or fix --store)`
		if err == nil || err.Error() != want {
			t.Fatalf("Check = %v, want %q", err, want)
		}
		// Get in a missing bucket is not "key not found".
		if _, err := st.Get(ctx, "a.json"); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Get in missing bucket: err = %v, want an error that is not ErrNotFound", err)
		}
	})

	t.Run("check existing bucket", func(t *testing.T) {
		b := newMotoBucket(t, srv)
		if err := NewS3(Location{Scheme: "s3", Bucket: b, Endpoint: srv.Endpoint}, motoConfig()).Check(ctx); err != nil {
			t.Fatalf("Check: %v", err)
		}
	})

	t.Run("endpoint from environment uses path style", func(t *testing.T) {
		b := newMotoBucket(t, srv)
		t.Setenv("AWS_ENDPOINT_URL_S3", srv.Endpoint)
		// The SDK reads the variable when the config is loaded, as the CLI does.
		cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
		if err != nil {
			t.Fatal(err)
		}
		st := NewS3(Location{Scheme: "s3", Bucket: b, Prefix: "env"}, cfg)
		if err := st.Put(ctx, "x.json", []byte("1")); err != nil {
			t.Fatalf("Put via AWS_ENDPOINT_URL_S3: %v", err)
		}
		if got, err := st.Get(ctx, "x.json"); err != nil || string(got) != "1" {
			t.Fatalf("Get = %q, %v", got, err)
		}
	})

	t.Run("region from location overrides config", func(t *testing.T) {
		b := newMotoBucket(t, srv)
		cfg := motoConfig()
		cfg.Region = ""
		st := NewS3(Location{Scheme: "s3", Bucket: b, Region: "us-east-1", Endpoint: srv.Endpoint}, cfg)
		if err := st.Check(ctx); err != nil {
			t.Fatalf("Check with ?region=: %v", err)
		}
	})
}

func TestS3ConfigErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		cfg  aws.Config
		want string
	}{
		{"no region", aws.Config{Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}, "no AWS region"},
		{"no credentials provider", aws.Config{Region: "us-east-1"}, "no AWS credentials"},
		{"credentials fail", aws.Config{Region: "us-east-1", Credentials: aws.CredentialsProviderFunc(
			func(context.Context) (aws.Credentials, error) { return aws.Credentials{}, errors.New("no profile") })},
			"no usable AWS credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The endpoint is never contacted: each case fails before sending.
			st := NewS3(Location{Scheme: "s3", Bucket: "b", Prefix: "p", Endpoint: "http://127.0.0.1:1"}, tt.cfg)
			err := st.Check(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "s3://b/p") {
				t.Fatalf("Check = %v, want %q naming the store", err, tt.want)
			}
			err = st.Put(ctx, "2026-11-23/a.json", []byte("x"))
			if err == nil || !strings.Contains(err.Error(), "s3://b/p") {
				t.Fatalf("Put = %v, want an error naming the store", err)
			}
		})
	}
}

func TestS3String(t *testing.T) {
	tests := []struct {
		loc  Location
		want string
	}{
		{Location{Bucket: "b"}, "s3://b"},
		{Location{Bucket: "b", Prefix: "/a/b/"}, "s3://b/a/b"},
	}
	for _, tt := range tests {
		if got := NewS3(tt.loc, motoConfig()).String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
