package lsmbench

import "fmt"

// Engine is what the workloads drive: the common subset of LineraDB's
// lsm.DB and Pebble, with each engine's idiomatic calls behind it.
//
// Threading: Write, Tick, Settle, Compact, Scan, Counters and Close are
// called by one goroutine. Get may be called from several goroutines at
// once only if Concurrent reports true.
type Engine interface {
	Name() string
	// Write applies keys[i] = values[i] for every i as one atomic batch;
	// with sync it returns only once the batch is durable.
	Write(keys, values [][]byte, sync bool) error
	// Tick is the owner's turn after each write of writtenBytes user
	// bytes. LineraDB runs its background work here (Step); Pebble has
	// its own goroutines and does nothing.
	Tick(writtenBytes int64) error
	// Settle flushes the memtable and returns once no flush or
	// compaction is pending or running.
	Settle() error
	// Compact flushes and compacts every key into one sorted run, the
	// shape "after compaction" read workloads start from.
	Compact() error
	// Get appends key's value to dst. found is false for a missing key.
	Get(key, dst []byte) (value []byte, found bool, err error)
	// Scan calls fn on every key in order and returns how many it saw.
	// key and value are valid only during the call.
	Scan(fn func(key, value []byte) error) (n int64, err error)
	// Concurrent reports whether Get may run on several goroutines.
	Concurrent() bool
	Counters() Counters
	Close() error
}

// Counters are an engine's cumulative write counters, read from its own
// metrics, in bytes.
type Counters struct {
	WALBytes        int64 // bytes appended to write-ahead logs
	FlushBytes      int64 // bytes of tables written by memtable flushes
	CompactionBytes int64 // bytes of tables written by compactions
	// EngineWriteAmp is the engine's own write-amplification figure
	// (LineraDB: per user byte; Pebble: per WAL byte), for reference.
	EngineWriteAmp float64
	Tables         int   // live table files
	DiskUsageBytes int64 // engine-reported disk usage
}

// WrittenBytes is everything the engine wrote to disk: WAL, flushes and
// compactions (manifests and options files are left out on both sides).
func (c Counters) WrittenBytes() int64 { return c.WALBytes + c.FlushBytes + c.CompactionBytes }

// Config opens an engine.
type Config struct {
	// Dir is an existing or to-be-created directory on the real disk.
	Dir string
	// CacheBytes is the block cache budget.
	CacheBytes int64
	// StepBytesPerWriteByte paces LineraDB's background work: Tick(n)
	// calls Step(n × StepBytesPerWriteByte). Ignored by Pebble.
	StepBytesPerWriteByte int64
	// CompactToOneRun opens LineraDB with an L0 trigger of one so that
	// Compact leaves a single sorted run (it has no manual compaction).
	// Used only to prepare read workloads. Ignored by Pebble.
	CompactToOneRun bool
}

// Engine names, as the command line spells them.
const (
	EngineLineraDB = "lineradb"
	EnginePebble   = "pebble"
)

// Engines lists every engine name, ours first.
var Engines = []string{EngineLineraDB, EnginePebble}

// SingleOwner reports whether the named engine must be used from one
// goroutine only (its Concurrent is false), without opening it.
func SingleOwner(name string) bool { return name == EngineLineraDB }

// Open opens the named engine.
func Open(name string, cfg Config) (Engine, error) {
	switch name {
	case EngineLineraDB:
		return openLineraDB(cfg)
	case EnginePebble:
		return openPebble(cfg)
	}
	return nil, fmt.Errorf("lsmbench: unknown engine %q (want %q or %q)", name, EngineLineraDB, EnginePebble)
}
