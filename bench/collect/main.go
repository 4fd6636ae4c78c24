// Command collect is orgiam's performance benchmark: it runs the collect
// pipeline against the in-repo AWS emulator (internal/fakeaws) with a fixed
// latency per call, prints a table, and records it under bench/results/.
//
//	go run ./bench/collect                    # every case below
//	go run ./bench/collect -cases small       # a quick look
//	go run ./bench/collect -cases "server limit"
//
// Nothing is passed to orgiam beyond the emulator's address: no
// --rate-limit, the default concurrency. The emulator runs in a process of
// its own (this binary, started again with sim.ServeArg), so its CPU time
// and memory are not the measured process's. Each case reports wall time,
// the case's lower bound and wall ÷ bound, the rate the server granted, API
// calls and objects written per account, throttles absorbed, accounts
// failed, orgiam's peak RSS (reset before each case), orgiam's and the
// emulator's CPU time and the garbage collector's share of orgiam's, and
// the CPU time the host took from the machine during the case (steal: on
// a shared host the same build runs up to twice as long when its
// neighbours are busy, so rows compare only when neither lost much).
//
// The bound never comes from orgiam's own settings:
//   - server-limited cases: every service has its own token bucket per
//     origin account (rate r_s, burst b_s); the bound is
//     max over services s of (calls granted by s − b_s) ÷ r_s: the time the
//     slowest service's bucket needs to grant the calls the run needed of it
//     (its burst is granted at once). "of limit" is that service's granted
//     calls per second of wall time ÷ r_s;
//   - latency-bound cases: total calls × the server's latency ÷ the number
//     of accounts in flight (50, collect's default) — the time 50 workers
//     making one call at a time would need. orgiam's calls inside one
//     account overlap, so a run can beat it; its purpose is to show how
//     close the run gets to being latency-bound at all.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orgiam/orgiam/bench/internal/measure"
	"github.com/orgiam/orgiam/bench/internal/sim"
	"github.com/orgiam/orgiam/internal/config"
	"github.com/orgiam/orgiam/internal/fakeaws"
)

// Case is one line of the table.
type Case struct {
	Name     string
	Accounts int
	Size     fakeaws.Size
	// ServerRate is the emulator's token bucket per origin account for IAM,
	// STS and Organizations (0: none), with a burst of one second of it; above
	// it the emulator answers Throttling and tells the client nothing else.
	ServerRate float64
	// Fault is started once the scan begins: "throttle-60s" throttles every
	// call for a minute; "silent" stops answering for good.
	Fault  string
	Target string
	// SmallAttemptTimeout is passed to awsauth (0: its default).
	SmallAttemptTimeout time.Duration
	// Regions are the regions every account has enabled (none: IAM only).
	Regions []string
	// Throttle gives services their own limits (signing name → bucket);
	// the others get ServerRate.
	Throttle map[string]fakeaws.Bucket
	// ResourcesPerRegion is fakeaws's resources of each service per account
	// and region (0: its default, 3).
	ResourcesPerRegion int
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
	Granted        int64
	PeakRate       float64
	PeakRSSMB      float64
	ServerThrottle int64
	CPU, EmuCPU    time.Duration
	GCCPU          time.Duration // orgiam's garbage collector's CPU time (measure.GCCPU)
	Discovered     time.Duration // when discovery ended
	Load0, Load1   string        // 1-minute load average before and after the case
	Stolen         time.Duration // CPU the host took from the machine during the case (measure.Stolen)
	Bottleneck     string        // the service that sets the bound
	OfLimit        float64       // its granted calls per second of wall ÷ its rate
}

const latency = 20 * time.Millisecond

// concurrency is collect's default --concurrency, read from the config table.
var concurrency = config.Defaults().Concurrency

// regions4 are the four regions of the account × region cases.
var regions4 = []string{"us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"}

// perService are the limits of the "limit per service" case: each service
// its own bucket per origin account with a burst of one second of it. KMS's
// is the one that sets the bound (its calls ÷ its rate is the largest); every
// other service is throttled too, each on its own, none far from KMS's time.
var perService = map[string]fakeaws.Bucket{
	"kms": {Rate: 120, Burst: 120}, "lambda": {Rate: 150, Burst: 150}, "s3": {Rate: 150, Burst: 150},
	"iam": {Rate: 150, Burst: 150}, "ecr": {Rate: 150, Burst: 150},
	"sqs": {Rate: 100, Burst: 100}, "sns": {Rate: 100, Burst: 100}, "secretsmanager": {Rate: 100, Burst: 100},
	"access-analyzer": {Rate: 40, Burst: 40}, "ec2": {Rate: 20, Burst: 20}, "sts": {Rate: 20, Burst: 20},
	"organizations": {Rate: 20, Burst: 20},
}

