package store

import (
	"context"
	"sort"
	"strings"
)

// Redirect is a Store that sends the keys of one run (IsRunLevelKey of run)
// to another prefix of the same store and every other key through unchanged.
// --overwrite runs the whole pipeline through it: every step reads and writes
// <run>/… as usual, the objects land under the staging prefix, and the old
// run stays complete and readable until the new one is switched in.
type Redirect struct {
	Inner Store
	Run   string // e.g. 2026-11-23 or 2026-11-23/r1
	To    string // e.g. .staging/2026-11-23
}

var _ Store = (*Redirect)(nil)

func (r *Redirect) key(k string) string {
	if IsRunLevelKey(r.Run, k) {
		return r.To + "/" + strings.TrimPrefix(k, r.Run+"/")
	}
	return k
}

// prefix maps a listing prefix that lies inside the run; others pass.
func (r *Redirect) prefix(p string) (string, bool) {
	if strings.HasPrefix(p, r.Run+"/") && IsRunLevelKey(r.Run, strings.TrimSuffix(p, "/")+"/x") {
		return r.To + "/" + strings.TrimPrefix(p, r.Run+"/"), true
	}
	return p, false
}

func (r *Redirect) Put(ctx context.Context, key string, data []byte) error {
	return r.Inner.Put(ctx, r.key(key), data)
}

func (r *Redirect) Create(ctx context.Context, key string, data []byte) error {
	if c, ok := r.Inner.(Creator); ok {
		return c.Create(ctx, r.key(key), data)
	}
	return r.Inner.Put(ctx, r.key(key), data)
}

func (r *Redirect) Get(ctx context.Context, key string) ([]byte, error) {
	return r.Inner.Get(ctx, r.key(key))
}

func (r *Redirect) Exists(ctx context.Context, key string) (bool, error) {
	return r.Inner.Exists(ctx, r.key(key))
}

func (r *Redirect) Delete(ctx context.Context, key string) error {
	return r.Inner.Delete(ctx, r.key(key))
}

func (r *Redirect) List(ctx context.Context, prefix string) ([]string, error) {
	p, inside := r.prefix(prefix)
	keys, err := r.Inner.List(ctx, p)
	if err != nil || !inside {
		return keys, err
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, r.Run+"/"+strings.TrimPrefix(k, r.To+"/"))
	}
	sort.Strings(out)
	return out, nil
}

func (r *Redirect) ListDirs(ctx context.Context, prefix string) ([]string, error) {
	p, _ := r.prefix(prefix)
	return r.Inner.ListDirs(ctx, p)
}

func (r *Redirect) Check(ctx context.Context) error { return r.Inner.Check(ctx) }
func (r *Redirect) String() string                  { return r.Inner.String() }
