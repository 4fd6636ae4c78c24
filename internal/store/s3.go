package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// S3 stores objects in a bucket under a prefix. Every Put is a single
// PutObject requesting server-side encryption (AES256, or aws:kms with the
// configured key).
type S3 struct {
	loc    Location
	client *s3.Client
	noCred bool // the AWS config carries no credential provider at all
	noReg  bool // neither ?region= nor the AWS config gives a region
}

// NewS3 returns an S3 store. The client is built from cfg; loc.Region, when
// set, overrides cfg's region; loc.Endpoint (or AWS_ENDPOINT_URL_S3 /
// AWS_ENDPOINT_URL, which the SDK reads itself) overrides the endpoint, and any
// endpoint override switches to path-style addressing (what emulators expect).
func NewS3(loc Location, cfg aws.Config) *S3 {
	if loc.SSE == "" {
		loc.SSE = string(types.ServerSideEncryptionAes256)
	}
	loc.Prefix = strings.Trim(loc.Prefix, "/")
	s := &S3{loc: loc, noCred: cfg.Credentials == nil}
	s.client = s3.NewFromConfig(cfg, func(o *s3.Options) {
		if loc.Region != "" {
			o.Region = loc.Region
		}
		if loc.Endpoint != "" {
			o.BaseEndpoint = aws.String(loc.Endpoint)
		}
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
		// Objects are written with SSE and read whole; a response without a
		// checksum is normal and not worth a log line per GET.
		o.DisableLogOutputChecksumValidationSkipped = true
		s.noReg = o.Region == ""
	})
	return s
}

// String is the store URL (without query parameters).
func (s *S3) String() string {
	if s.loc.Prefix == "" {
		return "s3://" + s.loc.Bucket
	}
	return "s3://" + s.loc.Bucket + "/" + s.loc.Prefix
}

// base is the object-key prefix every store key is put under: "" or "<prefix>/".
func (s *S3) base() string {
	if s.loc.Prefix == "" {
		return ""
	}
	return s.loc.Prefix + "/"
}

// objectKey validates a store key and returns the full S3 object key.
func (s *S3) objectKey(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", fmt.Errorf("store %s: %w", s, err)
	}
	return s.base() + key, nil
}

// checkKey applies the same rules as the file backend: relative, "/"
// separated, no "." or ".." segment, no empty segment.
func checkKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") {
		return fmt.Errorf("invalid key %q", key)
	}
	for _, part := range strings.Split(key, "/") {
		if part == ".." || part == "." || part == "" {
			return fmt.Errorf("invalid key %q", key)
		}
	}
	return nil
}

// ready reports configuration problems that would make every call fail with
// an obscure SDK message.
func (s *S3) ready() error {
	if s.noReg {
		return fmt.Errorf("store %s: no AWS region (add ?region= to --store, or set AWS_REGION)", s)
	}
	if s.noCred {
		return fmt.Errorf("store %s: no AWS credentials found (set a profile, environment credentials or an instance role)", s)
	}
	return nil
}

func contentType(key string) string {
	switch path.Ext(key) {
	case ".json":
		return "application/json"
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".sqlite":
		return "application/vnd.sqlite3"
	case ".txt", ".md":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// Put writes the object with one PutObject, requesting server-side encryption.
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	return s.put(ctx, key, data, false)
}

// Create writes the object with a conditional PutObject (If-None-Match: *):
// S3 answers 412 Precondition Failed when the key exists, and 409
// ConditionalRequestConflict when another conditional write of the same key
// is in flight; both mean someone else has it.
func (s *S3) Create(ctx context.Context, key string, data []byte) error {
	return s.put(ctx, key, data, true)
}

func (s *S3) put(ctx context.Context, key string, data []byte, exclusive bool) error {
	k, err := s.objectKey(key)
	if err != nil {
		return err
	}
	if err := s.ready(); err != nil {
		return err
	}
	in := &s3.PutObjectInput{
		Bucket:               aws.String(s.loc.Bucket),
		Key:                  aws.String(k),
		Body:                 bytes.NewReader(data),
		ContentLength:        aws.Int64(int64(len(data))),
		ContentType:          aws.String(contentType(key)),
		ServerSideEncryption: types.ServerSideEncryption(s.loc.SSE),
	}
	if s.loc.SSE == string(types.ServerSideEncryptionAwsKms) && s.loc.KMSKey != "" {
		in.SSEKMSKeyId = aws.String(s.loc.KMSKey)
	}
	if exclusive {
		in.IfNoneMatch = aws.String("*")
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		var re *smithyhttp.ResponseError
		if exclusive && errors.As(err, &re) && (re.HTTPStatusCode() == http.StatusPreconditionFailed || re.HTTPStatusCode() == http.StatusConflict) {
			return fmt.Errorf("store %s: %s: %w", s, key, ErrExists)
		}
		return s.wrap("s3:PutObject", key, err)
	}
	return nil
}

// Get reads a whole object. A missing key gives an error wrapping ErrNotFound.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	k, err := s.objectKey(key)
	if err != nil {
		return nil, err
	}
	if err := s.ready(); err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(k)})
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("store %s: %s: %w", s, key, ErrNotFound)
		}
		return nil, s.wrap("s3:GetObject", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("store %s: s3:GetObject %s: reading body: %w", s, key, err)
	}
	return data, nil
}

