package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testCreateAndLock is the conditional-write and run-lock behaviour every
// backend shares.
func testCreateAndLock(t *testing.T, st Store) {
	t.Helper()
	ctx := context.Background()
	cr := st.(Creator)
	t.Run("create is exclusive", func(t *testing.T) {
		if err := cr.Create(ctx, "x/one.json", []byte("1")); err != nil {
			t.Fatal(err)
		}
		err := cr.Create(ctx, "x/one.json", []byte("2"))
		if !errors.Is(err, ErrExists) {
			t.Fatalf("second create: %v", err)
		}
		if got, _ := st.Get(ctx, "x/one.json"); string(got) != "1" {
			t.Fatalf("content after a refused create: %q", got)
		}
	})
	t.Run("racing creates: exactly one wins", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := cr.Create(ctx, "x/race.json", []byte("r")); err == nil {
					mu.Lock()
					won++
					mu.Unlock()
				} else if !errors.Is(err, ErrExists) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d creates won", won)
		}
	})

	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	alive := func(int) bool { return false }
	a := LockOptions{Owner: "alice", Host: "h1", PID: 10, Lease: time.Minute, Now: clock, ProcessGone: alive}
	b := LockOptions{Owner: "bob", Host: "h2", PID: 20, Lease: time.Minute, Now: clock, ProcessGone: alive}
	run := "2026-11-23/lock-test"
	t.Run("lock refuses a second writer, then expires", func(t *testing.T) {
		la, err := AcquireLock(ctx, st, run, a)
		if err != nil {
			t.Fatal(err)
		}
		_, err = AcquireLock(ctx, st, run, b)
		var le *LockedError
		if !errors.As(err, &le) || le.Holder.Owner != "alice" || !strings.Contains(err.Error(), "alice@h1 (pid 10)") {
			t.Fatalf("second writer: %v", err)
		}
		// A heartbeat keeps it.
		now = now.Add(50 * time.Second)
		if err := la.Heartbeat(ctx); err != nil {
			t.Fatal(err)
		}
		now = now.Add(50 * time.Second)
		if _, err := AcquireLock(ctx, st, run, b); !errors.As(err, &le) {
			t.Fatalf("taken over within the renewed lease: %v", err)
		}
		// Without heartbeat past the lease, the lock is stale and is taken over.
		now = now.Add(11 * time.Second)
		lb, err := AcquireLock(ctx, st, run, b)
		if err != nil {
			t.Fatalf("stale lock not taken over: %v", err)
		}
		if err := la.Heartbeat(ctx); !errors.Is(err, ErrLockLost) {
			t.Fatalf("old holder's heartbeat after the takeover: %v", err)
		}
		if err := la.Release(ctx); !errors.Is(err, ErrLockLost) {
			t.Fatalf("old holder released the new holder's lock: %v", err)
		}
		if err := lb.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if keys, _ := st.List(ctx, LockPrefix(run)); len(keys) != 0 {
			t.Fatalf("locks left after release: %v", keys)
		}
	})
	t.Run("a lock of a gone process on this host is stale at once", func(t *testing.T) {
		if _, err := AcquireLock(ctx, st, run, a); err != nil {
			t.Fatal(err)
		}
		same := a
		same.PID = 11
		if _, err := AcquireLock(ctx, st, run, same); err == nil {
			t.Fatal("lock of a live process taken over")
		}
		same.ProcessGone = func(pid int) bool { return pid == 10 }
		l, err := AcquireLock(ctx, st, run, same)
		if err != nil {
			t.Fatalf("lock of a gone process: %v", err)
		}
		l.Release(ctx)
	})
	t.Run("racing writers: exactly one holds the lock", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var held []*Lock
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := b
				o.PID = 100 + i
				if l, err := AcquireLock(ctx, st, "2026-11-23", o); err == nil {
					mu.Lock()
					held = append(held, l)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(held) != 1 {
			t.Fatalf("%d writers hold the lock", len(held))
		}
		// The date's lock is not the lock of a run under that date.
		l2, err := AcquireLock(ctx, st, run, a)
		if err != nil {
			t.Fatalf("lock of %s blocked by the lock of its date: %v", run, err)
		}
		l2.Release(ctx)
		held[0].Release(ctx)
	})
}

func TestFileCreateAndLock(t *testing.T) {
	testCreateAndLock(t, NewFile(filepath.Join(t.TempDir(), "store")))
}

func TestRedirect(t *testing.T) {
	ctx := context.Background()
	inner := NewFile(t.TempDir())
	for _, k := range []string{"2026-11-23/manifest.json", "2026-11-23/accounts/111122223333/account.json", "2026-11-23/r1/manifest.json", "2026-11-22/manifest.json"} {
		if err := inner.Put(ctx, k, []byte("old")); err != nil {
			t.Fatal(err)
		}
	}
	r := &Redirect{Inner: inner, Run: "2026-11-23", To: StagingPrefix("2026-11-23")}
	if err := r.Put(ctx, "2026-11-23/accounts/111122223333/account.json", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if got, _ := inner.Get(ctx, "2026-11-23/accounts/111122223333/account.json"); string(got) != "old" {
		t.Fatal("redirected write reached the old run")
	}
	if got, _ := inner.Get(ctx, ".staging/2026-11-23/accounts/111122223333/account.json"); string(got) != "new" {
		t.Fatal("redirected write not staged")
	}
	if ok, _ := r.Exists(ctx, "2026-11-23/manifest.json"); ok {
		t.Fatal("the run being rebuilt sees the old manifest")
	}
	// Other runs, even under the same date, are read through.
	for _, k := range []string{"2026-11-23/r1/manifest.json", "2026-11-22/manifest.json"} {
		if ok, _ := r.Exists(ctx, k); !ok {
			t.Errorf("%s not visible through the redirect", k)
		}
	}
	keys, err := r.List(ctx, AccountsPrefix("2026-11-23"))
	if err != nil || len(keys) != 1 || keys[0] != "2026-11-23/accounts/111122223333/account.json" {
		t.Fatalf("list through the redirect: %v %v", keys, err)
	}
	if dirs, _ := r.ListDirs(ctx, AccountsPrefix("2026-11-23")); len(dirs) != 1 {
		t.Fatalf("list dirs: %v", dirs)
	}
}

func TestIsRunLevelKey(t *testing.T) {
	for key, want := range map[string]bool{
		"2026-11-23/manifest.json":              true,
		"2026-11-23/accounts/1/account.json":    true,
		"2026-11-23/reports/users.csv":          true,
		"2026-11-23/r1/manifest.json":           false,
		"2026-11-23/r1/accounts/1/account.json": false,
		"2026-11-24/manifest.json":              false,
		"2026-11-23":                            false,
	} {
		if got := IsRunLevelKey("2026-11-23", key); got != want {
			t.Errorf("IsRunLevelKey(%q) = %v", key, got)
		}
	}
}
