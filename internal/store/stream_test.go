package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/testutil/moto"
)

// testStreaming checks PutReader and OpenObject against a backend: the object
// read back is the bytes written, whatever the path (streamed or not).
func testStreaming(t *testing.T, st Store) {
	t.Helper()
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789abcdef\n"), 200000) // 3.4 MB
	key := "2026-11-23/reports/users.json"
	if err := PutReader(ctx, st, key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("PutReader: %v", err)
	}
	got, err := st.Get(ctx, key)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get after PutReader: %d bytes, err %v; want %d bytes", len(got), err, len(data))
	}
	rc, err := OpenObject(ctx, st, key)
	if err != nil {
		t.Fatalf("OpenObject: %v", err)
	}
	got, err = io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("OpenObject read %d bytes, err %v; want %d bytes", len(got), err, len(data))
	}
	if _, err := OpenObject(ctx, st, "2026-11-23/reports/missing.json"); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenObject of a missing key: %v, want ErrNotFound", err)
	}
	// A reader shorter than the size it claims leaves no object.
	short := "2026-11-23/reports/short.json"
	if err := PutReader(ctx, st, short, strings.NewReader("abc"), 10); err == nil {
		t.Errorf("PutReader of 3 bytes claiming 10: no error")
	}
	if ok, _ := st.Exists(ctx, short); ok {
		t.Errorf("a short PutReader left %s behind", short)
	}
}

func TestFileStreaming(t *testing.T) {
	testStreaming(t, NewFile(filepath.Join(t.TempDir(), "store")))
}

// plainStore hides the backend's streaming methods: the helpers fall back
// to Put and Get.
type plainStore struct{ Store }

func TestStreamingFallback(t *testing.T) {
	testStreaming(t, plainStore{NewFile(filepath.Join(t.TempDir(), "store"))})
}

func TestS3Streaming(t *testing.T) {
	srv := moto.Start(t)
	b := newMotoBucket(t, srv)
	testStreaming(t, NewS3(Location{Scheme: "s3", Bucket: b, Prefix: "orgiam", Endpoint: srv.Endpoint}, motoConfig()))
}
