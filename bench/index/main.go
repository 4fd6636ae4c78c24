// Command index is the benchmark of the index step and the query commands.
// It collects a snapshot of a simulated organization (internal/fakeaws,
// 1,000 accounts by default, with its reports) into a temporary store, then
// builds the snapshot's index several times and runs the key, principal and
// trusts queries many times against it; it prints a table and records it
// under bench/results/.
//
//	go run ./bench/index                           # 1,000 accounts, 7 builds, 300 runs of each query
//	go run ./bench/index -store DIR -run RUN       # an existing snapshot instead
//
// Build figures are medians over the builds (wall time, CPU time of the
// process); "principal+statement rows/s" is the rows of the principals and
// statements tables divided by the build's wall time. Query figures are the
// median and 95th percentile of each call, in-process (no process start).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orgiam/orgiam/bench/internal/measure"
	"github.com/orgiam/orgiam/bench/internal/sim"
	"github.com/orgiam/orgiam/internal/fakeaws"
	"github.com/orgiam/orgiam/internal/index"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// Targets of the index issue.
const (
	targetBuildRows = 100000 // principal+statement rows per second
	targetQueryMS   = 5.0    // median of each query
)

func main() {
	accounts := flag.Int("accounts", 1000, "accounts of the simulated organization")
	builds := flag.Int("builds", 7, "index builds to time")
	queries := flag.Int("queries", 300, "runs of each query")
	storeDir := flag.String("store", "", "an existing store (folder) to read instead of collecting one")
	runID := flag.String("run", "", "with -store: the run to index (YYYY-MM-DD[/RUN-ID])")
	record := flag.Bool("record", true, "write the table under bench/results/")
	flag.Parse()
	ctx := context.Background()

	given := *storeDir != "" // a snapshot given, not collected here
	src := fmt.Sprintf("fakeaws snapshot of a generated organization of %d accounts (seed 7; the suspended and closing ones are not scanned)", *accounts)
	if given {
		if *runID == "" {
			fail(fmt.Errorf("-store needs -run"))
		}
		src = "snapshot " + *storeDir + " run " + *runID
	} else {
		dir, err := os.MkdirTemp("", "orgiam-bench-index-")
		if err != nil {
			fail(err)
		}
		defer os.RemoveAll(dir)
		fmt.Fprintf(os.Stderr, "collecting %d simulated accounts…\n", *accounts)
		t0 := time.Now()
		run, err := collect(ctx, dir, *accounts)
		if err != nil {
			fail(err)
		}
		fmt.Fprintf(os.Stderr, "collected in %v\n", time.Since(t0).Round(time.Millisecond))
		*storeDir, *runID = dir, run
	}
	r := snapshot.Reader{Store: store.NewFile(*storeDir), Run: *runID}

	tmp, err := os.MkdirTemp("", "orgiam-bench-index-db-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	b, err := timeBuilds(ctx, r, filepath.Join(tmp, "index.sqlite"), *builds)
	if err != nil {
		fail(err)
	}
	q, err := timeQueries(ctx, filepath.Join(tmp, "index.sqlite"), *queries)
	if err != nil {
		fail(err)
	}

	var out strings.Builder
	writeTables(&out, b, q)
	fmt.Print(out.String())
	if *record {
		host, _ := os.Hostname()
		base := "index-"
		switch {
		case given:
			base = "index-snapshot-"
		case *accounts != 1000:
			base = fmt.Sprintf("index-%d-accounts-", *accounts)
		}
		name := filepath.Join("bench", "results", base+time.Now().UTC().Format("2006-01-02")+".md")
		command := strings.TrimSpace("go run ./bench/index " + strings.Join(os.Args[1:], " "))
		head := fmt.Sprintf("# index benchmark, %s\n\nmachine: %s, %d CPUs, %s %s/%s; command: `%s`; %s; %d builds, %d runs of each query.\n\n",
			time.Now().UTC().Format(time.RFC3339), host, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH,
			command, src, *builds, *queries)
		if err := os.WriteFile(name, []byte(head+"```\n"+out.String()+"```\n"), 0o644); err != nil {
			fail(err)
		}
		fmt.Fprintln(os.Stderr, "recorded", name)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/index:", err)
	os.Exit(1)
}

// collect runs collect (with the reports: the index loads the findings)
// against a simulated organization, into a store under dir, and returns the run.
func collect(ctx context.Context, dir string, accounts int) (string, error) {
	r, err := sim.Collect(ctx, sim.Setup{
		Accounts: accounts, Store: dir, Knobs: fakeaws.Knobs{CredReportDelay: 100 * time.Millisecond},
		Concurrency: 50, RateLimit: 100000, Reports: true,
	})
	if err != nil {
		return "", err
	}
	if n := r.Out.Manifest.Totals.Failed; n > 0 {
		return "", fmt.Errorf("%d simulated accounts failed", n)
	}
	return r.Out.Plan.Run, nil
}

// builds is what the timed builds measured.
type builds struct {
	n                     int
	wall, wallMin, cpu    time.Duration // medians, and the fastest wall time
	accounts, principals  int
	statements, rows      int
	bytes                 int64
	rowsPerSec, pstPerSec float64 // from the median wall time
	peakRSSMB             float64 // the process's, over the builds
}

func timeBuilds(ctx context.Context, r snapshot.Reader, path string, n int) (builds, error) {
	var walls, cpus []time.Duration
	var st index.Stats
	measure.ResetPeakRSS()
	for i := 0; i < n; i++ {
		c0 := measure.CPUTime()
		var err error
		if st, err = index.Build(ctx, r, path, index.BuildOptions{}); err != nil {
			return builds{}, err
		}
		cpus = append(cpus, measure.CPUTime()-c0)
		walls = append(walls, st.Duration)
		fmt.Fprintf(os.Stderr, "build %d: %v\n", i+1, st.Duration.Round(time.Millisecond))
	}
	b := builds{n: n, wall: median(walls), wallMin: slices.Min(walls), cpu: median(cpus), peakRSSMB: measure.PeakRSSMB(),
		accounts: st.Accounts, principals: st.Principals, statements: st.Statements, rows: st.Rows, bytes: st.Bytes}
	b.pstPerSec = float64(st.Principals+st.Statements) / b.wall.Seconds()
	b.rowsPerSec = float64(st.Rows) / b.wall.Seconds()
	return b, nil
}

// query is what the timed runs of one query measured.
type query struct {
	name, arg string
	rows      int
	p50, p95  time.Duration
}

func timeQueries(ctx context.Context, path string, n int) ([]query, error) {
	db, err := index.Open(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// A key, its user's ARN and account, from the middle of the table.
	s, err := db.SQL(ctx, "SELECT key_id, user_arn, account_id FROM access_keys ORDER BY rowid LIMIT 1 OFFSET (SELECT count(*) / 2 FROM access_keys)")
	if err != nil || len(s.Data) == 0 {
		return nil, fmt.Errorf("no access key in the index to query: %v", err)
	}
	key, arn, account := s.Data[0][0], s.Data[0][1], s.Data[0][2]
	list := []struct {
		name, arg string
		f         func() (index.Rows, error)
	}{
		{"key", key, func() (index.Rows, error) { return db.Key(ctx, key) }},
		{"principal (exact ARN)", arn, func() (index.Rows, error) { return db.Principal(ctx, arn) }},
		{"trusts --account", account, func() (index.Rows, error) { return db.Trusts(ctx, account, false) }},
	}
	var out []query
	for _, q := range list {
		lat := make([]time.Duration, 0, n)
		var rows int
		for i := 0; i < n; i++ {
			t0 := time.Now()
			r, err := q.f()
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", q.name, q.arg, err)
			}
			lat = append(lat, time.Since(t0))
			rows = len(r.Data)
		}
		slices.Sort(lat)
		out = append(out, query{name: q.name, arg: q.arg, rows: rows, p50: lat[len(lat)/2], p95: lat[len(lat)*95/100]})
	}
	return out, nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func writeTables(w io.Writer, b builds, qs []query) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "build\taccounts\tprincipals\tstatements\tall rows\twall (median)\twall (fastest)\tCPU\tprincipal+statement rows/s\tall rows/s\tbytes/account\tpeak RSS MB\ttarget\t")
	verdict := "not met"
	if b.pstPerSec >= targetBuildRows {
		verdict = "met"
	}
	fmt.Fprintf(tw, "index.Build\t%d\t%d\t%d\t%d\t%v\t%v\t%v\t%.0f\t%.0f\t%d\t%.0f\t>= %d rows/s: %s\t\n",
		b.accounts, b.principals, b.statements, b.rows, b.wall.Round(time.Millisecond), b.wallMin.Round(time.Millisecond), b.cpu.Round(time.Millisecond),
		b.pstPerSec, b.rowsPerSec, b.bytes/int64(max(b.accounts, 1)), b.peakRSSMB, targetBuildRows, verdict)
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\targument\trows\tmedian\tp95\ttarget\t")
	for _, q := range qs {
		verdict := "not met"
		if float64(q.p50.Microseconds())/1000 < targetQueryMS {
			verdict = "met"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t< %.0f ms median: %s\t\n", q.name, q.arg, q.rows, ms(q.p50), ms(q.p95), targetQueryMS, verdict)
	}
	tw.Flush()
}
