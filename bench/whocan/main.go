// Command whocan is the benchmark of `orgiam who-can`: it collects a
// snapshot of a simulated organization (internal/fakeaws, 10,000 accounts by
// default) into a temporary store, then times, several times over, loading
// the snapshot for the evaluator (every principal and policy read and
// compiled) and answering who-can s3:GetObject on one bucket's objects
// across the whole organization, role-assumption chains included. It prints
// a table and records it under bench/results/.
//
//	go run ./bench/whocan                          # 10,000 accounts, 5 runs
//	go run ./bench/whocan -store DIR -run RUN      # an existing snapshot instead
//	go run ./bench/whocan -keep DIR                # collect into DIR and keep it
//
// Figures are medians over the runs (wall time, and CPU time of the
// process, which the other users of a shared machine disturb less); peak RSS is the process's high-water
// mark over all of them (the collection is not part of it: it runs first,
// and the mark is reset after it).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orgiam/orgiam/bench/internal/measure"
	"github.com/orgiam/orgiam/bench/internal/sim"
	"github.com/orgiam/orgiam/internal/access"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

const (
	targetQuery = 2 * time.Second
	targetRSSMB = 500.0
)

func main() {
	accounts := flag.Int("accounts", 10000, "accounts of the simulated organization")
	runs := flag.Int("runs", 5, "timed runs")
	storeDir := flag.String("store", "", "an existing store (folder) instead of collecting one")
	runID := flag.String("run", "", "with -store: the run (YYYY-MM-DD[/RUN-ID])")
	keep := flag.String("keep", "", "collect into this folder and keep it")
	record := flag.Bool("record", true, "write the table under bench/results/")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the timed runs to this file")
	memprofile := flag.String("memprofile", "", "write a heap profile, taken after the last run, to this file")
	cacheDir := flag.String("cache-dir", "", "load through the evaluator's model cache in this folder, as the CLI does (filled by one untimed load first)")
	gc := flag.String("gc", "cli", "garbage collector settings: cli (those the who-can command uses, access.GCForLoad) or default")
	flag.Parse()
	ctx := context.Background()

	src := fmt.Sprintf("fakeaws snapshot of a generated organization of %d accounts (seed 7)", *accounts)
	if *storeDir != "" {
		if *runID == "" {
			fail(fmt.Errorf("-store needs -run"))
		}
		src = "snapshot " + *storeDir + " run " + *runID
	} else {
		dir := *keep
		if dir == "" {
			d, err := os.MkdirTemp("", "orgiam-bench-whocan-")
			if err != nil {
				fail(err)
			}
			defer os.RemoveAll(d)
			dir = d
		}
		fmt.Fprintf(os.Stderr, "collecting %d simulated accounts into %s…\n", *accounts, dir)
		t0 := time.Now()
		r, err := sim.Collect(ctx, sim.Setup{Accounts: *accounts, Store: dir, Knobs: fakeaws.Knobs{CredReportDelay: 100 * time.Millisecond}, Concurrency: 50, RateLimit: 100000})
		if err != nil {
			fail(err)
		}
		fmt.Fprintf(os.Stderr, "collected in %v (run %s)\n", time.Since(t0).Round(time.Second), r.Out.Plan.Run)
		*storeDir, *runID = dir, r.Out.Plan.Run
	}
	reader := snapshot.Reader{Store: store.NewFile(*storeDir), Run: *runID}

	// The bucket: the s3-data-access policy fakeaws gives some roles names
	// data-<account>; take the first account's.
	accts, err := reader.Accounts(ctx)
	if err != nil {
		fail(err)
	}
	resource := "arn:aws:s3:::data-" + accts[len(accts)/2].ID + "/*"
	q := access.Ask{Action: "s3:GetObject", Resource: resource}

	switch *gc {
	case "cli":
		defer access.GCForLoad()()
	case "default":
	default:
		fail(fmt.Errorf("-gc %q: want cli or default", *gc))
	}
	fill := "no cache (every account's JSON read each run)"
	if *cacheDir != "" {
		t0 := time.Now()
		var cached bool
		if _, err := access.LoadWith(ctx, reader, access.LoadOptions{CacheDir: *cacheDir, Cached: &cached}); err != nil {
			fail(err)
		}
		fill = fmt.Sprintf("model cache in %s (the untimed first load, cached=%v, took %v)", *cacheDir, cached, time.Since(t0).Round(time.Millisecond))
	}
	runtime.GC()
	measure.ResetPeakRSS()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	calib := measure.Calibrate()
	var loads, queries, totals, loadCPU, queryCPU []time.Duration
	stolen0, timed0 := measure.Stolen(), time.Now()
	var org *access.Org
	var grants []access.Grant
	for i := 0; i < *runs; i++ {
		org = nil
		runtime.GC()
		c0, t0 := measure.CPUTime(), time.Now()
		var cached bool
		org, err = access.LoadWith(ctx, reader, access.LoadOptions{CacheDir: *cacheDir, Cached: &cached})
		if err != nil {
			fail(err)
		}
		if *cacheDir != "" && !cached {
			fail(fmt.Errorf("run %d: the model cache was not used", i+1))
		}
		c1, t1 := measure.CPUTime(), time.Now()
		grants, err = org.WhoCan(ctx, q, access.WhoCanOptions{})
		if err != nil {
			fail(err)
		}
		c2, t2 := measure.CPUTime(), time.Now()
		loadCPU, queryCPU = append(loadCPU, c1-c0), append(queryCPU, c2-c1)
		loads, queries, totals = append(loads, t1.Sub(t0)), append(queries, t2.Sub(t1)), append(totals, t2.Sub(t0))
		fmt.Fprintf(os.Stderr, "run %d: load %v, who-can %v, %d principals can\n", i+1, t1.Sub(t0).Round(time.Millisecond), t2.Sub(t1).Round(time.Millisecond), len(grants))
	}
	stolen, timed := measure.Stolen()-stolen0, time.Since(timed0)
	rss := measure.PeakRSSMB()
	if *memprofile != "" {
		f, err := os.Create(*memprofile)
		if err != nil {
			fail(err)
		}
		runtime.GC()
		pprof.WriteHeapProfile(f)
		f.Close()
	}
	loadavg, _ := os.ReadFile("/proc/loadavg")
	chained := 0
	for _, g := range grants {
		if len(g.Via) > 0 {
			chained++
		}
	}
	verdict := func(ok bool, s string) string {
		if ok {
			return s + ": met"
		}
		return s + ": NOT met"
	}
	var b strings.Builder
	host, _ := os.Hostname()
	_ = host
	fmt.Fprintf(&b, "# who-can benchmark, %s\n\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "machine: %d CPUs, %s %s/%s; command: `go run ./bench/whocan %s`; %s; %d runs.\n\n",
		runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, strings.Join(os.Args[1:], " "), src, *runs)
	fmt.Fprintf(&b, "garbage collector: -gc %s (cli: GOGC=400 with a %d MiB soft memory limit while loading and querying, as the who-can command sets it; default: Go's defaults)\n\n", *gc, access.GCBudget>>20)
	fmt.Fprintf(&b, "loading: %s\n\n", fill)
	fmt.Fprintf(&b, "question: who-can s3:GetObject --resource %s (role assumption followed, depth 3); load average at the end: %s (the 2 cores are shared)\n\n", resource, strings.TrimSpace(string(loadavg)))
	fmt.Fprintf(&b, "machine speed before the timed runs (measure.Calibrate: sorting 16 MiB on one core): %v; CPU the host took from this machine during them (steal, /proc/stat): %v of %v (%d cores × %v)\n\n```\n",
		calib.Round(time.Millisecond), stolen.Round(10*time.Millisecond), (time.Duration(runtime.NumCPU()) * timed).Round(10*time.Millisecond), runtime.NumCPU(), timed.Round(10*time.Millisecond))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "accounts\tprincipals\tcan (direct+chained)\tload wall\tload CPU\twho-can wall\twho-can CPU\tload+who-can wall\tpeak RSS MB\ttarget who-can\ttarget load+who-can\ttarget RSS\t")
	fmt.Fprintf(tw, "%d\t%d\t%d (%d+%d)\t%v\t%v\t%v\t%v\t%v\t%.0f\t%s\t%s\t%s\t\n", len(org.Accounts), len(org.Principals), len(grants), len(grants)-chained, chained,
		med(loads).Round(time.Millisecond), med(loadCPU).Round(time.Millisecond), med(queries).Round(time.Millisecond), med(queryCPU).Round(time.Millisecond), med(totals).Round(time.Millisecond), rss,
		verdict(med(queries) <= targetQuery, "<= 2s"), verdict(med(totals) <= targetQuery, "<= 2s"), verdict(rss <= targetRSSMB, "<= 500 MB"))
	tw.Flush()
	b.WriteString("```\n")
	fmt.Print(b.String())
	if *record {
		name := filepath.Join("bench", "results", fmt.Sprintf("whocan-%d-accounts-%s.md", len(org.Accounts), time.Now().UTC().Format("2006-01-02")))
		if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "record:", err)
		} else {
			fmt.Fprintln(os.Stderr, "recorded", name)
		}
	}
}

func med(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "whocan:", err)
	os.Exit(1)
}
