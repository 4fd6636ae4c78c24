package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testBackend runs the behaviour every Store must share against a fresh,
// empty store.
func testBackend(t *testing.T, st Store) {
	t.Helper()
	ctx := context.Background()
	objects := map[string]string{
		"2026-11-23/manifest.json":                               `{"ok":true}`,
		"2026-11-23/accounts/111122223333/iam/users.json":        `[]`,
		"2026-11-23/accounts/111122223333/account.json":          `{}`,
		"2026-11-23/accounts/444455556666/account.json":          `{}`,
		"2026-11-23/run-2/manifest.json":                         `{}`,
		"2026-11-24/accounts/111122223333/credential-report.csv": "user,arn\n",
	}
	if err := st.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	for k, v := range objects {
		if err := st.Put(ctx, k, []byte(v)); err != nil {
			t.Fatalf("Put %s: %v", k, err)
		}
	}
	// Overwrite replaces the whole object.
	if err := st.Put(ctx, "2026-11-23/manifest.json", []byte(`{"ok":false}`)); err != nil {
		t.Fatalf("Put overwrite: %v", err)
	}
	objects["2026-11-23/manifest.json"] = `{"ok":false}`

	t.Run("get", func(t *testing.T) {
		for k, want := range objects {
			got, err := st.Get(ctx, k)
			if err != nil {
				t.Fatalf("Get %s: %v", k, err)
			}
			if string(got) != want {
				t.Errorf("Get %s = %q, want %q", k, got, want)
			}
		}
	})

	t.Run("get missing wraps ErrNotFound", func(t *testing.T) {
		_, err := st.Get(ctx, "2026-11-23/nope.json")
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get missing: err = %v, want ErrNotFound", err)
		}
		if !strings.Contains(err.Error(), "2026-11-23/nope.json") || !strings.Contains(err.Error(), st.String()) {
			t.Errorf("error %q does not name the store and the key", err)
		}
	})

	t.Run("exists", func(t *testing.T) {
		tests := []struct {
			key  string
			want bool
		}{
			{"2026-11-23/manifest.json", true},
			{"2026-11-23/accounts/111122223333/iam/users.json", true},
			{"2026-11-23/missing.json", false},
			{"2026-11-25/manifest.json", false},
		}
		for _, tt := range tests {
			got, err := st.Exists(ctx, tt.key)
			if err != nil {
				t.Fatalf("Exists %s: %v", tt.key, err)
			}
			if got != tt.want {
				t.Errorf("Exists %s = %v, want %v", tt.key, got, tt.want)
			}
		}
	})

	t.Run("list", func(t *testing.T) {
		tests := []struct {
			prefix string
			want   []string
		}{
			{"2026-11-23/accounts/", []string{
				"2026-11-23/accounts/111122223333/account.json",
				"2026-11-23/accounts/111122223333/iam/users.json",
				"2026-11-23/accounts/444455556666/account.json",
			}},
			{"2026-11-23/accounts/1111", []string{
				"2026-11-23/accounts/111122223333/account.json",
				"2026-11-23/accounts/111122223333/iam/users.json",
			}},
			{"2026-11-24/", []string{"2026-11-24/accounts/111122223333/credential-report.csv"}},
			{"2027-", nil},
			{"", []string{
				"2026-11-23/accounts/111122223333/account.json",
				"2026-11-23/accounts/111122223333/iam/users.json",
				"2026-11-23/accounts/444455556666/account.json",
				"2026-11-23/manifest.json",
				"2026-11-23/run-2/manifest.json",
				"2026-11-24/accounts/111122223333/credential-report.csv",
			}},
		}
		for _, tt := range tests {
			got, err := st.List(ctx, tt.prefix)
			if err != nil {
				t.Fatalf("List %q: %v", tt.prefix, err)
			}
			if len(got) == 0 && len(tt.want) == 0 {
				continue
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("List %q = %q, want %q", tt.prefix, got, tt.want)
			}
		}
	})

	t.Run("listdirs", func(t *testing.T) {
		tests := []struct {
			prefix string
			want   []string
		}{
			{"", []string{"2026-11-23", "2026-11-24"}},
			{"2026-11-23", []string{"accounts", "run-2"}},
			{"2026-11-23/", []string{"accounts", "run-2"}},
			{"2026-11-23/accounts/", []string{"111122223333", "444455556666"}},
			{"2026-11-23/accounts/111122223333/iam", nil},
			{"2030-01-01", nil},
		}
		for _, tt := range tests {
			got, err := st.ListDirs(ctx, tt.prefix)
			if err != nil {
				t.Fatalf("ListDirs %q: %v", tt.prefix, err)
			}
			if len(got) == 0 && len(tt.want) == 0 {
				continue
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ListDirs %q = %q, want %q", tt.prefix, got, tt.want)
			}
		}
	})

	t.Run("delete", func(t *testing.T) {
		k := "2026-11-23/run-2/manifest.json"
		if err := st.Delete(ctx, k); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if ok, err := st.Exists(ctx, k); err != nil || ok {
			t.Fatalf("Exists after Delete = %v, %v; want false, nil", ok, err)
		}
		if _, err := st.Get(ctx, k); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
		}
		if err := st.Delete(ctx, k); err != nil {
			t.Fatalf("Delete of a missing key: %v, want nil", err)
		}
	})

	t.Run("invalid keys rejected", func(t *testing.T) {
		for _, k := range []string{"", "/abs/key.json", "a/../b.json", "../escape.json", "./x.json", `a\b.json`} {
			if err := st.Put(ctx, k, []byte("x")); err == nil {
				t.Errorf("Put %q: no error, want invalid key", k)
			}
			if _, err := st.Get(ctx, k); err == nil || errors.Is(err, ErrNotFound) {
				t.Errorf("Get %q: err = %v, want invalid key", k, err)
			}
			if _, err := st.Exists(ctx, k); err == nil {
				t.Errorf("Exists %q: no error, want invalid key", k)
			}
			if err := st.Delete(ctx, k); err == nil {
				t.Errorf("Delete %q: no error, want invalid key", k)
			}
		}
	})
}

