package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ReaderPutter is implemented by backends that write an object from a
// reader without holding it whole in memory (the reports and the index of a
// large organization are hundreds of megabytes). The contract is Put's: the
// object appears whole or not at all. r is read from its start once size
// bytes; the S3 backend may read it twice (SigV4 hashes a seekable body
// before sending it).
type ReaderPutter interface {
	PutReader(ctx context.Context, key string, r io.ReadSeeker, size int64) error
}

// Opener is implemented by backends that read an object as a stream. A
// missing key gives an error wrapping ErrNotFound.
type Opener interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

var (
	_ ReaderPutter = (*File)(nil)
	_ ReaderPutter = (*S3)(nil)
	_ Opener       = (*File)(nil)
	_ Opener       = (*S3)(nil)
)

// PutReader writes size bytes of r as key: streamed when the backend can,
// otherwise read into memory and Put.
func PutReader(ctx context.Context, s Store, key string, r io.ReadSeeker, size int64) error {
	if p, ok := s.(ReaderPutter); ok {
		return p.PutReader(ctx, key, r, size)
	}
	data, err := io.ReadAll(io.LimitReader(r, size))
	if err == nil && int64(len(data)) != size {
		err = fmt.Errorf("%d bytes of %d", len(data), size)
	}
	if err != nil {
		return fmt.Errorf("store %s: write %s: %w", s, key, err)
	}
	return s.Put(ctx, key, data)
}

// OpenObject reads key as a stream when the backend can, otherwise Get's bytes.
func OpenObject(ctx context.Context, s Store, key string) (io.ReadCloser, error) {
	if o, ok := s.(Opener); ok {
		return o.Open(ctx, key)
	}
	data, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// PutReader copies r to a temp file beside the object, syncs it and renames
// it into place.
func (f *File) PutReader(ctx context.Context, key string, r io.ReadSeeker, size int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := f.path(key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store %s: %w", f, err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(p)+"-*")
	if err != nil {
		return fmt.Errorf("store %s: %w", f, err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("store %s: %w", f, err)
	}
	n, err := io.Copy(tmp, io.LimitReader(r, size))
	if err == nil && n != size {
		err = fmt.Errorf("%d bytes of %d", n, size)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if err != nil {
		return fmt.Errorf("store %s: write %s: %w", f, key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("store %s: write %s: %w", f, key, err)
	}
	if err := os.Rename(name, p); err != nil {
		return fmt.Errorf("store %s: write %s: %w", f, key, err)
	}
	ok = true
	return nil
}

// Open opens the object's file.
func (f *File) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := f.path(key)
	if err != nil {
		return nil, err
	}
	fh, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store %s: %s: %w", f, key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", f, err)
	}
	return fh, nil
}

// PutReader writes the object with one PutObject whose body is r (a single
// PUT takes up to 5 GB), requesting server-side encryption as Put does.
func (s *S3) PutReader(ctx context.Context, key string, r io.ReadSeeker, size int64) error {
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
		Body:                 r,
		ContentLength:        aws.Int64(size),
		ContentType:          aws.String(contentType(key)),
		ServerSideEncryption: types.ServerSideEncryption(s.loc.SSE),
	}
	if s.loc.SSE == string(types.ServerSideEncryptionAwsKms) && s.loc.KMSKey != "" {
		in.SSEKMSKeyId = aws.String(s.loc.KMSKey)
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return s.wrap("s3:PutObject", key, err)
	}
	return nil
}

// Open returns the object's body as GetObject streams it.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, error) {
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
	return out.Body, nil
}
