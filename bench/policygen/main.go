// Command policygen measures CloudTrail reading for policy generation: it
// writes trails of several sizes with trailgen, reads each with 1..N
// workers and prints a table of decompressed MB/s per CPU-second and per
// wall-second, peak RSS (each read runs in a child process of its own, so
// neither the generation nor another size counts) and whether the generated policies hold exactly the actions the
// trail's known activity used.
//
//	go run ./bench/policygen -events 250000,1000000 -workers 1,2
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orgiam/orgiam/bench/internal/measure"
	"github.com/orgiam/orgiam/internal/iamdata"
	"github.com/orgiam/orgiam/internal/policygen"
	"github.com/orgiam/orgiam/internal/policygen/trailgen"
)

var (
	memProfile *string
	perFile    *int
)

func ints(s string) []int {
	var out []int
	if s == "" {
		return nil
	}
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad list:", s)
			os.Exit(2)
		}
		out = append(out, n)
	}
	return out
}

func main() {
	events := flag.String("events", "250000,1000000", "trail sizes, in records")
	workers := flag.String("workers", "1,2", "workers to read with")
	perFile = flag.Int("per-file", 2000, "records per file")
	stream := flag.String("stream", "", "trail sizes, in records, generated while they are read (nothing on disk; CPU includes the generation)")
	resources := flag.String("resources", "exact", "--resources level: exact, service or none")
	readDir := flag.String("read-dir", "", "internal: read this trail and print one row (the child process)")
	readWorkers := flag.Int("read-workers", 1, "internal: workers of the child")
	memProfile = flag.String("memprofile", "", "write a heap profile of each reading, at its end, to this file (suffixed with the size)")
	procs := flag.String("procs", "", "GOMAXPROCS of the readings, each read with as many workers (replaces -workers): scaling with cores within one run")
	flag.Parse()
	level, err := policygen.ParseResourceLevel(*resources)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if *readDir != "" {
		readRow(*readDir, *readWorkers, level, start)
		return
	}
	fmt.Printf("GOMAXPROCS %d, %s, --resources %s\n\n", runtime.GOMAXPROCS(0), runtime.Version(), level)
	fmt.Println("| records | files | MB (JSON) | GOMAXPROCS | workers | wall s | CPU s | MB/s per CPU-s | MB/s wall | peak live heap MB | peak heap MB | peak RSS MB | kept entries | principals | exact actions |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	// Each reading: GOMAXPROCS (0: inherited) and workers.
	type setting struct{ procs, workers int }
	var settings []setting
	if *procs != "" {
		for _, p := range ints(*procs) {
			settings = append(settings, setting{p, p})
		}
	} else {
		for _, w := range ints(*workers) {
			settings = append(settings, setting{0, w})
		}
	}
	for _, n := range ints(*events) {
		dir, err := os.MkdirTemp("", "orgiam-bench-trail-")
		if err != nil {
			panic(err)
		}
		exp, err := trailgen.Write(dir, trailConfig(n, start))
		if err != nil {
			panic(err)
		}
		// The expected activity goes to the child in a file.
		expFile := dir + ".expected.json"
		eb, _ := json.Marshal(exp)
		if err := os.WriteFile(expFile, eb, 0o600); err != nil {
			panic(err)
		}
		for _, c := range settings {
			child(dir, c.procs, c.workers, level)
		}
		os.Remove(expFile)
		os.RemoveAll(dir)
	}
	if *stream == "" {
		return
	}
	for _, n := range ints(*stream) {
		for _, c := range settings {
			child("stream:"+strconv.Itoa(n), c.procs, c.workers, level)
		}
	}
}

func child(dir string, procs, w int, level policygen.ResourceLevel) {
	self, _ := os.Executable()
	cmd := exec.Command(self, "-read-dir", dir, "-read-workers", strconv.Itoa(w), "-resources", string(level), "-memprofile", *memProfile, "-per-file", strconv.Itoa(*perFile))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if procs > 0 {
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(procs))
	}
	if err := cmd.Run(); err != nil {
		panic(err)
	}
}

