package cli

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/store"
)

// tree lists every path under root with its size and modification time.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		out[p] = fmt.Sprint(fi.ModTime().UnixNano(), "/", fi.Size(), "/", fi.Mode())
		return nil
	})
	return out
}

func faultReadOnlyStore(t *testing.T) int {
	_, sim, cfg := runWorld(t, 4, fakeaws.Knobs{})
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := runCollect(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth); err != nil {
		t.Fatalf("collect: %v\n%s", err, errb.String())
	}
	run := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := Run(ctx, args, IO{Out: &o, Err: &e, Now: testNow})
		return code, o.String(), e.String()
	}
	outDir := t.TempDir()
	before := tree(t, cfg.Store)
	if !isRoot() {
		// Make the store read-only for real where permissions apply.
		filepath.WalkDir(cfg.Store, func(p string, d fs.DirEntry, err error) error {
			if d.IsDir() {
				return os.Chmod(p, 0o500)
			}
			return os.Chmod(p, 0o400)
		})
		t.Cleanup(func() {
			filepath.WalkDir(cfg.Store, func(p string, d fs.DirEntry, err error) error { return os.Chmod(p, 0o700) })
		})
	}
	for _, args := range [][]string{
		{"report", "users", "--store", cfg.Store},
		{"report", "findings", "--store", cfg.Store, "--format", "json", "--out", filepath.Join(outDir, "f.json")},
		{"query", "admins", "--store", cfg.Store},
		{"index", "--store", cfg.Store, "--out", filepath.Join(outDir, "index.sqlite")},
	} {
		if code, _, e := run(args...); code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, e)
		}
	}
	after := tree(t, cfg.Store)
	for p, v := range after {
		if before[p] != v {
			t.Errorf("a reader changed or created %s", p)
		}
	}
	if len(after) != len(before) {
		t.Errorf("readers changed the store: %d paths before, %d after", len(before), len(after))
	}

	t.Run("meta.complete of a collected run", func(t *testing.T) {
		code, o, e := run("query", "sql", "SELECT value FROM meta WHERE key = 'complete'", "--store", cfg.Store, "--format", "csv")
		if code != 0 || !strings.Contains(o, "\n1") {
			t.Fatalf("meta.complete: exit %d %q %s", code, o, e)
		}
	})
	t.Run("a missing store folder is not created", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nothing-here")
		for _, cmd := range []string{"report", "query", "index"} {
			args := []string{cmd, "--store", missing}
			switch cmd {
			case "report":
				args = append(args, "users")
			case "query":
				args = append(args, "admins")
			}
			code, _, e := run(args...)
			if code != ExitUsage || !strings.Contains(e, "no such folder") {
				t.Errorf("%s on a missing store: exit %d %s", cmd, code, e)
			}
			if _, err := os.Stat(missing); err == nil {
				t.Fatalf("%s created the missing store folder", cmd)
			}
		}
	})
	t.Run("query --out is kept when the query fails", func(t *testing.T) {
		keep := filepath.Join(outDir, "keep.txt")
		os.WriteFile(keep, []byte("keep"), 0o600)
		code, _, _ := run("query", "admins", "--store", cfg.Store, "--format", "xml", "--out", keep)
		if got, _ := os.ReadFile(keep); code != ExitUsage || string(got) != "keep" {
			t.Fatalf("exit %d, file %q", code, got)
		}
	})
	t.Run("unknown query", func(t *testing.T) {
		if code, _, e := run("query", "foo", "--store", cfg.Store); code != ExitUsage || !strings.Contains(e, `unknown query "foo"`) {
			t.Fatalf("query foo: exit %d %s", code, e)
		}
	})
	return lost(t, store.NewFile(cfg.Store), "2026-11-23", nil)
}

func faultDamagedManifest(t *testing.T) int {
	_, sim, cfg := runWorld(t, 3, fakeaws.Knobs{})
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := runCollect(ctx, IO{Out: &out, Err: &errb, Now: testNow}, cfg, sim.Auth); err != nil {
		t.Fatalf("collect: %v\n%s", err, errb.String())
	}
	damaged := filepath.Join(cfg.Store, "2026-11-24", "manifest.json")
	os.MkdirAll(filepath.Dir(damaged), 0o700)
	os.WriteFile(damaged, nil, 0o600)
	var o, e bytes.Buffer
	code := Run(ctx, []string{"report", "summary", "--store", cfg.Store}, IO{Out: &o, Err: &e, Now: testNow})
	if code != 0 || !strings.Contains(e.String(), "skipping run 2026-11-24") || !strings.Contains(e.String(), "2026-11-24/manifest.json") {
		t.Fatalf("exit %d, stderr %q", code, e.String())
	}
	return lost(t, store.NewFile(cfg.Store), "2026-11-23", nil)
}

func isRoot() bool { return os.Geteuid() == 0 }

func TestReaderStoreErrorNamesTheVariable(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	t.Setenv("ORGIAM_STORE", missing)
	var o, e bytes.Buffer
	code := Run(context.Background(), []string{"query", "admins"}, IO{Out: &o, Err: &e, Now: testNow})
	if code != ExitUsage || !strings.HasPrefix(e.String(), "orgiam: ORGIAM_STORE "+missing+": no such folder") {
		t.Fatalf("exit %d %q", code, e.String())
	}
}
