package lsm

import "fmt"

// Compaction strategies, named as in the runbook's storage section.
const (
	StrategyLeveled    = "leveled"
	StrategySizeTiered = "size-tiered"
)

// Options configures a DB. The zero value is usable: every zero field takes
// the default shown. Field names follow the runbook's `storage:` config keys
// (memtable_size_mb → MemtableSizeMB, and so on).
type Options struct {
	// MemtableSizeMB (memtable_size_mb) is the memtable's byte budget; a
	// full memtable becomes immutable and is flushed to an L0 table. Larger
	// buffers more writes per flush (less write amplification) at the cost
	// of memory and, with the WAL, longer recovery. Default 64.
	MemtableSizeMB int
	// SSTableSizeMB (sstable_size_mb) is the target size of a compaction
	// output table. Larger means fewer files and coarser compactions.
	// Default 256.
	SSTableSizeMB int
	// BloomFilterBitsPerKey (bloom_filter_bits_per_key) sizes each table's
	// bloom filter: 10 bits give about a 1% false-positive rate on point
	// reads of absent keys. Default 10.
	BloomFilterBitsPerKey int
	// MaxOpenFiles (max_open_files) bounds the idle open table readers kept
	// by the table cache; readers pinned by live iterators come on top.
	// Default 1000.
	MaxOpenFiles int
	// CompactionStrategy (compaction_strategy) is "leveled" (default: low
	// space and read amplification) or "size-tiered" (sorted runs of
	// similar size are merged: lower write amplification, more runs to
	// read).
	CompactionStrategy string
	// BlockCacheSizeMB is the block cache budget: raw data blocks, each
	// charged its size plus a small overhead. Default 8.
	BlockCacheSizeMB int
	// DisableWAL turns the write-ahead log off. Use it under Raft, where
	// the Raft log is the WAL: writes are durable only once flushed, and
	// DurableSeq (recovered at open) tells the caller where to replay its
	// log from. Default false (standalone: the WAL is on).
	DisableWAL bool

	// L0CompactionTrigger is the L0 file count (leveled) or sorted-run
	// count (size-tiered) that triggers a compaction. Default 4.
	L0CompactionTrigger int
	// L0SlowdownTrigger is the L0 file count beyond which each write also
	// does compaction work proportional to its size, so compaction debt is
	// paid by the writers that make it. Default 12.
	L0SlowdownTrigger int
	// LevelSizeRatio is the size ratio between adjacent levels (leveled).
	// Default 10.
	LevelSizeRatio int
	// ImmutableMemtablesMax bounds the memtables waiting for a flush;
	// beyond it a write flushes the oldest one itself. Default 2.
	ImmutableMemtablesMax int

	// Byte-level overrides, for tests that want tiny memtables and tables.
	// A positive value wins over the MB field.
	MemtableSizeBytes   int64
	SSTableSizeBytes    int64
	BlockCacheSizeBytes int64
	// LBaseMaxBytes is L1's size target (leveled); deeper levels grow by
	// LevelSizeRatio. Default 4 × the memtable size.
	LBaseMaxBytes int64
	// ManifestSizeBytesMax triggers manifest rotation. Default 4 MiB.
	ManifestSizeBytesMax int64

	// TestingUnsafeFilterAnywhere is TEST-ONLY and breaks correctness on
	// purpose: compaction consults the filter on every set below the
	// horizon, with none of SetCompactionFilter's safety conditions, so a
	// dropped entry uncovers older versions (a deleted value comes back).
	// It exists so a whole-database simulation can prove it notices (the
	// node's Config.Testing.BrokenTombstoneGC). Never set it otherwise.
	TestingUnsafeFilterAnywhere bool

	// Test-only knobs that break crash safety on purpose, so the crash
	// test can prove it notices.
	skipTableSync    bool
	skipManifestSync bool
	// brokenDropDeletes drops point tombstones at every compaction, even
	// when older versions below would resurface: the metamorphic test must
	// notice.
	brokenDropDeletes bool
	// brokenFilterAnywhere consults the compaction filter on every set
	// below the horizon, even over older versions it would uncover: the
	// filter tests must notice.
	brokenFilterAnywhere bool
}

const mib = 1 << 20

// withDefaults returns a copy with every zero field set and the byte-level
// fields resolved.
func (o Options) withDefaults() (Options, error) {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&o.MemtableSizeMB, 64)
	def(&o.SSTableSizeMB, 256)
	def(&o.BloomFilterBitsPerKey, 10)
	def(&o.MaxOpenFiles, 1000)
	def(&o.BlockCacheSizeMB, 8)
	def(&o.L0CompactionTrigger, 4)
	def(&o.L0SlowdownTrigger, 12)
	def(&o.LevelSizeRatio, 10)
	def(&o.ImmutableMemtablesMax, 2)
	if o.CompactionStrategy == "" {
		o.CompactionStrategy = StrategyLeveled
	}
	def64 := func(p *int64, v int64) {
		if *p <= 0 {
			*p = v
		}
	}
	def64(&o.MemtableSizeBytes, int64(o.MemtableSizeMB)*mib)
	def64(&o.SSTableSizeBytes, int64(o.SSTableSizeMB)*mib)
	def64(&o.BlockCacheSizeBytes, int64(o.BlockCacheSizeMB)*mib)
	def64(&o.LBaseMaxBytes, 4*o.MemtableSizeBytes)
	def64(&o.ManifestSizeBytesMax, 4*mib)
	o.brokenFilterAnywhere = o.brokenFilterAnywhere || o.TestingUnsafeFilterAnywhere
	return o, o.validate()
}

func (o Options) validate() error {
	if o.CompactionStrategy != StrategyLeveled && o.CompactionStrategy != StrategySizeTiered {
		return fmt.Errorf("%w: compaction_strategy %q is not \"leveled\" or \"size-tiered\"", ErrInvalidArgument, o.CompactionStrategy)
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"memtable_size_mb", o.MemtableSizeMB}, {"sstable_size_mb", o.SSTableSizeMB},
		{"bloom_filter_bits_per_key", o.BloomFilterBitsPerKey}, {"max_open_files", o.MaxOpenFiles},
		{"L0CompactionTrigger", o.L0CompactionTrigger}, {"LevelSizeRatio", o.LevelSizeRatio - 1},
		{"ImmutableMemtablesMax", o.ImmutableMemtablesMax}} {
		if c.v < 1 {
			return fmt.Errorf("%w: %s must be positive", ErrInvalidArgument, c.name)
		}
	}
	if o.BloomFilterBitsPerKey > 64 {
		return fmt.Errorf("%w: bloom_filter_bits_per_key %d > 64", ErrInvalidArgument, o.BloomFilterBitsPerKey)
	}
	return nil
}
