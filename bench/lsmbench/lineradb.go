package lsmbench

import (
	"errors"
	"fmt"
	"os"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/lsm"
)

// lineradbDB adapts lsm.DB: default options (standalone, WAL on) but the
// cache size, on an OSFS rooted at the config's directory.
type lineradbDB struct {
	db    *lsm.DB
	batch lsm.Batch
	// stepRatio is compaction input bytes per user byte written: the
	// owner's pacing of Step (see Config.StepBytesPerWriteByte).
	stepRatio int64
}

// lineradbStepRatioDefault keeps up with leveled compaction on a fill:
// after a fill settles, compaction input is a few bytes per user byte.
const lineradbStepRatioDefault = 8

// lineradbDBDir is the DB directory under the OSFS root.
const lineradbDBDir = "db"

func openLineraDB(cfg Config) (Engine, error) {
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	opts := lsm.Options{BlockCacheSizeBytes: cfg.CacheBytes}
	if cfg.CompactToOneRun {
		opts.L0CompactionTrigger = 1
	}
	db, err := lsm.Open(diskio.NewOSFS(cfg.Dir), lineradbDBDir, opts)
	if err != nil {
		return nil, err
	}
	ratio := cfg.StepBytesPerWriteByte
	if ratio <= 0 {
		ratio = lineradbStepRatioDefault
	}
	return &lineradbDB{db: db, stepRatio: ratio}, nil
}

func (l *lineradbDB) Name() string { return EngineLineraDB }

func (l *lineradbDB) Write(keys, values [][]byte, sync bool) error {
	l.batch.Reset()
	for i := range keys {
		l.batch.Set(keys[i], values[i])
	}
	return l.db.Apply(&l.batch, lsm.WriteOptions{Sync: sync})
}

// Tick is the owner calling Step once per batch with a budget proportional
// to the batch, as a node loop would per applied entry.
func (l *lineradbDB) Tick(writtenBytes int64) error {
	_, err := l.db.Step(max(1, writtenBytes*l.stepRatio))
	return err
}

func (l *lineradbDB) Settle() error {
	if err := l.db.Flush(); err != nil {
		return err
	}
	return l.db.CompactAll()
}

func (l *lineradbDB) Compact() error { return l.Settle() }

func (l *lineradbDB) Get(key, dst []byte) ([]byte, bool, error) {
	v, err := l.db.Get(key)
	if errors.Is(err, lsm.ErrNotFound) {
		return dst, false, nil
	}
	if err != nil {
		return dst, false, err
	}
	return append(dst, v...), true, nil
}

func (l *lineradbDB) Scan(fn func(key, value []byte) error) (int64, error) {
	it, err := l.db.NewIter(nil)
	if err != nil {
		return 0, err
	}
	var n int64
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			it.Close()
			return n, err
		}
		n++
	}
	if err := it.Error(); err != nil {
		it.Close()
		return n, err
	}
	return n, it.Close()
}

// Concurrent is false: an lsm.DB has one owner by design (DESIGN.md: the
// node loop owns all state; no locks inside the core).
func (l *lineradbDB) Concurrent() bool { return false }

func (l *lineradbDB) Counters() Counters {
	m := l.db.Metrics()
	return Counters{
		WALBytes:        m.WALBytesWritten,
		FlushBytes:      m.FlushBytesWritten,
		CompactionBytes: m.CompactionBytesWritten,
		EngineWriteAmp:  m.WriteAmplification(),
		Tables:          m.SSTableCount(),
		DiskUsageBytes:  m.DiskUsageBytes,
	}
}

func (l *lineradbDB) Close() error {
	if err := l.db.Close(); err != nil {
		return fmt.Errorf("lineradb close: %w", err)
	}
	return nil
}
