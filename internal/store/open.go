package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Open opens the store at a URL. awsCfg is used by the S3 backend (its region
// is overridden by ?region= when given); it may be nil for file stores.
func Open(ctx context.Context, raw string, awsCfg *aws.Config) (Store, error) {
	loc, err := ParseURL(raw)
	if err != nil {
		return nil, err
	}
	switch loc.Scheme {
	case "file":
		return NewFile(loc.Path), nil
	case "s3":
		if awsCfg == nil {
			return nil, fmt.Errorf("store %s: S3 needs AWS credentials", raw)
		}
		return NewS3(loc, *awsCfg), nil
	}
	return nil, fmt.Errorf("store %q: unsupported", raw)
}