// Exists reports whether the key is an object (HeadObject).
func (s *S3) Exists(ctx context.Context, key string) (bool, error) {
	k, err := s.objectKey(key)
	if err != nil {
		return false, err
	}
	if err := s.ready(); err != nil {
		return false, err
	}
	_, err = s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(k)})
	if err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, s.wrap("s3:HeadObject", key, err)
	}
	return true, nil
}

// List returns every key under prefix (a plain string prefix, as with the
// file backend), relative to the store, sorted.
func (s *S3) List(ctx context.Context, prefix string) ([]string, error) {
	if strings.HasPrefix(prefix, "/") {
		return nil, fmt.Errorf("store %s: invalid prefix %q", s, prefix)
	}
	if err := s.ready(); err != nil {
		return nil, err
	}
	base := s.base()
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.loc.Bucket),
		Prefix: aws.String(base + prefix),
	})
	var keys []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.wrap("s3:ListObjectsV2", prefix, err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if !strings.HasPrefix(k, base) {
				continue
			}
			keys = append(keys, strings.TrimPrefix(k, base))
		}
	}
	sort.Strings(keys)
	return keys, nil
}

// ListDirs returns the "sub-folders" directly under prefix (which is taken
// as a folder, with or without its trailing slash), sorted.
func (s *S3) ListDirs(ctx context.Context, prefix string) ([]string, error) {
	if strings.HasPrefix(prefix, "/") {
		return nil, fmt.Errorf("store %s: invalid prefix %q", s, prefix)
	}
	if err := s.ready(); err != nil {
		return nil, err
	}
	full := s.base()
	if p := strings.TrimSuffix(prefix, "/"); p != "" {
		full += p + "/"
	}
	pg := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket:    aws.String(s.loc.Bucket),
		Prefix:    aws.String(full),
		Delimiter: aws.String("/"),
	})
	var out []string
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, s.wrap("s3:ListObjectsV2", prefix, err)
		}
		for _, cp := range page.CommonPrefixes {
			d := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), full), "/")
			if d != "" {
				out = append(out, d)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// Delete removes a key; S3 does not fail on a missing key.
func (s *S3) Delete(ctx context.Context, key string) error {
	k, err := s.objectKey(key)
	if err != nil {
		return err
	}
	if err := s.ready(); err != nil {
		return err
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(k)}); err != nil {
		return s.wrap("s3:DeleteObject", key, err)
	}
	return nil
}

// Check verifies the bucket exists and is reachable with the credentials
// (HeadBucket), and turns the usual failures into actionable messages.
func (s *S3) Check(ctx context.Context) error {
	if err := s.ready(); err != nil {
		return err
	}
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.loc.Bucket)})
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("store %s: s3:HeadBucket: %w", s, ctx.Err())
	}
	if isNoCredentials(err) {
		return fmt.Errorf("store %s: no usable AWS credentials (set a profile, environment credentials or an instance role): %w", s, err)
	}
	var nsb *types.NoSuchBucket
	var re *smithyhttp.ResponseError
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	switch {
	case errors.As(err, &nsb) || status == http.StatusNotFound:
		return fmt.Errorf("store %s: bucket %q does not exist (create it, or fix --store)", s, s.loc.Bucket)
	case status == http.StatusForbidden:
		return fmt.Errorf("store %s: access denied to bucket %q (the credentials need s3:ListBucket, s3:GetObject and s3:PutObject on it): %w", s, s.loc.Bucket, err)
	case status == http.StatusMovedPermanently || status == http.StatusBadRequest:
		if re != nil && re.Response != nil {
			if r := re.Response.Header.Get("X-Amz-Bucket-Region"); r != "" {
				return fmt.Errorf("store %s: bucket %q is in region %s (add ?region=%s to --store)", s, s.loc.Bucket, r, r)
			}
		}
	}
	return fmt.Errorf("store %s: s3:HeadBucket %q: %w", s, s.loc.Bucket, err)
}

// wrap names the store, the operation and the key; credential failures get
// a plain message.
func (s *S3) wrap(op, key string, err error) error {
	if isNoCredentials(err) {
		return fmt.Errorf("store %s: %s %s: no usable AWS credentials: %w", s, op, key, err)
	}
	return fmt.Errorf("store %s: %s %s: %w", s, op, key, err)
}

func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
		// A missing bucket is also a 404: only a missing key counts as not found.
		var nsb *types.NoSuchBucket
		if errors.As(err, &nsb) {
			return false
		}
		if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucket" {
			return false
		}
		return true
	}
	return false
}

// isNoCredentials recognises the SDK's failure to obtain credentials (it has
// no exported error type for it).
func isNoCredentials(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "get identity:") || strings.Contains(msg, "failed to retrieve credentials")
}

var (
	_ Store   = (*S3)(nil)
	_ Creator = (*S3)(nil)
	_ Store   = (*File)(nil)
	_ Creator = (*File)(nil)
)

// Bucket is the store's bucket.
func (s *S3) Bucket() string { return s.loc.Bucket }

// Prefix is the store's key prefix ("" for the bucket's root).
func (s *S3) Prefix() string { return s.loc.Prefix }

// ObjectKey is the full S3 object key of a store key (what a Step Functions
// ItemReader or ResultWriter needs).
func (s *S3) ObjectKey(key string) (string, error) { return s.objectKey(key) }
