package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// File stores objects as files under a folder. Files are created 0600 in
// folders 0700; every write goes to a temp file renamed into place.
//
// Durability: on Linux, a file that another vouches for (Vouched: an
// account's data sets, vouched for by its account.json) is renamed into
// place without an fsync of its own, and a voucher (Voucher) is preceded by
// one syncfs(2) of the whole filesystem, which makes every file written
// before it durable. Every other file is synced on its own before its
// rename, as is every file elsewhere. After a crash a voucher therefore
// names only whole files; an fsync per object was most of a scan's time in
// system calls on a busy disk. Removing a voucher syncs its folder, so
// that the files written again after it cannot outlive it in an older
// state.
type File struct {
	Root string
	// made holds the folders this File has already made: a Put into one of
	// them skips MkdirAll's stat, one syscall per object of the scan's
	// write path. A folder removed behind its back is made again when the
	// temp file cannot be created in it.
	made sync.Map
}

// NewFile returns a file store rooted at root (an absolute folder).
func NewFile(root string) *File { return &File{Root: root} }

func (f *File) String() string { return "file://" + filepath.ToSlash(f.Root) }

func (f *File) path(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") {
		return "", fmt.Errorf("store: invalid key %q", key)
	}
	for _, part := range strings.Split(key, "/") {
		if part == ".." || part == "." {
			return "", fmt.Errorf("store: invalid key %q", key)
		}
	}
	return filepath.Join(f.Root, filepath.FromSlash(key)), nil
}

// Check creates the root folder if needed and verifies it is writable.
func (f *File) Check(ctx context.Context) error {
	if err := os.MkdirAll(f.Root, 0o700); err != nil {
		return fmt.Errorf("store %s: cannot create folder: %w", f, err)
	}
	tmp, err := os.CreateTemp(f.Root, ".orgiam-check-*")
	if err != nil {
		return fmt.Errorf("store %s: folder is not writable: %w", f, err)
	}
	name := tmp.Name()
	tmp.Close()
	return os.Remove(name)
}

// Put writes data atomically.
func (f *File) Put(ctx context.Context, key string, data []byte) error {
	return f.write(ctx, key, data, false)
}

// Create writes data only if key does not exist (ErrExists otherwise).
func (f *File) Create(ctx context.Context, key string, data []byte) error {
	return f.write(ctx, key, data, true)
}

func (f *File) write(ctx context.Context, key string, data []byte, exclusive bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := f.path(key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	_, known := f.made.Load(dir)
	if !known {
		if err := f.mkdir(dir); err != nil {
			return err
		}
	}
	// CreateTemp opens the file 0600 itself (the umask can only take bits
	// away), so no chmod follows.
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(p)+"-*")
	if err != nil && known && errors.Is(err, fs.ErrNotExist) {
		if err := f.mkdir(dir); err != nil {
			return err
		}
		tmp, err = os.CreateTemp(dir, ".tmp-"+filepath.Base(p)+"-*")
	}
	if err != nil {
		return fmt.Errorf("store %s: %w", f, err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("store %s: write %s: %w", f, key, err)
	}
	// Synced before the rename: after a crash the name points at the whole
	// new content or at the old one, never at an empty file; a vouched
	// file waits for its voucher's syncfs.
	if sync := syncBefore(key, exclusive); sync != nil {
		if err := sync(tmp); err != nil {
			return fmt.Errorf("store %s: write %s: %w", f, key, err)
		}
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("store %s: write %s: %w", f, key, err)
	}
	if exclusive {
		// link(2) fails with EEXIST when the name exists: the check and the
		// write are one atomic step, and the object appears whole.
		if err := os.Link(name, p); err != nil {
			os.Remove(name)
			ok = true
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("store %s: %s: %w", f, key, ErrExists)
			}
			return fmt.Errorf("store %s: write %s: %w", f, key, err)
		}
		os.Remove(name)
	} else if err := os.Rename(name, p); err != nil {
		return fmt.Errorf("store %s: write %s: %w", f, key, err)
	}
	ok = true
	return nil
}

func (f *File) mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store %s: %w", f, err)
	}
	f.made.Store(dir, struct{}{})
	return nil
}

// Get reads a whole object.
func (f *File) Get(ctx context.Context, key string) ([]byte, error) {
	p, err := f.path(key)
	if err != nil {
		return nil, err
	}
	data, err := readFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store %s: %s: %w", f, key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", f, err)
	}
	return data, nil
}

// Exists reports whether key is a file.
func (f *File) Exists(ctx context.Context, key string) (bool, error) {
	p, err := f.path(key)
	if err != nil {
		return false, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store %s: %w", f, err)
	}
	return st.Mode().IsRegular(), nil
}

// List returns every key under prefix, sorted. Temp files are left out.
func (f *File) List(ctx context.Context, prefix string) ([]string, error) {
	dir := f.Root
	if prefix != "" {
		d := strings.TrimSuffix(prefix, "/")
		if i := strings.LastIndex(prefix, "/"); i >= 0 && !strings.HasSuffix(prefix, "/") {
			d = prefix[:i]
		} else if !strings.HasSuffix(prefix, "/") {
			d = ""
		}
		if d != "" {
			p, err := f.path(d)
			if err != nil {
				return nil, err
			}
			dir = p
		}
	}
	var keys []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".tmp-") || strings.HasPrefix(d.Name(), ".orgiam-check-") {
			return nil
		}
		rel, err := filepath.Rel(f.Root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", f, err)
	}
	sort.Strings(keys)
	return keys, nil
}

// ListDirs returns the sub-folders directly under prefix.
func (f *File) ListDirs(ctx context.Context, prefix string) ([]string, error) {
	dir := f.Root
	if p := strings.TrimSuffix(prefix, "/"); p != "" {
		var err error
		if dir, err = f.path(p); err != nil {
			return nil, err
		}
	}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", f, err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// Delete removes a key.
func (f *File) Delete(ctx context.Context, key string) error {
	p, err := f.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("store %s: %w", f, err)
	}
	if deferredSync && Voucher(key) {
		if err := syncDir(filepath.Dir(p)); err != nil {
			return fmt.Errorf("store %s: delete %s: %w", f, key, err)
		}
	}
	return nil
}

// syncBefore is how a new file is synced before its rename: with a syncfs
// for a voucher, not at all for a file its voucher will sync, on its own
// for every other file (and for every file without syncfs, and for a
// Create, which the run lock relies on).
func syncBefore(key string, exclusive bool) func(*os.File) error {
	if !deferredSync || exclusive {
		return fileSync
	}
	rest, ok := inRun(key)
	switch {
	case ok && voucher(rest):
		return fsSync
	case ok && vouched(rest):
		return nil
	}
	return fileSync
}

// fileSync and fsSync sync one file, and the filesystem (syncFS); tests
// count the calls.
var (
	fileSync = (*os.File).Sync
	fsSync   = syncFS
)

// syncDir makes the entries of a folder durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return fileSync(d)
}
