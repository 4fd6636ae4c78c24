// Package measure reads the process's own resource use for the benchmarks:
// CPU time and peak resident set.
package measure

import (
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPUTime is the process's user + system CPU time so far.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// GCCPU is the runtime's estimate of the CPU time its garbage collector
// has used so far (marking, assists and pauses; runtime/metrics
// /cpu/classes/gc/total:cpu-seconds).
func GCCPU() time.Duration {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return time.Duration(s[0].Value.Float64() * float64(time.Second))
}

// PeakRSSMB is the process's high-water resident set (VmHWM), in MB (0
// where /proc is not there).
func PeakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// ResetPeakRSS starts the high-water resident set anew (Linux:
// /proc/self/clear_refs), so that what ran before does not count.
func ResetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// Stolen is the CPU time the host took from this virtual machine's cores
// so far (the steal column of /proc/stat, every core summed; 0 where there
// is none). A benchmark that reads it before and after a case says how
// much of the machine it did not have: on a shared host the same build
// runs twice as long when its neighbours are busy.
func Stolen() time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	// cpu user nice system idle iowait irq softirq steal …, in USER_HZ
	// ticks (100 a second on Linux).
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	ticks, err := strconv.ParseInt(f[8], 10, 64)
	if err != nil {
		return 0
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// Calibrate times a fixed piece of CPU and memory work on one core
// (sorting 2 Mi pseudo-random 64-bit numbers, 16 MiB, well past the
// caches), for the benchmarks to print beside their figures: the host's
// speed changes with its other guests (the same build takes twice the CPU
// time from one hour to the next, with or without steal), and this says
// at which speed a row was measured.
func Calibrate() time.Duration {
	xs := make([]uint64, 2<<20)
	x := uint64(88172645463325252)
	for i := range xs {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		xs[i] = x
	}
	t0 := time.Now()
	slices.Sort(xs)
	return time.Since(t0)
}
