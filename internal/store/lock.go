package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A run's write lock is a lease kept in the store itself, so it works the
// same for every process that can reach the store (two laptops, a CI job and
// a Lambda) without a lock service.
//
// The lock is a series of generation objects under LockPrefix(run). A writer
// takes generation N+1 with Create (an exclusive write: link(2) locally, a
// conditional PutObject with If-None-Match: * on S3), so of two writers that
// race for the same generation exactly one wins. The holder renews its
// heartbeat every LockOptions.Lease/4 by rewriting its own generation. A
// generation whose heartbeat is older than its lease is stale, and only then
// may another writer take the next generation; a holder that finds a newer
// generation, or its own replaced, has lost the lock and must stop writing.
// A lock left on this host by a process that no longer exists is stale at
// once (a kill -9 followed by --resume does not wait out the lease).

// DefaultLease is how long a lock stays valid without a heartbeat.
const DefaultLease = 5 * time.Minute

// LockInfo is the content of one lock generation.
type LockInfo struct {
	Run          string    `json:"run"`
	Generation   int       `json:"generation"`
	Owner        string    `json:"owner"`
	Host         string    `json:"host"`
	PID          int       `json:"pid"`
	Command      string    `json:"command,omitempty"`
	Started      time.Time `json:"started"`
	Heartbeat    time.Time `json:"heartbeat"`
	LeaseSeconds float64   `json:"leaseSeconds"`
	// Token identifies the holder: a later writer reusing the generation
	// number after a release has another token.
	Token string `json:"token"`
}

// Expires is when the lease runs out without a new heartbeat.
func (i LockInfo) Expires() time.Time {
	return i.Heartbeat.Add(time.Duration(i.LeaseSeconds * float64(time.Second)))
}

// LockOptions describe the writer taking a lock.
type LockOptions struct {
	Owner, Host, Command string
	PID                  int
	// Lease is how long the lock lasts without a heartbeat (DefaultLease).
	Lease time.Duration
	// Now is the clock (nil: the system clock).
	Now func() time.Time
	// ProcessGone reports that pid no longer runs on this host (nil: a
	// signal-0 probe). A lock of this host whose process is gone is stale.
	ProcessGone func(pid int) bool
}

func (o *LockOptions) defaults() {
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname()
	}
	if o.PID == 0 {
		o.PID = os.Getpid()
	}
	if o.Owner == "" {
		if u, err := user.Current(); err == nil {
			o.Owner = u.Username
		}
	}
	if o.ProcessGone == nil {
		o.ProcessGone = processGone
	}
}

// LockedError is a refused lock: another writer holds the run.
type LockedError struct {
	Run    string
	Holder LockInfo
	Store  string
}

func (e *LockedError) Error() string {
	h := e.Holder
	return fmt.Sprintf("run %s in %s is being written by %s@%s (pid %d) since %s, last heartbeat %s; "+
		"a second writer is refused (if that process is gone, its lock expires at %s)",
		e.Run, e.Store, h.Owner, h.Host, h.PID, h.Started.UTC().Format(time.RFC3339), h.Heartbeat.UTC().Format(time.RFC3339), h.Expires().UTC().Format(time.RFC3339))
}

// ErrLockLost means the lease ran out and another writer took the run.
var ErrLockLost = errors.New("run lock lost")

// Lock is a held run lock.
type Lock struct {
	st   Store
	key  string
	info LockInfo
	opts LockOptions
}

// Info is the lock's current content.
func (l *Lock) Info() LockInfo { return l.info }

