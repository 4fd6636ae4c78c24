// Package store holds snapshots: a Store interface with a local-folder backend
// (the default) and an S3 backend. Every key a snapshot uses is built in
// layout.go; backends only move bytes.
package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// ErrNotFound is returned (wrapped) by Get and Head when a key does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned (wrapped) by Create when the key already exists.
var ErrExists = errors.New("already exists")

// Creator is implemented by stores that can write an object only if its key
// does not exist yet, atomically (the file backend with link(2), S3 with a
// conditional PutObject, If-None-Match: *). The run lock is built on it.
type Creator interface {
	// Create writes the whole object if key is absent; an existing key gives
	// an error wrapping ErrExists and leaves the object untouched.
	Create(ctx context.Context, key string, data []byte) error
}

// Store is a flat key/value space of objects. Keys use "/" separators and are
// relative to the store's base (a folder, or an S3 bucket + prefix).
type Store interface {
	// Put writes the whole object atomically: a reader never sees a partial
	// object (temp file + rename locally, a single PUT on S3).
	Put(ctx context.Context, key string, data []byte) error
	// Get reads a whole object. A missing key gives an error wrapping ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Exists reports whether the key exists.
	Exists(ctx context.Context, key string) (bool, error)
	// List returns every key under prefix (recursively), sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// ListDirs returns the immediate "sub-folders" under prefix (without the
	// prefix and without a trailing slash), sorted.
	ListDirs(ctx context.Context, prefix string) ([]string, error)
	// Delete removes a key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Check verifies the store is reachable and writable enough to start a
	// run (the folder can be created, the bucket exists).
	Check(ctx context.Context) error
	// String is the store's URL, for messages.
	String() string
}

// Location is a parsed store URL.
type Location struct {
	Scheme string // "file" or "s3"
	Path   string // file: absolute folder
	Bucket string // s3
	Prefix string // s3: key prefix without leading or trailing slash
	Region string // s3: from ?region=
	SSE    string // s3: "AES256" (default) or "aws:kms"
	KMSKey string // s3: with SSE aws:kms
	// Endpoint overrides the S3 endpoint (?endpoint=), for emulators.
	Endpoint string
}

// ParseURL parses a store URL: a plain path, file:///path, or
// s3://bucket/prefix?region=R&sse=aws:kms&kms-key=K.
func ParseURL(raw string) (Location, error) {
	if strings.TrimSpace(raw) == "" {
		return Location{}, fmt.Errorf("store: empty URL (use a folder path, file:///path or s3://bucket/prefix)")
	}
	if !strings.Contains(raw, "://") {
		abs, err := filepath.Abs(raw)
		if err != nil {
			return Location{}, fmt.Errorf("store %q: %w", raw, err)
		}
		return Location{Scheme: "file", Path: abs}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Location{}, fmt.Errorf("store %q: not a valid URL: %w", raw, err)
	}
	switch u.Scheme {
	case "file":
		p := u.Path
		if u.Host != "" && u.Host != "localhost" {
			// file://relative/path is a common slip: treat host+path as a relative path.
			p = u.Host + u.Path
		}
		if p == "" {
			return Location{}, fmt.Errorf("store %q: file URL has no path", raw)
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return Location{}, fmt.Errorf("store %q: %w", raw, err)
		}
		return Location{Scheme: "file", Path: abs}, nil
	case "s3":
		if u.Host == "" {
			return Location{}, fmt.Errorf("store %q: s3 URL has no bucket (use s3://bucket/prefix)", raw)
		}
		q := u.Query()
		loc := Location{
			Scheme:   "s3",
			Bucket:   u.Host,
			Prefix:   strings.Trim(u.Path, "/"),
			Region:   q.Get("region"),
			SSE:      q.Get("sse"),
			KMSKey:   q.Get("kms-key"),
			Endpoint: q.Get("endpoint"),
		}
		for k := range q {
			switch k {
			case "region", "sse", "kms-key", "endpoint":
			default:
				return Location{}, fmt.Errorf("store %q: unknown parameter %q (known: region, sse, kms-key, endpoint)", raw, k)
			}
		}
		switch loc.SSE {
		case "":
			loc.SSE = "AES256"
		case "AES256", "aws:kms":
		default:
			return Location{}, fmt.Errorf("store %q: sse=%q is not supported (use AES256 or aws:kms)", raw, loc.SSE)
		}
		if loc.KMSKey != "" && loc.SSE != "aws:kms" {
			return Location{}, fmt.Errorf("store %q: kms-key needs sse=aws:kms", raw)
		}
		return loc, nil
	default:
		return Location{}, fmt.Errorf("store %q: unsupported scheme %q (use a folder path, file:///path or s3://bucket/prefix)", raw, u.Scheme)
	}
}
