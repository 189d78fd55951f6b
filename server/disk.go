package server

import (
	"fmt"
	"log/slog"
	"sync"
	"syscall"
)

// diskLevel is how full the data directory's file system is.
type diskLevel uint8

const (
	diskOK diskLevel = iota
	// diskWarn: free space is below disk_space_warn_percent; logged.
	diskWarn
	// diskCritical: free space is below disk_space_critical_percent; the
	// node refuses writes until space is freed.
	diskCritical
)

func (l diskLevel) String() string {
	return [...]string{"ok", "warn", "critical"}[l]
}

// classifyDisk is the threshold rule, kept pure so it is unit-tested: a
// level applies when the free percentage is strictly below its threshold.
// A file system reporting no size is treated as OK (nothing to judge).
func classifyDisk(freeBytes, totalBytes uint64, warnPercent, criticalPercent float64) (diskLevel, float64) {
	if totalBytes == 0 {
		return diskOK, 100
	}
	if freeBytes > totalBytes {
		freeBytes = totalBytes
	}
	freePercent := 100 * float64(freeBytes) / float64(totalBytes)
	switch {
	case freePercent < criticalPercent:
		return diskCritical, freePercent
	case freePercent < warnPercent:
		return diskWarn, freePercent
	}
	return diskOK, freePercent
}

// statfsFunc reports the free (available to unprivileged users) and total
// bytes of the file system holding dir.
type statfsFunc func(dir string) (freeBytes, totalBytes uint64, err error)

func realStatfs(dir string) (uint64, uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}

// diskGuard holds the latest disk verdict. check is called periodically by
// the server; readOnlyReason by every writing commit.
type diskGuard struct {
	dir                          string
	statfs                       statfsFunc
	warnPercent, criticalPercent float64
	log                          *slog.Logger

	mu          sync.Mutex
	level       diskLevel
	freePercent float64
}

// check samples the file system and logs transitions. A failed statfs
// keeps the previous verdict: one bad sample must not flip the node.
func (g *diskGuard) check() {
	free, total, err := g.statfs(g.dir)
	if err != nil {
		g.log.Warn("disk space check failed", "dir", g.dir, "err", err)
		return
	}
	level, pct := classifyDisk(free, total, g.warnPercent, g.criticalPercent)
	g.mu.Lock()
	prev := g.level
	g.level, g.freePercent = level, pct
	g.mu.Unlock()
	if level == prev {
		return
	}
	attrs := []any{"dir", g.dir, "free_percent", fmt.Sprintf("%.2f", pct), "from", prev.String(), "to", level.String()}
	switch level {
	case diskCritical:
		g.log.Error("disk space critical: node is now read-only", attrs...)
	case diskWarn:
		g.log.Warn("disk space low", attrs...)
	default:
		g.log.Info("disk space recovered", attrs...)
	}
}

// readOnlyReason is "" while writes are allowed.
func (g *diskGuard) readOnlyReason() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.level != diskCritical {
		return ""
	}
	return fmt.Sprintf("disk space critical: %.2f%% free in %s, below disk_space_critical_percent (%.2f%%)",
		g.freePercent, g.dir, g.criticalPercent)
}

func (g *diskGuard) state() (diskLevel, float64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.level, g.freePercent
}
