package policygen

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/iamdata"
	"github.com/orgiam/orgiam/internal/policygen/trailgen"
	"github.com/orgiam/orgiam/internal/testutil/moto"
)

// TestS3SourceMoto reads a trail uploaded to moto_server's S3 and gets the
// same activity as from the folder it came from.
func TestS3SourceMoto(t *testing.T) {
	srv := moto.Start(t)
	c := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.Endpoint)
		o.UsePathStyle = true
	})
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("log-archive")}); err != nil {
		t.Fatal(err)
	}
	dir, exp := writeTrail(t, trailgen.Config{Seed: 5, Accounts: 2, UsersPerAccount: 2, RolesPerAccount: 2, Files: 10, EventsPerFile: 50, Days: 1, OrgID: "o-s3test"})
	for _, f := range exp.Files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("log-archive"), Key: aws.String("trail/" + f), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	cat := iamdata.MustLoad()
	fromS3, err := Read(ctx, S3Source{Client: c, Bucket: "log-archive", Prefix: "trail/AWSLogs/"}, cat, ReadOptions{Resources: ResourcesExact})
	if err != nil {
		t.Fatal(err)
	}
	fromDir, err := Read(ctx, Dir(dir), cat, ReadOptions{Resources: ResourcesExact})
	if err != nil {
		t.Fatal(err)
	}
	if len(fromS3.Files) != len(exp.Files) {
		t.Fatalf("%d files from S3, want %d", len(fromS3.Files), len(exp.Files))
	}
	a, _ := Generate(fromS3, nil, Options{})
	b, _ := Generate(fromDir, nil, Options{})
	if len(a) == 0 || !reflect.DeepEqual(a, b) {
		t.Fatal("S3 and folder readings differ")
	}
	if _, err := Read(ctx, S3Source{Client: c, Bucket: "no-such-bucket"}, cat, ReadOptions{}); err == nil {
		t.Fatal("a missing bucket read without error")
	}
}

// TestS3SourceFakeAWS reads the same trail from fakeaws's S3.
func TestS3SourceFakeAWS(t *testing.T) {
	srv := fakeaws.New(fakeaws.NewWorld(fakeaws.Options{Seed: 1, Orgs: 1, AccountsPerOrg: 1, Now: start}), fakeaws.Knobs{})
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(url)
		o.UsePathStyle = true
	})
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail")}); err != nil {
		t.Fatal(err)
	}
	dir, exp := writeTrail(t, trailgen.Config{Seed: 6, Accounts: 2, UsersPerAccount: 1, RolesPerAccount: 2, Files: 8, EventsPerFile: 40, Days: 1})
	for _, f := range exp.Files {
		b, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail"), Key: aws.String(f), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	cat := iamdata.MustLoad()
	a, err := Read(ctx, S3Source{Client: c, Bucket: "trail"}, cat, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Read(ctx, Dir(dir), cat, ReadOptions{})
	if len(a.Files) != len(exp.Files) || a.Trail("", start, start).Records != b.Trail("", start, start).Records {
		t.Fatalf("%d files, want %d", len(a.Files), len(exp.Files))
	}
	ra, _ := Generate(a, nil, Options{})
	rb, _ := Generate(b, nil, Options{})
	if !reflect.DeepEqual(ra, rb) {
		t.Fatal("fakeaws S3 and folder readings differ")
	}
}
