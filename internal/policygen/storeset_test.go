package policygen

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/store"
)

// failingStore fails every Put after the first n.
type failingStore struct {
	store.Store
	n int
}

func (f *failingStore) Put(ctx context.Context, key string, data []byte) error {
	if f.n == 0 {
		return errors.New("injected Put failure")
	}
	f.n--
	return f.Store.Put(ctx, key, data)
}

func TestWriteGenerationAsASet(t *testing.T) {
	ctx := context.Background()
	fs := store.NewFile(t.TempDir())
	run := "2026-11-23"
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	first := map[string][]byte{"111122223333/alice.json": []byte(`{"a":1}`), "111122223333/alice-2.json": []byte(`{"a":2}`), "trail-report.json": []byte(`{}`)}
	if err := WriteGeneration(ctx, fs, run, first, now); err != nil {
		t.Fatal(err)
	}
	gen, got, err := ReadGeneration(ctx, fs, run)
	if err != nil || len(got) != 3 || string(got["111122223333/alice-2.json"]) != `{"a":2}` || gen.Generated != "2026-11-23T08:00:00Z" {
		t.Fatalf("first generation: %v %v %+v", err, got, gen)
	}

	// A second generation that fails after one file: no complete set is
	// left, although a file of it is in place.
	second := map[string][]byte{"111122223333/alice.json": []byte(`{"a":3}`), "trail-report.json": []byte(`{"x":1}`)}
	if err := WriteGeneration(ctx, &failingStore{Store: fs, n: 1}, run, second, now); err == nil {
		t.Fatal("no error from a failing store")
	}
	if _, _, err := ReadGeneration(ctx, fs, run); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("after a failed generation: %v, want ErrIncomplete", err)
	}

	// Done again: complete, and the part the new set no longer has is gone.
	if err := WriteGeneration(ctx, fs, run, second, now); err != nil {
		t.Fatal(err)
	}
	if _, got, err = ReadGeneration(ctx, fs, run); err != nil || len(got) != 2 || string(got["111122223333/alice.json"]) != `{"a":3}` {
		t.Fatalf("second generation: %v %v", err, got)
	}
	if ok, _ := fs.Exists(ctx, store.PolicyKey(run, "111122223333/alice-2.json")); ok {
		t.Error("alice-2.json of the first generation was left behind")
	}

	// A file changed behind the record's back is caught.
	fs.Put(ctx, store.PolicyKey(run, "trail-report.json"), []byte(`{"other":true}`))
	if _, _, err := ReadGeneration(ctx, fs, run); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("changed file: %v, want ErrIncomplete", err)
	}
}

// The policies of a run without id are not taken for a run named "policies".
func TestPoliciesFolderIsNotARun(t *testing.T) {
	if !store.ReservedRunID("policies") || !store.IsRunLevelKey("2026-11-23", store.PolicyKey("2026-11-23", "1/a.json")) {
		t.Error("policies/ is not one of the run's own folders")
	}
}
