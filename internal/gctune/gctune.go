// Package gctune lets a phase of orgiam trade a bounded amount of memory
// for fewer garbage collections: a higher GOGC under a soft memory limit,
// Go's documented pairing for it (https://go.dev/doc/gc-guide).
package gctune

import (
	"os"
	"runtime/debug"
)

// Relax sets the garbage collector's GOGC to percent and its soft memory
// limit to limit (or leaves a lower limit set before), and returns the
// function that puts the previous settings back. A user's own GOGC or
// GOMEMLIMIT is left alone: Relax then changes nothing.
func Relax(percent int, limit int64) (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	oldLimit := debug.SetMemoryLimit(-1)
	debug.SetMemoryLimit(min(oldLimit, limit))
	oldPercent := debug.SetGCPercent(percent)
	return func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	}
}
