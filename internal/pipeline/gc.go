package pipeline

import "github.com/orgiam/orgiam/internal/gctune"

// ScanGCBudget is the heap size below which gcForScan lets the collector
// wait while accounts are scanned. The scan's own target is a peak RSS of
// at most 250 MB at 10,000 accounts; goroutine stacks and the runtime's
// own memory come on top of the heap.
const ScanGCBudget = 160 << 20

// gcForScan makes the garbage collector run less often while accounts are
// scanned, and returns the function that puts the previous settings back.
//
// Why: a scan allocates about 50 KB per API call (the SDK builds its
// middleware stack, request and XML decoder for every call) and keeps
// little of it: the live heap stays at a few tens of MB, so with the
// default GOGC=100 the collector runs every few tens of MB allocated, and
// its marking and assists were about an eighth of the scan's CPU in
// go run ./bench/collect (1,000 accounts). GOGC=400 with a soft memory
// limit of ScanGCBudget (Go's documented way to trade a bounded amount of
// memory for fewer collections) lets the heap grow to five times the live
// data and no further than the budget: above it the runtime collects as
// usual, so a larger scan still fits the memory it always did.
//
// A user's own GOGC or GOMEMLIMIT is left alone, and so is a lower limit
// set before.
func gcForScan() (restore func()) { return gctune.Relax(400, ScanGCBudget) }