// AcquireLock takes the write lock of run, or returns a *LockedError naming
// the holder. The store must implement Creator.
func AcquireLock(ctx context.Context, st Store, run string, o LockOptions) (*Lock, error) {
	o.defaults()
	cr, ok := st.(Creator)
	if !ok {
		return nil, fmt.Errorf("store %s cannot write conditionally: no run lock possible", st)
	}
	gens, err := lockGenerations(ctx, st, run)
	if err != nil {
		return nil, err
	}
	next := 1
	if len(gens) > 0 {
		top := gens[len(gens)-1]
		holder, err := readLock(ctx, st, LockKey(run, top))
		switch {
		case errors.Is(err, ErrNotFound):
			// Released between the list and the read: take the next one.
		case err != nil:
			// An unreadable lock is treated as held: refusing is safe.
			return nil, fmt.Errorf("run %s: lock %s unreadable: %w", run, LockKey(run, top), err)
		case !stale(holder, o):
			return nil, &LockedError{Run: run, Holder: holder, Store: st.String()}
		}
		next = top + 1
	}
	now := o.Now().UTC()
	tok := make([]byte, 16)
	rand.Read(tok)
	info := LockInfo{Run: run, Generation: next, Owner: o.Owner, Host: o.Host, PID: o.PID, Command: o.Command,
		Started: now, Heartbeat: now, LeaseSeconds: o.Lease.Seconds(), Token: hex.EncodeToString(tok)}
	data, _ := json.MarshalIndent(info, "", "  ")
	key := LockKey(run, next)
	if err := cr.Create(ctx, key, data); err != nil {
		if errors.Is(err, ErrExists) {
			holder, rerr := readLock(ctx, st, key)
			if rerr != nil {
				holder = LockInfo{Run: run, Owner: "another writer", Host: "?"}
			}
			return nil, &LockedError{Run: run, Holder: holder, Store: st.String()}
		}
		return nil, err
	}
	// Older generations are history now.
	for _, g := range gens {
		st.Delete(ctx, LockKey(run, g))
	}
	return &Lock{st: st, key: key, info: info, opts: o}, nil
}

// Heartbeat renews the lease. It returns ErrLockLost when a newer generation
// exists or this generation is no longer ours: the caller must stop writing.
func (l *Lock) Heartbeat(ctx context.Context) error {
	if err := l.check(ctx); err != nil {
		return err
	}
	l.info.Heartbeat = l.opts.Now().UTC()
	data, _ := json.MarshalIndent(l.info, "", "  ")
	return l.st.Put(ctx, l.key, data)
}

func (l *Lock) check(ctx context.Context) error {
	gens, err := lockGenerations(ctx, l.st, l.info.Run)
	if err != nil {
		return err
	}
	if len(gens) > 0 && gens[len(gens)-1] > l.info.Generation {
		return fmt.Errorf("%w: run %s was taken over (generation %d) after this writer's lease expired", ErrLockLost, l.info.Run, gens[len(gens)-1])
	}
	cur, err := readLock(ctx, l.st, l.key)
	if err != nil || cur.Token != l.info.Token {
		return fmt.Errorf("%w: run %s: %s no longer holds this writer's lock", ErrLockLost, l.info.Run, l.key)
	}
	return nil
}

// Release gives the lock up (only if it is still ours).
func (l *Lock) Release(ctx context.Context) error {
	if err := l.check(ctx); err != nil {
		return err
	}
	if err := l.st.Delete(ctx, l.key); err != nil {
		return err
	}
	if f, ok := l.st.(*File); ok {
		// Leave no empty lock folders behind (removing a folder that is not
		// empty fails, which is what is wanted).
		if dir, err := f.path(strings.TrimSuffix(LockPrefix(l.info.Run), "/")); err == nil {
			os.Remove(dir)
			os.Remove(filepath.Dir(dir))
		}
	}
	return nil
}

func stale(h LockInfo, o LockOptions) bool {
	if o.Now().After(h.Expires()) {
		return true
	}
	return h.Host == o.Host && h.PID > 0 && h.PID != o.PID && o.ProcessGone(h.PID)
}

func readLock(ctx context.Context, st Store, key string) (LockInfo, error) {
	data, err := st.Get(ctx, key)
	if err != nil {
		return LockInfo{}, err
	}
	var i LockInfo
	if err := json.Unmarshal(data, &i); err != nil {
		return LockInfo{}, fmt.Errorf("%s: %w", key, err)
	}
	return i, nil
}

// lockGenerations lists the generation numbers present, ascending.
func lockGenerations(ctx context.Context, st Store, run string) ([]int, error) {
	prefix := LockPrefix(run)
	keys, err := st.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var gens []int
	for _, k := range keys {
		rest := strings.TrimPrefix(k, prefix)
		if strings.Contains(rest, "/") || path.Ext(rest) != ".json" {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSuffix(rest, ".json")); err == nil && n > 0 {
			gens = append(gens, n)
		}
	}
	// Keys are sorted and zero-padded, so gens is ascending.
	return gens, nil
}