func TestFileBackend(t *testing.T) {
	testBackend(t, NewFile(filepath.Join(t.TempDir(), "store")))
}

func TestFilePermissionsAndAtomicWrite(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	st := NewFile(root)
	ctx := context.Background()
	if err := st.Check(ctx); err != nil {
		t.Fatal(err)
	}
	key := "2026-11-23/accounts/111122223333/iam/users.json"
	for i := 0; i < 3; i++ {
		if err := st.Put(ctx, key, []byte(strings.Repeat("x", i+1))); err != nil {
			t.Fatal(err)
		}
	}
	// No temp or check file is left anywhere.
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") {
			t.Errorf("leftover temp file %s", p)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s mode = %o, want %o", p, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(key)))
	if err != nil || string(got) != "xxx" {
		t.Fatalf("file content = %q, %v; want last write", got, err)
	}
	// A stray temp file (as a crash mid-write would leave) is never listed.
	tmp := filepath.Join(root, "2026-11-23", ".tmp-manifest.json-123")
	if err := os.WriteFile(tmp, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := st.List(ctx, "2026-11-23/")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(keys, []string{key}) {
		t.Errorf("List = %q, want only %q", keys, key)
	}
}

func TestFileCheckNotWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write into read-only folders")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	err := NewFile(filepath.Join(dir, "store")).Check(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot create folder") {
		t.Fatalf("Check = %v, want cannot create folder", err)
	}
}

