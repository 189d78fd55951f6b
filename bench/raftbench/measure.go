package raftbench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Result is one measured run: Stats plus wall time, CPU time and heap
// allocations of the whole process while the run lasted.
type Result struct {
	Opts  Options
	Stats Stats
	Wall  time.Duration
	// CPU is user+system time of the process, so it includes the garbage
	// collector's work on other cores.
	CPU        time.Duration
	Allocs     uint64
	AllocBytes uint64
}

// EntriesPerSecond is the throughput: entries applied on all members per
// wall-clock second.
func (r Result) EntriesPerSecond() float64 { return float64(r.Stats.Entries) / r.Wall.Seconds() }

// PerEntry divides x by the number of entries.
func (r Result) PerEntry(x float64) float64 { return x / float64(r.Stats.Entries) }

// Measure builds and elects a group (not measured), then measures a run of
// entries entries.
func Measure(opts Options, entries int) (Result, error) {
	h, err := New(opts)
	if err != nil {
		return Result{}, err
	}
	// Start from a collected heap so one run's garbage is not billed to
	// the next.
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0 := processCPU()
	t0 := time.Now()
	st, err := h.Run(entries)
	wall := time.Since(t0)
	cpu1 := processCPU()
	runtime.ReadMemStats(&m1)
	if err != nil {
		return Result{}, err
	}
	return Result{
		Opts:       h.opts,
		Stats:      st,
		Wall:       wall,
		CPU:        cpu1 - cpu0,
		Allocs:     m1.Mallocs - m0.Mallocs,
		AllocBytes: m1.TotalAlloc - m0.TotalAlloc,
	}, nil
}

// processCPU returns the process's user+system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CPUTimes is the aggregate "cpu" line of /proc/stat, in clock ticks.
type CPUTimes struct {
	Steal, Total uint64
}

// ReadCPUTimes reads /proc/stat. On a shared VM the steal share between
// two readings says how much the hypervisor took from this guest.
func ReadCPUTimes() (CPUTimes, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return CPUTimes{}, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	// cpu user nice system idle iowait irq softirq steal guest guest_nice
	if len(fields) < 9 || fields[0] != "cpu" {
		return CPUTimes{}, fmt.Errorf("raftbench: unexpected /proc/stat line %q", line)
	}
	var t CPUTimes
	for i, f := range fields[1:9] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return CPUTimes{}, fmt.Errorf("raftbench: /proc/stat field %q: %w", f, err)
		}
		t.Total += v
		if i == 7 {
			t.Steal = v
		}
	}
	return t, nil
}

// StealPercent is the share of CPU time stolen between a and b.
func StealPercent(a, b CPUTimes) float64 {
	if b.Total <= a.Total {
		return 0
	}
	return 100 * float64(b.Steal-a.Steal) / float64(b.Total-a.Total)
}
