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
	resources := flag.String("resources", "exact", "--resources level: exact, service or none")
	readDir := flag.String("read-dir", "", "internal: read this trail and print one row (the child process)")
	readWorkers := flag.Int("read-workers", 1, "internal: workers of the child")
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
		// The expected activity goes to the child in a file.
		expFile := dir + ".expected.json"
		eb, _ := json.Marshal(exp)
		if err := os.WriteFile(expFile, eb, 0o600); err != nil {
			panic(err)
		}
		for _, w := range ints(*workers) {
			self, _ := os.Executable()
			cmd := exec.Command(self, "-read-dir", dir, "-read-workers", strconv.Itoa(w), "-resources", string(level))
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			if err := cmd.Run(); err != nil {
				panic(err)
			}
		}
		os.Remove(expFile)
		os.RemoveAll(dir)
	}
}

// readRow reads one trail and prints its row; it runs in a process of its
// own, so its peak RSS is the reading's alone.
func readRow(dir string, w int, level policygen.ResourceLevel, start time.Time) {
	var exp trailgen.Expected
	eb, err := os.ReadFile(dir + ".expected.json")
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(eb, &exp); err != nil {
		panic(err)
	}
	exp.Files = nil
	runtime.GC()
	debug.FreeOSMemory()
	measure.ResetPeakRSS()
	cat := iamdata.MustLoad()
	cpu0, t0 := measure.CPUTime(), time.Now()
	act, err := policygen.Read(context.Background(), policygen.Dir(dir), cat, policygen.ReadOptions{Since: start, Until: start.AddDate(0, 0, 7), Workers: w, Resources: level})
	if err != nil {
		panic(err)
	}
	res, err := policygen.Generate(act, nil, policygen.Options{Resources: level})
	if err != nil {
		panic(err)
	}
	wall, cpu := time.Since(t0).Seconds(), (measure.CPUTime() - cpu0).Seconds()
	tr := act.Trail(dir, start, start.AddDate(0, 0, 7))
	mb := float64(tr.Bytes) / 1e6
	fmt.Printf("| %d | %d | %.0f | %d | %.2f | %.2f | %.1f | %.1f | %.0f | %d | %s |\n", tr.Records, tr.Files, mb, w, wall, cpu, mb/cpu, mb/wall, measure.PeakRSSMB(), len(res), exact(res, &exp))
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