// readRow reads one trail and prints its row; it runs in a process of its
// own, so its peak RSS is the reading's alone.
func readRow(dir string, w int, level policygen.ResourceLevel, start time.Time) {
	runtime.GC()
	debug.FreeOSMemory()
	measure.ResetPeakRSS()
	var src policygen.Source = policygen.Dir(dir)
	var stream *trailgen.Stream
	if n, ok := strings.CutPrefix(dir, "stream:"); ok {
		events, _ := strconv.Atoi(n)
		var err error
		stream, err = trailgen.NewStream(trailConfig(events, start))
		if err != nil {
			panic(err)
		}
		src = stream
	}
	stop := sampleHeap()
	cat := iamdata.MustLoad()
	cpu0, t0 := measure.CPUTime(), time.Now()
	act, err := policygen.Read(context.Background(), src, cat, policygen.ReadOptions{Since: start, Until: start.AddDate(0, 0, 7), Workers: w, Resources: level})
	if err != nil {
		panic(err)
	}
	res, err := policygen.Generate(act, nil, policygen.Options{Resources: level})
	if err != nil {
		panic(err)
	}
	wall, cpu := time.Since(t0).Seconds(), (measure.CPUTime() - cpu0).Seconds()
	peakHeap, peakLive := stop()
	peakRSS := measure.PeakRSSMB()
	if *memProfile != "" {
		runtime.GC()
		f, err := os.Create(fmt.Sprintf("%s.%d", *memProfile, act.ManagementEvents+act.DataEvents))
		if err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
		runtime.KeepAlive(act)
	}
	tr := act.Trail(dir, start, start.AddDate(0, 0, 7))
	mb := float64(tr.Bytes) / 1e6
	// The expected activity is loaded only now, after the peak was read:
	// it is the benchmark's, not the reading's.
	var want map[string]map[string]bool
	if stream != nil {
		want = stream.Actions()
	} else {
		var exp trailgen.Expected
		eb, err := os.ReadFile(dir + ".expected.json")
		if err != nil {
			panic(err)
		}
		if err := json.Unmarshal(eb, &exp); err != nil {
			panic(err)
		}
		want = map[string]map[string]bool{}
		for p, acts := range exp.Actions {
			want[p] = map[string]bool{}
			for a := range acts {
				want[p][a] = true
			}
		}
	}
	fmt.Printf("| %d | %d | %.0f | %d | %d | %.2f | %.2f | %.1f | %.1f | %.1f | %.0f | %.0f | %d | %d | %s |\n", tr.Records, tr.Files, mb, runtime.GOMAXPROCS(0), w, wall, cpu, mb/cpu, mb/wall, peakLive, peakHeap, peakRSS, kept(act), len(res), exact(res, want))
}

// kept counts what the reading retains that can grow with the trail: the
// (principal, action, resource) entries of the used and denied sets and
// the unmapped event names (bounded by ReadOptions.MaxResources and
// maxUnmapped, and by the organization).
func kept(act *policygen.Activity) int {
	n := 0
	for _, pa := range act.Principals {
		for _, set := range pa.Used {
			n += len(set)
		}
		for _, set := range pa.DeniedUsed {
			n += len(set)
		}
		n += len(pa.Unmapped)
	}
	return n
}

func trailConfig(events int, start time.Time) trailgen.Config {
	return trailgen.Config{Seed: 42, Accounts: 20, UsersPerAccount: 5, RolesPerAccount: 10, Files: max(1, events / *perFile), EventsPerFile: *perFile, Start: start, Days: 7, OrgID: "o-bench0001"}
}

// sampleHeap records, every 20ms until the returned function is called,
// the peak of heap objects (live and not yet collected) and the peak of
// the heap found live by the last GC (what the reading keeps: the bound
// of Read's comment), both in MB.
func sampleHeap() func() (objects, live float64) {
	done, peak := make(chan struct{}), make(chan [2]float64)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
		var top, topLive uint64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			top = max(top, s[0].Value.Uint64())
			topLive = max(topLive, s[1].Value.Uint64())
			select {
			case <-done:
				peak <- [2]float64{float64(top) / 1e6, float64(topLive) / 1e6}
				return
			case <-t.C:
			}
		}
	}()
	return func() (float64, float64) { close(done); p := <-peak; return p[0], p[1] }
}

// exact compares each policy's actions with the actions the trail's known
// activity used: "yes" or the number of principals that differ.
func exact(res []policygen.Result, want map[string]map[string]bool) string {
	got := map[string][]string{}
	for _, r := range res {
		var acts []string
		for _, d := range r.Policies {
			acts = append(acts, d.Actions()...)
		}
		sort.Strings(acts)
		got[r.Principal.Key()] = acts
	}
	bad := 0
	for arn, actions := range want {
		p, _ := policygen.ParsePrincipal(arn)
		var want []string
		for a := range actions {
			want = append(want, a)
		}
		sort.Strings(want)
		if !reflect.DeepEqual(dedupe(got[p.Key()]), want) {
			bad++
		}
	}
	if len(got) != len(want) {
		bad += len(got) - len(want)
	}
	if bad == 0 {
		return "yes"
	}
	return fmt.Sprintf("NO: %d principals differ", bad)
}

func dedupe(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
