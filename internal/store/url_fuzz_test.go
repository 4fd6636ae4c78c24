package store

import (
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"./data", "file:///tmp/x", "file://rel/x", "s3://b/p?region=eu-west-1&sse=aws:kms&kms-key=k", "s3://", "gs://x", "s3://b/%zz", "s3://b?x=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		loc, err := ParseURL(raw)
		if err != nil {
			return
		}
		switch loc.Scheme {
		case "file":
			if !filepath.IsAbs(loc.Path) {
				t.Fatalf("%q: relative path %q", raw, loc.Path)
			}
		case "s3":
			if loc.Bucket == "" || strings.HasPrefix(loc.Prefix, "/") || strings.HasSuffix(loc.Prefix, "/") {
				t.Fatalf("%q: bucket %q prefix %q", raw, loc.Bucket, loc.Prefix)
			}
			if loc.SSE != "AES256" && loc.SSE != "aws:kms" {
				t.Fatalf("%q: sse %q", raw, loc.SSE)
			}
		default:
			t.Fatalf("%q: scheme %q", raw, loc.Scheme)
		}
	})
}
