// Command collect is orgiam's performance benchmark: it runs the collect
// pipeline against the in-repo AWS emulator (internal/fakeaws) with a fixed
// latency per call, prints a table, and records it under bench/results/.
//
//	go run ./bench/collect                    # the full table (100, 1,000 and 10,000 accounts)
//	go run ./bench/collect -cases small       # a quick look
//
// Each case reports wall time, accounts per minute, the lower bound of the
// run — max(total calls ÷ rate limit, total calls × latency ÷ concurrency) —
// and wall ÷ bound, API calls and objects written per account, throttles
// absorbed, accounts failed, and the process's peak RSS.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orgiam/orgiam/bench/internal/measure"
	"github.com/orgiam/orgiam/bench/internal/sim"
	"github.com/orgiam/orgiam/internal/fakeaws"
)

// Case is one line of the table.
type Case struct {
	Name        string
	Accounts    int
	Size        fakeaws.Size
	Concurrency int
	// RateLimit is orgiam's --rate-limit (0: effectively unlimited).
	RateLimit float64
	// ServerRate is the emulator's own limit per calling account (0: none),
	// answered with Throttling beyond it.
	ServerRate float64
	Target     string
}

// Result is what one case measured.
type Result struct {
	Case
	Wall           time.Duration
	Calls          int64
	Throttles      int64
	Objects        int64
	OK, Failed     int
	Bound          time.Duration
	PeakRSSMB      float64
	ServerThrottle int64
}

const latency = 20 * time.Millisecond

func cases(which string) []Case {
	small := fakeaws.Size{Users: 3, Roles: 3, Groups: 2, Policies: 2}
	all := []Case{
		{Name: "100 accounts, latency-bound", Accounts: 100, Concurrency: 50, RateLimit: 100000},
		{Name: "1,000 accounts, rate limit binding", Accounts: 1000, Concurrency: 50, RateLimit: 400, Target: "wall/bound <= 1.15"},
		{Name: "1,000 accounts, server limit at half the offered load", Accounts: 1000, Concurrency: 50, RateLimit: 100000, ServerRate: 1250, Target: "0 accounts failed"},
		{Name: "10,000 accounts, small accounts", Accounts: 10000, Size: small, Concurrency: 100, RateLimit: 100000, Target: "peak RSS <= 250 MB"},
	}
	switch which {
	case "small":
		return []Case{
			{Name: "100 accounts, latency-bound", Accounts: 100, Concurrency: 50, RateLimit: 100000},
			{Name: "100 accounts, rate limit binding", Accounts: 100, Concurrency: 50, RateLimit: 300, Target: "wall/bound <= 1.15"},
		}
	case "all", "":
		return all
	}
	var out []Case
	for _, c := range all {
		if strings.Contains(c.Name, which) {
			out = append(out, c)
		}
	}
	return out
}

func main() {
	which := flag.String("cases", "all", "all, small, or a substring of a case name")
	record := flag.Bool("record", true, "write the table under bench/results/")
	work := flag.String("work", "", "folder for the snapshots (default: a temp folder, removed)")
	flag.Parse()
	ctx := context.Background()
	var results []Result
	for _, c := range cases(*which) {
		r, err := run(ctx, c, *work)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", c.Name, err)
			os.Exit(1)
		}
		results = append(results, r)
		fmt.Fprintf(os.Stderr, "done: %s in %v\n", c.Name, r.Wall.Round(time.Millisecond))
	}
	var b strings.Builder
	writeTable(&b, results)
	fmt.Print(b.String())
	if *record {
		host, _ := os.Hostname()
		name := filepath.Join("bench", "results", "collect-"+time.Now().UTC().Format("2006-01-02")+".md")
		head := fmt.Sprintf("# collect benchmark, %s\n\nmachine: %s, %d CPUs, %s %s/%s; command: `go run ./bench/collect -cases %s`; latency %v per call.\n\n",
			time.Now().UTC().Format(time.RFC3339), host, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, *which, latency)
		if err := os.WriteFile(name, []byte(head+"```\n"+b.String()+"```\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "recorded", name)
	}
}

func run(ctx context.Context, c Case, work string) (Result, error) {
	res := Result{Case: c}
	dir := work
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "orgiam-bench-"); err != nil {
			return res, err
		}
		defer os.RemoveAll(dir)
	}
	r, err := sim.Collect(ctx, sim.Setup{
		Accounts: c.Accounts, Size: c.Size, Store: filepath.Join(dir, strconv.Itoa(c.Accounts)),
		Knobs:       fakeaws.Knobs{Latency: latency, RatePerAccount: c.ServerRate, Burst: int(c.ServerRate / 10)},
		Concurrency: c.Concurrency, RateLimit: c.RateLimit,
	})
	if err != nil {
		return res, err
	}
	res.Wall = r.Wall
	res.Calls, res.Throttles, res.Objects = r.Calls, r.Throttles, r.Objects
	res.OK, res.Failed = r.Out.Manifest.Totals.OK, r.Out.Manifest.Totals.Failed
	res.ServerThrottle = r.ServerThrottles
	byRate := time.Duration(float64(res.Calls) / c.RateLimit * float64(time.Second))
	byLatency := time.Duration(res.Calls) * latency / time.Duration(c.Concurrency)
	res.Bound = max(byRate, byLatency)
	res.PeakRSSMB = measure.PeakRSSMB()
	return res, nil
}

func writeTable(w io.Writer, rs []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\taccounts\twall\taccts/min\tbound\twall/bound\tcalls/acct\tobjects/acct\tthrottles\tfailed\tpeak RSS MB\ttarget\t")
	for _, r := range rs {
		n := float64(max(r.OK+r.Failed, 1))
		fmt.Fprintf(tw, "%s\t%d\t%v\t%.0f\t%v\t%.3f\t%.1f\t%.1f\t%d\t%d\t%.0f\t%s\t\n",
			r.Name, r.Accounts, r.Wall.Round(time.Millisecond), n/r.Wall.Minutes(), r.Bound.Round(time.Millisecond),
			float64(r.Wall)/float64(r.Bound), float64(r.Calls)/n, float64(r.Objects)/n, r.Throttles, r.Failed, r.PeakRSSMB, r.Target)
	}
	tw.Flush()
}