func cases(which string) []Case {
	small := fakeaws.Size{Users: 3, Roles: 3, Groups: 2, Policies: 2}
	all := []Case{
		{Name: "100 accounts, latency-bound", Accounts: 100, Target: "wall/bound <= 1.3"},
		{Name: "1,000 accounts, latency-bound", Accounts: 1000, Target: "wall/bound <= 1.3"},
		{Name: "1,000 accounts, server limit 50/s", Accounts: 1000, ServerRate: 50, Target: "of limit >= 0.85, 0 failed"},
		{Name: "1,000 accounts, server limit 200/s", Accounts: 1000, ServerRate: 200, Target: "of limit >= 0.85, 0 failed"},
		{Name: "1,000 accounts, server limit 1000/s", Accounts: 1000, ServerRate: 1000, Target: "of limit >= 0.85, 0 failed"},
		{Name: "1,000 accounts x 4 regions, a limit per service", Accounts: 1000, Regions: regions4, Throttle: perService, Size: small, ResourcesPerRegion: 1, Target: "wall/bound <= 1.2, objects <= 16"},
		{Name: "100 accounts, server throttles everything for 60 s", Accounts: 100, Fault: "throttle-60s", Target: "0 failed"},
		{Name: "100 accounts, server stops answering", Accounts: 100, Fault: "silent", Target: "all fail, bounded time"},
		{Name: "100 accounts, server stops answering, 20 s per attempt of every call", Accounts: 100, Fault: "silent", SmallAttemptTimeout: 20 * time.Second, Target: "the same without the small-read bound"},
		{Name: "10,000 accounts, small accounts", Accounts: 10000, Size: small, Target: "peak RSS <= 250 MB"},
		{Name: "10,000 accounts x 4 regions, small accounts", Accounts: 10000, Size: small, Regions: regions4, ResourcesPerRegion: 1, Target: "peak RSS <= 250 MB"},
	}
	switch which {
	case "small":
		return []Case{
			{Name: "100 accounts, latency-bound", Accounts: 100, Target: "wall/bound <= 1.3"},
			{Name: "100 accounts, server limit 200/s", Accounts: 100, ServerRate: 200, Target: "granted >= 0.85 x limit, 0 failed"},
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
	if len(os.Args) > 1 && os.Args[1] == sim.ServeArg {
		sim.ServeMain(os.Args[2:])
		return
	}
	which := flag.String("cases", "all", "all, small, or a substring of a case name")
	record := flag.Bool("record", true, "write the table under bench/results/")
	work := flag.String("work", "", "folder for the snapshots, kept (default: a temp folder, removed at the end)")
	accounts := flag.Int("accounts", 0, "override every case's account count (a quick look)")
	suffix := flag.String("suffix", "", "recorded file: bench/results/collect-<date><suffix>.md")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole benchmark to this file")
	memprofile := flag.String("memprofile", "", "write an allocation profile of the whole benchmark to this file at the end")
	flag.Parse()
	ctx := context.Background()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if *memprofile != "" {
		defer func() {
			f, err := os.Create(*memprofile)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		}()
	}
	// The cases' snapshots are removed once the table is out, not after
	// each case: removing thousands of files makes the next thousands this
	// filesystem creates cost more (after 33,000 files were removed, the
	// next 1,000-account run took 15.4 s of CPU instead of 11.0, and the
	// run after it 10.9), so a case would pay for the one before it.
	scratch, cleanup := *work, func() {}
	if scratch == "" {
		dir, err := os.MkdirTemp("", "orgiam-bench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		scratch, cleanup = dir, func() { os.RemoveAll(dir) }
	}
	defer cleanup()
	calib := measure.Calibrate()
	fmt.Fprintf(os.Stderr, "machine speed (sorting 16 MiB on one core): %v\n", calib.Round(time.Millisecond))
	var results []Result
	for i, c := range cases(*which) {
		if *accounts > 0 {
			_, rest, _ := strings.Cut(c.Name, " accounts")
			c.Name, c.Accounts = strconv.Itoa(*accounts)+" accounts"+rest, *accounts
		}
		// A folder of its own per case: a case must not find the one
		// before's account list (a fault starts when it appears).
		r, err := run(ctx, c, filepath.Join(scratch, "case"+strconv.Itoa(i+1)))
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", c.Name, err)
			cleanup()
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
		workFlag := ""
		if *work != "" {
			workFlag = " -work " + *work + " (kept)"
		}
		name := filepath.Join("bench", "results", "collect-"+time.Now().UTC().Format("2006-01-02")+*suffix+".md")
		load, _ := os.ReadFile("/proc/loadavg") // the 1-minute figure covers the last case
		head := fmt.Sprintf("# collect benchmark, %s\n\nmachine: %s, %d CPUs, %s %s/%s; load average at the end: %s; speed at the start (measure.Calibrate: sorting 16 MiB on one core): %v; command: `go run ./bench/collect -cases %s%s`; latency %v per call; orgiam defaults (concurrency %d, no --rate-limit).\n\n",
			time.Now().UTC().Format(time.RFC3339), host, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, strings.TrimSpace(string(load)), calib.Round(time.Millisecond), *which, workFlag, latency, concurrency)
		f, err := os.OpenFile(name, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err == nil {
			_, err = f.WriteString(head + "```\n" + b.String() + "```\n\n")
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			cleanup()
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "recorded", name)
	}
}

// run runs one case with its snapshots under dir.
func run(ctx context.Context, c Case, dir string) (Result, error) {
	res := Result{Case: c}
	// The bucket holds one second of refill: AWS's documented API token
	// buckets hold several (EC2: 100 tokens refilled at 20 a second), IAM
	// publishes nothing.
	knobs := fakeaws.Knobs{Latency: latency, RatePerAccount: c.ServerRate, Burst: int(c.ServerRate), Regions: c.Regions, Throttle: c.Throttle, ResourcesPerRegion: c.ResourcesPerRegion}
	setup := sim.Setup{
		Accounts: c.Accounts, Size: c.Size, Store: filepath.Join(dir, strconv.Itoa(c.Accounts)),
		Knobs: knobs, Concurrency: concurrency, SmallAttemptTimeout: c.SmallAttemptTimeout, Remote: true,
	}
	switch c.Fault {
	case "throttle-60s":
		setup.During = func(s sim.Emulator) {
			k := knobs
			k.ThrottleAll = true
			s.SetKnobs(k)
			time.Sleep(time.Minute)
			s.SetKnobs(knobs)
		}
	case "silent":
		setup.During = func(s sim.Emulator) {
			k := knobs
			k.Hang = true
			s.SetKnobs(k)
		}
	}
	measure.ResetPeakRSS()
	res.Load0 = load1()
	stolen0 := measure.Stolen()
	r, err := sim.Collect(ctx, setup)
	if err != nil {
		return res, err
	}
	res.Stolen = measure.Stolen() - stolen0
	res.Wall = r.Wall
	res.CPU, res.EmuCPU, res.GCCPU, res.Discovered = r.CPU, r.EmulatorCPU, r.GCCPU, r.Discovered
	res.Calls, res.Throttles, res.Objects = r.Calls, r.Throttles, r.Objects
	res.OK, res.Failed = r.Out.Manifest.Totals.OK, r.Out.Manifest.Totals.Failed
	res.ServerThrottle, res.Granted, res.PeakRate = r.ServerThrottles, r.ServerGranted, r.PeakRate
	if c.ServerRate > 0 || c.Throttle != nil {
		// max over services of (granted − burst) ÷ rate.
		for svc, granted := range r.Server.Granted {
			b, ok := c.Throttle[svc]
			if !ok {
				b = fakeaws.Bucket{Rate: c.ServerRate, Burst: int(c.ServerRate)}
			}
			if b.Rate <= 0 {
				continue
			}
			d := time.Duration(float64(max(granted-int64(b.Burst), 0)) / b.Rate * float64(time.Second))
			if d > res.Bound || res.Bottleneck == "" {
				res.Bound, res.Bottleneck = d, svc
				res.OfLimit = float64(granted) / r.Wall.Seconds() / b.Rate
			}
		}
		res.Granted = r.Server.Granted[res.Bottleneck]
	} else {
		res.Granted = r.ServerGranted
		res.Bound = time.Duration(res.Calls) * latency / time.Duration(concurrency)
	}
	fmt.Fprintf(os.Stderr, "%s: calls granted per service %v, throttled %v\n", c.Name, r.Server.Granted, r.Server.Throttled)
	res.PeakRSSMB = measure.PeakRSSMB()
	res.Load1 = load1()
	return res, nil
}

// load1 is the machine's 1-minute load average.
func load1() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func writeTable(w io.Writer, rs []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\taccounts\twall\tbound\twall/bound\tbottleneck\tgranted/s\tof limit\tpeak/s\tcalls/acct\tobjects/acct\tthrottles\tfailed\tpeak RSS MB\tdiscovered at\tCPU s orgiam+emulator\tGC share of orgiam CPU\tCPU s stolen\tload before/after\ttarget\t")
	for _, r := range rs {
		n := float64(max(r.OK+r.Failed, 1))
		granted := float64(r.Granted) / r.Wall.Seconds()
		ofLimit, bottleneck := "-", "-"
		if r.Bottleneck != "" {
			ofLimit, bottleneck = fmt.Sprintf("%.2f", r.OfLimit), r.Bottleneck
		}
		ratio := "-"
		if r.Bound > 0 {
			ratio = fmt.Sprintf("%.3f", float64(r.Wall)/float64(r.Bound))
		}
		fmt.Fprintf(tw, "%s\t%d\t%v\t%v\t%s\t%s\t%.0f\t%s\t%.0f\t%.1f\t%.1f\t%d\t%d\t%.0f\t%v\t%.1f+%.1f\t%.2f\t%.1f\t%s/%s\t%s\t\n",
			r.Name, r.Accounts, r.Wall.Round(time.Millisecond), r.Bound.Round(time.Millisecond), ratio, bottleneck,
			granted, ofLimit, r.PeakRate, float64(r.Calls)/n, float64(r.Objects)/n, r.Throttles, r.Failed, r.PeakRSSMB, r.Discovered.Round(10*time.Millisecond), r.CPU.Seconds(), r.EmuCPU.Seconds(), float64(r.GCCPU)/float64(max(r.CPU, 1)), r.Stolen.Seconds(), r.Load0, r.Load1, r.Target)
	}
	tw.Flush()
}
