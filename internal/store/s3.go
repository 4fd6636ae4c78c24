package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// S3 stores objects in a bucket under a prefix. (Implementation pending.)
type S3 struct {
	loc Location
	cfg aws.Config
}

// NewS3 returns an S3 store.
func NewS3(loc Location, cfg aws.Config) *S3 { return &S3{loc: loc, cfg: cfg} }

func (s *S3) String() string { return "s3://" + s.loc.Bucket + "/" + s.loc.Prefix }

func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	return fmt.Errorf("not implemented")
}
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	return nil, fmt.Errorf("not implemented")
}
func (s *S3) Exists(ctx context.Context, key string) (bool, error) {
	return false, fmt.Errorf("not implemented")
}
func (s *S3) List(ctx context.Context, prefix string) ([]string, error) {
	return nil, fmt.Errorf("not implemented")
}
func (s *S3) ListDirs(ctx context.Context, prefix string) ([]string, error) {
	return nil, fmt.Errorf("not implemented")
}
func (s *S3) Delete(ctx context.Context, key string) error { return fmt.Errorf("not implemented") }
func (s *S3) Check(ctx context.Context) error              { return fmt.Errorf("not implemented") }