func TestParseURL(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		raw     string
		want    Location
		wantErr string
	}{
		{name: "plain absolute path", raw: "/var/lib/orgiam", want: Location{Scheme: "file", Path: "/var/lib/orgiam"}},
		{name: "plain relative path", raw: "snapshots", want: Location{Scheme: "file", Path: filepath.Join(cwd, "snapshots")}},
		{name: "file URL", raw: "file:///data/orgiam", want: Location{Scheme: "file", Path: "/data/orgiam"}},
		{name: "file URL localhost", raw: "file://localhost/data/x", want: Location{Scheme: "file", Path: "/data/x"}},
		{name: "file URL relative slip", raw: "file://snaps/x", want: Location{Scheme: "file", Path: filepath.Join(cwd, "snaps/x")}},
		{name: "s3 bucket only", raw: "s3://bucket", want: Location{Scheme: "s3", Bucket: "bucket", SSE: "AES256"}},
		{name: "s3 prefix trimmed", raw: "s3://bucket/a/b/", want: Location{Scheme: "s3", Bucket: "bucket", Prefix: "a/b", SSE: "AES256"}},
		{name: "s3 region", raw: "s3://b/p?region=eu-west-1", want: Location{Scheme: "s3", Bucket: "b", Prefix: "p", Region: "eu-west-1", SSE: "AES256"}},
		{name: "s3 sse kms with key", raw: "s3://b/p?sse=aws:kms&kms-key=alias/orgiam",
			want: Location{Scheme: "s3", Bucket: "b", Prefix: "p", SSE: "aws:kms", KMSKey: "alias/orgiam"}},
		{name: "s3 sse kms default key", raw: "s3://b?sse=aws:kms", want: Location{Scheme: "s3", Bucket: "b", SSE: "aws:kms"}},
		{name: "s3 endpoint", raw: "s3://b/p?endpoint=http://127.0.0.1:5000",
			want: Location{Scheme: "s3", Bucket: "b", Prefix: "p", SSE: "AES256", Endpoint: "http://127.0.0.1:5000"}},
		{name: "empty", raw: "  ", wantErr: "empty URL"},
		{name: "bad scheme", raw: "gs://bucket/p", wantErr: `unsupported scheme "gs"`},
		{name: "unknown parameter", raw: "s3://b/p?regoin=us-east-1", wantErr: `unknown parameter "regoin"`},
		{name: "bad sse", raw: "s3://b/p?sse=DES", wantErr: `sse="DES" is not supported`},
		{name: "kms key without kms", raw: "s3://b/p?kms-key=k", wantErr: "kms-key needs sse=aws:kms"},
		{name: "s3 without bucket", raw: "s3:///p", wantErr: "no bucket"},
		{name: "file without path", raw: "file://", wantErr: "no path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseURL(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseURL(%q) err = %v, want containing %q", tt.raw, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tt.raw, err)
			}
			if got != tt.want {
				t.Errorf("ParseURL(%q) = %+v, want %+v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.(*File); !ok || st.String() != "file://"+filepath.ToSlash(dir) {
		t.Errorf("Open(%q) = %T %s, want file store", dir, st, st)
	}
	if _, err := Open(ctx, "s3://bucket/p", nil); err == nil || !strings.Contains(err.Error(), "credentials") {
		t.Errorf("Open s3 without AWS config: err = %v, want credentials error", err)
	}
}

func TestRunPrefix(t *testing.T) {
	tests := []struct {
		date, runID string
		want        string
		wantErr     string
	}{
		{"2026-11-23", "", "2026-11-23", ""},
		{"2026-11-23", "nightly-2", "2026-11-23/nightly-2", ""},
		{"2026-11-23", "a.b_c", "2026-11-23/a.b_c", ""},
		{"2026-02-30", "", "", "not a valid YYYY-MM-DD"},
		{"2026-1-23", "", "", "not a valid YYYY-MM-DD"},
		{"", "", "", "not a valid YYYY-MM-DD"},
		{"2026-11-23", "a/b", "", "run id"},
		{"2026-11-23", "..", "", "run id"},
		{"2026-11-23", "-x", "", "run id"},
		{"2026-11-23", strings.Repeat("a", 65), "", "run id"},
	}
	for _, tt := range tests {
		got, err := RunPrefix(tt.date, tt.runID)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("RunPrefix(%q, %q) err = %v, want %q", tt.date, tt.runID, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("RunPrefix(%q, %q) = %q, %v; want %q", tt.date, tt.runID, got, err, tt.want)
		}
	}
}

