package gctune

import (
	"runtime/debug"
	"testing"
)

func TestRelaxAndRestore(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	percent0 := debug.SetGCPercent(100)
	limit0 := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(percent0); debug.SetMemoryLimit(limit0) })

	restore := Relax(400, 64<<20)
	if p := debug.SetGCPercent(400); p != 400 {
		t.Errorf("GOGC %d while relaxed, want 400", p)
	}
	if l := debug.SetMemoryLimit(-1); l != 64<<20 {
		t.Errorf("memory limit %d while relaxed, want %d", l, 64<<20)
	}
	restore()
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GOGC %d after restore, want 100", p)
	}
	if l := debug.SetMemoryLimit(-1); l != limit0 {
		t.Errorf("memory limit %d after restore, want %d", l, limit0)
	}

	// A lower limit set before stays.
	debug.SetMemoryLimit(32 << 20)
	restore = Relax(400, 64<<20)
	if l := debug.SetMemoryLimit(-1); l != 32<<20 {
		t.Errorf("memory limit %d, want the lower 32 MiB kept", l)
	}
	restore()
	debug.SetMemoryLimit(limit0)

	// The user's own setting wins.
	t.Setenv("GOGC", "150")
	restore = Relax(400, 64<<20)
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GOGC %d with GOGC set by the user, want it untouched (100)", p)
	}
	restore()
}
