package lsm

import (
	"fmt"
	"strings"
)

// Metrics is a point-in-time report of the engine's state and counters.
// Durations are counted in steps, never wall time: the core reads no clock,
// so the server times Step calls itself to export
// lineradb_storage_compaction_duration_seconds.
type Metrics struct {
	// DiskUsageBytes is the size of every installed table plus the live
	// WALs (lineradb_storage_disk_usage_bytes).
	DiskUsageBytes int64
	// Levels holds the per-level table counts and sizes; the sum of
	// NumFiles is lineradb_storage_sstable_count.
	Levels [numLevels]LevelMetrics

	FlushCount        int64
	FlushBytesWritten int64

	CompactionsStarted     int64
	CompactionCount        int64 // compactions completed
	CompactionBytesRead    int64
	CompactionBytesWritten int64
	// CompactionSteps is the number of Step calls the completed
	// compactions took: their duration in the engine's own units.
	CompactionSteps int64
	// CompactionFilterDrops counts the entries compactions dropped because
	// the owner's CompactionFilter asked to.
	CompactionFilterDrops int64

	UserBytesWritten int64
	WALBytesWritten  int64

	BlockCacheHits, BlockCacheMisses int64
	TableCacheHits, TableCacheMisses int64
	BloomFilterNegatives             int64
	OpenTables                       int

	MemtableSizeBytes    int64
	ImmutableMemtables   int
	Snapshots            int
	CompactionInProgress bool
}

// LevelMetrics describes one level.
type LevelMetrics struct {
	NumFiles  int
	SizeBytes int64
}

// WriteAmplification is bytes written to disk (WAL, flushes, compactions)
// per byte the user wrote; 0 before any write.
func (m *Metrics) WriteAmplification() float64 {
	if m.UserBytesWritten == 0 {
		return 0
	}
	return float64(m.WALBytesWritten+m.FlushBytesWritten+m.CompactionBytesWritten) / float64(m.UserBytesWritten)
}

// SSTableCount is the number of installed tables.
func (m *Metrics) SSTableCount() int {
	n := 0
	for _, l := range m.Levels {
		n += l.NumFiles
	}
	return n
}

// String is a fixed, line-per-fact rendering.
func (m *Metrics) String() string {
	var b strings.Builder
	for i, l := range m.Levels {
		fmt.Fprintf(&b, "L%d: files=%d size=%dB\n", i, l.NumFiles, l.SizeBytes)
	}
	fmt.Fprintf(&b, "disk_usage=%dB sstables=%d\n", m.DiskUsageBytes, m.SSTableCount())
	fmt.Fprintf(&b, "flushes=%d flush_written=%dB\n", m.FlushCount, m.FlushBytesWritten)
	fmt.Fprintf(&b, "compactions=%d read=%dB written=%dB steps=%d filtered=%d\n", m.CompactionCount, m.CompactionBytesRead, m.CompactionBytesWritten, m.CompactionSteps, m.CompactionFilterDrops)
	fmt.Fprintf(&b, "user_written=%dB wal_written=%dB write_amp=%.2f\n", m.UserBytesWritten, m.WALBytesWritten, m.WriteAmplification())
	fmt.Fprintf(&b, "block_cache hits=%d misses=%d table_cache hits=%d misses=%d open=%d\n", m.BlockCacheHits, m.BlockCacheMisses, m.TableCacheHits, m.TableCacheMisses, m.OpenTables)
	return b.String()
}

// Metrics returns the current metrics.
func (d *DB) Metrics() Metrics {
	m := d.m
	for level, fs := range d.current.levels {
		for _, f := range fs {
			m.Levels[level].NumFiles++
			m.Levels[level].SizeBytes += int64(f.sizeBytes)
		}
		m.DiskUsageBytes += m.Levels[level].SizeBytes
	}
	for _, n := range d.walNums {
		if size, err := d.fs.Stat(logFileName(d.dir, n)); err == nil {
			m.DiskUsageBytes += size
		}
	}
	m.BlockCacheHits, m.BlockCacheMisses = d.blocks.hits, d.blocks.misses
	m.TableCacheHits, m.TableCacheMisses = d.tc.hits, d.tc.misses
	m.OpenTables = d.tc.openCount()
	m.MemtableSizeBytes = d.mem.sizeBytes
	m.ImmutableMemtables = len(d.imm)
	m.Snapshots = len(d.snapshots)
	m.CompactionInProgress = d.comp != nil
	return m
}