func TestParseRunPrefix(t *testing.T) {
	tests := []struct {
		in          string
		date, runID string
		wantErr     bool
	}{
		{in: "2026-11-23", date: "2026-11-23"},
		{in: "2026-11-23/", date: "2026-11-23"},
		{in: "2026-11-23/run-1", date: "2026-11-23", runID: "run-1"},
		{in: "/2026-11-23/run-1/", date: "2026-11-23", runID: "run-1"},
		{in: "2026-13-01", wantErr: true},
		{in: "2026-11-23/a/b", wantErr: true},
		{in: "latest", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		d, r, err := ParseRunPrefix(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseRunPrefix(%q) = %q, %q; want error", tt.in, d, r)
			}
			continue
		}
		if err != nil || d != tt.date || r != tt.runID {
			t.Errorf("ParseRunPrefix(%q) = %q, %q, %v; want %q, %q", tt.in, d, r, err, tt.date, tt.runID)
		}
		// Round trip.
		if p, err := RunPrefix(d, r); err != nil || p != strings.Trim(tt.in, "/") {
			t.Errorf("RunPrefix(ParseRunPrefix(%q)) = %q, %v", tt.in, p, err)
		}
	}
}

func TestLayoutKeys(t *testing.T) {
	run := "2026-11-23/r1"
	acct := "111122223333"
	tests := []struct{ got, want string }{
		{ManifestKey(run), "2026-11-23/r1/manifest.json"},
		{RunInfoKey(run), "2026-11-23/r1/run.json"},
		{AccountListKey(run), "2026-11-23/r1/accounts.json"},
		{SkippedListKey(run), "2026-11-23/r1/skipped.json"},
		{OrgKey(run, "o-abc", "ous.json"), "2026-11-23/r1/organizations/o-abc/ous.json"},
		{OrgPrefix(run), "2026-11-23/r1/organizations/"},
		{AccountsPrefix(run), "2026-11-23/r1/accounts/"},
		{AccountKey(run, acct), "2026-11-23/r1/accounts/111122223333/account.json"},
		{IAMKey(run, acct, DataInstanceProfiles), "2026-11-23/r1/accounts/111122223333/iam/instance-profiles.json"},
		{CredentialReportKey(run, acct), "2026-11-23/r1/accounts/111122223333/credential-report.csv"},
		{ErrorKey(run, acct), "2026-11-23/r1/accounts/111122223333/error.json"},
		{AWSManagedPolicyKey(run, "ReadOnlyAccess"), "2026-11-23/r1/aws-managed-policies/ReadOnlyAccess.json"},
		{AWSManagedPoliciesPrefix(run), "2026-11-23/r1/aws-managed-policies/"},
		{IndexKey(run), "2026-11-23/r1/index.sqlite"},
		{ReportKey(run, "users.csv"), "2026-11-23/r1/reports/users.csv"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("key = %q, want %q", tt.got, tt.want)
		}
	}
	if len(IAMDataSets) != 8 {
		t.Errorf("IAMDataSets has %d entries, want 8", len(IAMDataSets))
	}
	for _, v := range []struct {
		s  string
		ok bool
	}{{"111122223333", true}, {"11112222333", false}, {"11112222333a", false}} {
		if ValidAccountID(v.s) != v.ok {
			t.Errorf("ValidAccountID(%q) = %v", v.s, !v.ok)
		}
	}
}

// The file store remembers the folders it made; one removed behind its back
// (an operator clearing a run by hand) is made again on the next Put.
func TestFilePutRemakesARemovedFolder(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	st := NewFile(root)
	if err := st.Put(ctx, "a/b/one.json", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, "a")); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "a/b/two.json", []byte("2")); err != nil {
		t.Fatalf("Put after the folder was removed: %v", err)
	}
	if got, err := st.Get(ctx, "a/b/two.json"); err != nil || string(got) != "2" {
		t.Fatalf("Get = %q, %v", got, err)
	}
}
