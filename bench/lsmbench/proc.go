package lsmbench

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ProcessCPU returns the process's user+system CPU time so far (every
// thread, so background goroutines included).
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PeakRSSBytes is the process's resident-set high-water mark (VmHWM in
// /proc/self/status): Go heap, off-heap caches (Pebble's cache is
// malloc'd) and mapped code alike.
func PeakRSSBytes() (int64, error) {
	return procField("/proc/self/status", "VmHWM:", 1024)
}

// WrittenCharsBytes is wchar from /proc/self/io: bytes the process handed
// to write(2) and friends, an engine-neutral count of what it wrote.
func WrittenCharsBytes() (int64, error) {
	return procField("/proc/self/io", "wchar:", 1)
}

// procField reads the first number after prefix in a "Key: value" file.
func procField(path, prefix string, unitBytes int64) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		rest, ok := strings.CutPrefix(s.Text(), prefix)
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			break
		}
		v, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %s %q: %w", path, prefix, fields[0], err)
		}
		return v * unitBytes, nil
	}
	if err := s.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s: no %s line", path, prefix)
}

// CPUTimes is the aggregate "cpu" line of /proc/stat, in clock ticks.
type CPUTimes struct {
	Steal, Total uint64
}

// ReadCPUTimes reads /proc/stat.
func ReadCPUTimes() (CPUTimes, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return CPUTimes{}, err
	}
	return ParseCPUTimes(string(b))
}

// ParseCPUTimes parses the first line of /proc/stat:
// cpu user nice system idle iowait irq softirq steal [guest guest_nice].
// Guest time is already inside user, so it is not added to Total.
func ParseCPUTimes(stat string) (CPUTimes, error) {
	line, _, _ := strings.Cut(stat, "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return CPUTimes{}, fmt.Errorf("lsmbench: unexpected /proc/stat line %q", line)
	}
	var t CPUTimes
	for i, f := range fields[1:9] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return CPUTimes{}, fmt.Errorf("lsmbench: /proc/stat field %q: %w", f, err)
		}
		t.Total += v
		if i == 7 {
			t.Steal = v
		}
	}
	return t, nil
}

// StealPercent is the share of CPU time stolen by the hypervisor between
// two readings.
func StealPercent(a, b CPUTimes) float64 {
	if b.Total <= a.Total || b.Steal < a.Steal {
		return 0
	}
	return 100 * float64(b.Steal-a.Steal) / float64(b.Total-a.Total)
}

// LoadAverage returns the 1-minute load average from /proc/loadavg.
func LoadAverage() (float64, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, err
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 0, fmt.Errorf("lsmbench: empty /proc/loadavg")
	}
	return strconv.ParseFloat(fields[0], 64)
}
