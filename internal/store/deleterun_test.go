package store

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

// failingDeletes records the keys deleted and fails the delete numbered failAt (1-based; 0 never).
type failingDeletes struct {
	Store
	deleted []string
	failAt  int
}

func (f *failingDeletes) Delete(ctx context.Context, key string) error {
	if len(f.deleted)+1 == f.failAt {
		return errors.New("injected delete failure")
	}
	f.deleted = append(f.deleted, key)
	return f.Store.Delete(ctx, key)
}

func TestDeleteRunLevel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	run := "2026-01-02"
	nested := run + "/second"
	keys := []string{
		run + "/run.json",
		run + "/accounts/111122223333/iam/users.json",
		run + "/organizations/o-abc/accounts.json",
		run + "/reports/findings.json",
		ManifestKey(run),
		nested + "/run.json",
		ManifestKey(nested),
	}
	fill := func(t *testing.T) *File {
		st := NewFile(filepath.Join(t.TempDir(), "store"))
		for _, k := range keys {
			if err := st.Put(ctx, k, []byte("{}")); err != nil {
				t.Fatal(err)
			}
		}
		return st
	}

	t.Run("deletes the run, manifest first, nested run kept", func(t *testing.T) {
		t.Parallel()
		st := fill(t)
		rec := &failingDeletes{Store: st}
		if err := DeleteRunLevel(ctx, rec, run); err != nil {
			t.Fatal(err)
		}
		if len(rec.deleted) != 5 || rec.deleted[0] != ManifestKey(run) {
			t.Fatalf("deleted %v, want the manifest first then the 4 other keys of the run", rec.deleted)
		}
		left, err := st.List(ctx, run+"/")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{nested + "/manifest.json", nested + "/run.json"}; !slices.Equal(left, want) {
			t.Fatalf("left %v, want %v", left, want)
		}
	})

	t.Run("an interrupted delete leaves no manifest", func(t *testing.T) {
		t.Parallel()
		st := fill(t)
		rec := &failingDeletes{Store: st, failAt: 2}
		if err := DeleteRunLevel(ctx, rec, run); err == nil {
			t.Fatal("want the injected error")
		}
		if ok, _ := st.Exists(ctx, ManifestKey(run)); ok {
			t.Fatal("manifest still there after an interrupted delete: the run would look complete")
		}
		if ok, _ := st.Exists(ctx, run+"/run.json"); !ok {
			t.Fatal("run.json gone: the delete should have stopped at the injected failure")
		}
	})

	t.Run("a run without a manifest", func(t *testing.T) {
		t.Parallel()
		st := NewFile(filepath.Join(t.TempDir(), "store"))
		if err := st.Put(ctx, run+"/run.json", []byte("{}")); err != nil {
			t.Fatal(err)
		}
		if err := DeleteRunLevel(ctx, st, run); err != nil {
			t.Fatal(err)
		}
		if left, _ := st.List(ctx, run+"/"); len(left) != 0 {
			t.Fatalf("left %v", left)
		}
	})
}
