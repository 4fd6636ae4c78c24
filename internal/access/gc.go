package access

import "github.com/orgiam/orgiam/internal/gctune"

// GCBudget is the heap size below which GCForLoad lets the collector wait.
// A 10,000-account organization needs about 250 MB of live heap once
// loaded. The ≤ 500 MB peak RSS target is the whole orgiam process's: with
// a 450 MiB limit the CLI peaked at 506–519 MB, about 30 MB above the
// benchmark program, with 425 MiB at 483 MB
// (bench/results/whocan-9499-accounts-2026-12-02-speed.md).
const GCBudget = 425 << 20

// GCForLoad makes the garbage collector run less often while an
// organization is loaded and queried, and returns the function that puts
// the previous settings back.
//
// Why: loading allocates a few hundred bytes per decoded JSON field, nearly
// all of it kept (the principals and compiled policies), so with the
// default GOGC=100 the collector runs about a dozen times on a heap that
// only grows, and rescans it each time: about a third of the loading CPU on
// a 10,000-account organization. GOGC=400 with a soft memory limit of
// GCBudget (Go's documented way to trade a bounded amount of memory for
// fewer collections) keeps the number of collections small and the peak
// heap under the limit; above it the runtime collects as usual (its limiter
// caps the collector's CPU share), so larger organizations still load.
//
// A user's own GOGC or GOMEMLIMIT is left alone.
func GCForLoad() (restore func()) { return gctune.Relax(400, GCBudget) }
