package policygen

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Source is where trail files are read from.
type Source interface {
	// List returns the names of the trail files that can hold records
	// between since and until (zero: unbounded), sorted.
	List(ctx context.Context, since, until time.Time) ([]string, error)
	// Open streams one file as stored (gzip or plain JSON).
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// String names the source in messages.
	String() string
}

// dayFolder matches the /YYYY/MM/DD/ part of CloudTrail's key layout
// (AWSLogs/[o-…/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz).
var dayFolder = regexp.MustCompile(`/(\d{4})/(\d{2})/(\d{2})/[^/]+$`)

// inRange keeps a file whose day folder is within a day of the range:
// CloudTrail delivers a record up to about 15 minutes after the call, in
// the folder of the delivery's day. Files outside the layout are kept.
func inRange(name string, since, until time.Time) bool {
	if strings.Contains(name, "CloudTrail-Digest") {
		return false
	}
	if !strings.HasSuffix(name, ".json.gz") && !strings.HasSuffix(name, ".json") {
		return false
	}
	m := dayFolder.FindStringSubmatch("/" + filepath.ToSlash(name))
	if m == nil {
		return true
	}
	day, err := time.Parse("2006-01-02", m[1]+"-"+m[2]+"-"+m[3])
	if err != nil {
		return true
	}
	if !since.IsZero() && day.Before(since.AddDate(0, 0, -1)) {
		return false
	}
	if !until.IsZero() && day.After(until.AddDate(0, 0, 1)) {
		return false
	}
	return true
}

// Dir is a local folder of trail files (any layout; CloudTrail's is used to
// skip days outside the range).
type Dir string

func (d Dir) String() string { return string(d) }

// List walks the folder.
func (d Dir) List(ctx context.Context, since, until time.Time) ([]string, error) {
	var out []string
	err := filepath.WalkDir(string(d), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if e.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(string(d), p)
		rel = filepath.ToSlash(rel)
		if inRange(rel, since, until) {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("trail folder %s: %w", d, err)
	}
	sort.Strings(out)
	return out, nil
}

// Open opens one file.
func (d Dir) Open(_ context.Context, name string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(string(d), filepath.FromSlash(name)))
}

// S3Source reads a trail from a bucket and prefix with the given client
// (built by the caller from the run's credentials, or the role that may
// read the log archive bucket).
type S3Source struct {
	Client *s3.Client
	Bucket string
	Prefix string // without a leading slash; "" for the whole bucket
}

func (s S3Source) String() string { return "s3://" + s.Bucket + "/" + s.Prefix }

// List lists the objects under the prefix.
func (s S3Source) List(ctx context.Context, since, until time.Time) ([]string, error) {
	var out []string
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(s.Prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: s3:ListBucket: %w", s, err)
		}
		for _, o := range page.Contents {
			if k := aws.ToString(o.Key); inRange(k, since, until) {
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// Open streams one object.
func (s S3Source) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	o, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("s3:GetObject: %w", err)
	}
	return o.Body, nil
}

// ParseS3URL splits s3://bucket/prefix.
func ParseS3URL(u string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q: not an s3:// URL", u)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q: no bucket", u)
	}
	return bucket, strings.TrimPrefix(prefix, "/"), nil
}
