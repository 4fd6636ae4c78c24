package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestVouched(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key              string
		vouched, voucher bool
	}{
		{"2026-11-23/accounts/111122223333/iam/users.json", true, false},
		{"2026-11-23/run-2/accounts/111122223333/iam/roles.json", true, false},
		{".staging/2026-11-23/accounts/111122223333/iam/roles.json", true, false},
		{"2026-11-23/accounts/111122223333/resources.json", true, false},
		{"2026-11-23/organizations/o-abc/ous.json", true, false},
		{"2026-11-23/aws-managed-policies/ReadOnlyAccess.json", true, false},
		{"2026-11-23/reports/users.csv", true, false},
		{"2026-11-23/policies/111122223333/app.json", true, false},
		{"2026-11-23/accounts/111122223333/account.json", false, true},
		{"2026-11-23/run-2/accounts/111122223333/account.json", false, true},
		{"2026-11-23/manifest.json", false, true},
		{"2026-11-23/run-2/manifest.json", false, true},
		{".staging/2026-11-23/manifest.json", false, true},
		{"2026-11-23/reports/reports.json", false, true},
		{"2026-11-23/policies/generation.json", false, true},
		// Standing alone: written after account.json, or read on their own.
		{"2026-11-23/accounts/111122223333/credential-report.csv", false, false},
		{"2026-11-23/accounts/111122223333/regions/eu-west-1.json", false, false},
		{"2026-11-23/accounts/111122223333/error.json", false, false},
		{"2026-11-23/run.json", false, false},
		{"2026-11-23/accounts.json", false, false},
		{"2026-11-23/exec/111122223333/eu-west-1/stdout", false, false},
		{".locks/2026-11-23/0000000001.json", false, false},
		{"config-reports/2026-11-23/users.csv", false, false},
		{"config-reports/2026-11-23/manifest.json", false, false},
		{"2026-11-23/index.sqlite", false, false},
	}
	for _, tt := range tests {
		if got := Vouched(tt.key); got != tt.vouched {
			t.Errorf("Vouched(%q) = %v, want %v", tt.key, got, tt.vouched)
		}
		if got := Voucher(tt.key); got != tt.voucher {
			t.Errorf("Voucher(%q) = %v, want %v", tt.key, got, tt.voucher)
		}
	}
}

// The file store syncs a vouched file only with its voucher's syncfs, and
// every other file on its own; by the time of the syncfs the vouched file
// is in place, whole.
func TestFileSyncsBeforeVouchers(t *testing.T) {
	if !deferredSync {
		t.Skip("no syncfs here: every file is synced on its own")
	}
	// Not parallel: it replaces the package's sync functions.
	var files, fss int
	var seenAtSyncFS string
	root := t.TempDir()
	users := filepath.Join(root, "2026-11-23", "accounts", "111122223333", "iam", "users.json")
	oldFile, oldFS := fileSync, fsSync
	t.Cleanup(func() { fileSync, fsSync = oldFile, oldFS })
	fileSync = func(f *os.File) error { files++; return oldFile(f) }
	fsSync = func(f *os.File) error {
		fss++
		b, _ := os.ReadFile(users)
		seenAtSyncFS = string(b)
		return oldFS(f)
	}
	ctx := context.Background()
	st := NewFile(root)
	step := func(what string, wantFiles, wantFS int, do func() error) {
		t.Helper()
		files, fss = 0, 0
		if err := do(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if files != wantFiles || fss != wantFS {
			t.Fatalf("%s: %d fsync and %d syncfs, want %d and %d", what, files, fss, wantFiles, wantFS)
		}
	}
	step("vouched data set", 0, 0, func() error {
		return st.Put(ctx, "2026-11-23/accounts/111122223333/iam/users.json", []byte(`[{"UserName":"alice"}]`))
	})
	step("account.json", 0, 1, func() error { return st.Put(ctx, "2026-11-23/accounts/111122223333/account.json", []byte(`{}`)) })
	if seenAtSyncFS != `[{"UserName":"alice"}]` {
		t.Fatalf("at the voucher's syncfs the data set read %q", seenAtSyncFS)
	}
	step("credential report", 1, 0, func() error {
		return st.Put(ctx, "2026-11-23/accounts/111122223333/credential-report.csv", []byte("user\n"))
	})
	step("lock", 1, 0, func() error { return st.Create(ctx, LockKey("2026-11-23", 1), []byte(`{}`)) })
	step("voucher removed", 1, 0, func() error { return st.Delete(ctx, "2026-11-23/accounts/111122223333/account.json") })
	step("vouched file removed", 0, 0, func() error { return st.Delete(ctx, "2026-11-23/accounts/111122223333/iam/users.json") })
	step("manifest", 0, 1, func() error { return st.Put(ctx, ManifestKey("2026-11-23"), []byte(`{}`)) })
}
