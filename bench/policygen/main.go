// Command policygen measures CloudTrail reading for policy generation: it
// writes trails of several sizes with trailgen, reads each with 1..N
// workers and prints a table of decompressed MB/s per CPU-second and per
// wall-second, peak RSS (reset before each read, so the generation does not
// count) and whether the generated policies hold exactly the actions the
// trail's known activity used.
//
//	go run ./bench/policygen -events 250000,1000000 -workers 1,2
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orgiam/orgiam/bench/internal/measure"
	"github.com/orgiam/orgiam/internal/iamdata"
	"github.com/orgiam/orgiam/internal/policygen"
	"github.com/orgiam/orgiam/internal/policygen/trailgen"
)

func ints(s string) []int {
	var out []int
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
	perFile := flag.Int("per-file", 2000, "records per file")
	flag.Parse()
	cat := iamdata.MustLoad()
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	fmt.Printf("GOMAXPROCS %d, %s\n\n", runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Println("| records | files | MB (JSON) | workers | wall s | CPU s | MB/s per CPU-s | MB/s wall | peak RSS MB | principals | exact actions |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, n := range ints(*events) {
		dir, err := os.MkdirTemp("", "orgiam-bench-trail-")
		if err != nil {
			panic(err)
		}
		files := max(1, n / *perFile)
		exp, err := trailgen.Write(dir, trailgen.Config{Seed: 42, Accounts: 20, UsersPerAccount: 5, RolesPerAccount: 10, Files: files, EventsPerFile: *perFile, Start: start, Days: 7, OrgID: "o-bench0001"})
		if err != nil {
			panic(err)
		}
		for _, w := range ints(*workers) {
			runtime.GC()
			debug.FreeOSMemory()
			measure.ResetPeakRSS()
			cpu0, t0 := measure.CPUTime(), time.Now()
			act, err := policygen.Read(context.Background(), policygen.Dir(dir), cat, policygen.ReadOptions{Since: start, Until: start.AddDate(0, 0, 7), Workers: w, Resources: policygen.ResourcesExact})
			if err != nil {
				panic(err)
			}
			res, err := policygen.Generate(act, nil, policygen.Options{Resources: policygen.ResourcesExact})
			if err != nil {
				panic(err)
			}
			wall, cpu := time.Since(t0).Seconds(), (measure.CPUTime() - cpu0).Seconds()
			tr := act.Trail(dir, start, start.AddDate(0, 0, 7))
			mb := float64(tr.Bytes) / 1e6
			fmt.Printf("| %d | %d | %.0f | %d | %.2f | %.2f | %.1f | %.1f | %.0f | %d | %s |\n", tr.Records, tr.Files, mb, w, wall, cpu, mb/cpu, mb/wall, measure.PeakRSSMB(), len(res), exact(res, exp))
		}
		os.RemoveAll(dir)
	}
}

// exact compares each policy's actions with the actions the trail's known
// activity used: "yes" or the number of principals that differ.
func exact(res []policygen.Result, exp *trailgen.Expected) string {
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
	for arn, actions := range exp.Actions {
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
	if len(got) != len(exp.Actions) {
		bad += len(got) - len(exp.Actions)
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
