package lsmbench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cockroachdb/pebble"
)

// pebbleDB adapts Pebble v1.1.5 with default options but the cache size
// (WAL on, 4 MiB memtables, its own flush and compaction goroutines).
type pebbleDB struct {
	db    *pebble.DB
	cache *pebble.Cache
	batch *pebble.Batch
}

// Settling polls Pebble's metrics: it has no "wait for compactions" call.
// It is settled once this many polls in a row see no flush or compaction.
const (
	pebbleSettlePollsQuiet = 5
	pebbleSettlePoll       = 10 * time.Millisecond
)

// quietLogger drops Pebble's informational log lines (they would mix with
// the report) but keeps fatal ones.
type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{}) {}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
	os.Exit(1)
}

func openPebble(cfg Config) (Engine, error) {
	cache := pebble.NewCache(cfg.CacheBytes)
	db, err := pebble.Open(cfg.Dir, &pebble.Options{Cache: cache, Logger: quietLogger{}})
	if err != nil {
		cache.Unref()
		return nil, err
	}
	return &pebbleDB{db: db, cache: cache, batch: db.NewBatch()}, nil
}

func (p *pebbleDB) Name() string { return EnginePebble }

func (p *pebbleDB) Write(keys, values [][]byte, sync bool) error {
	p.batch.Reset()
	for i := range keys {
		if err := p.batch.Set(keys[i], values[i], nil); err != nil {
			return err
		}
	}
	opt := pebble.NoSync
	if sync {
		opt = pebble.Sync
	}
	return p.batch.Commit(opt)
}

func (p *pebbleDB) Tick(int64) error { return nil }

func (p *pebbleDB) Settle() error {
	if err := p.db.Flush(); err != nil {
		return err
	}
	p.waitIdle()
	return nil
}

func (p *pebbleDB) waitIdle() {
	for quiet := 0; quiet < pebbleSettlePollsQuiet; {
		time.Sleep(pebbleSettlePoll)
		m := p.db.Metrics()
		if m.Compact.NumInProgress == 0 && m.Flush.NumInProgress == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
}

// pebbleKeyMax sorts after every 16-byte key.
var pebbleKeyMax = bytes.Repeat([]byte{0xff}, KeySizeBytes+1)

func (p *pebbleDB) Compact() error {
	if err := p.db.Flush(); err != nil {
		return err
	}
	if err := p.db.Compact(nil, pebbleKeyMax, true); err != nil {
		return err
	}
	p.waitIdle()
	return nil
}

func (p *pebbleDB) Get(key, dst []byte) ([]byte, bool, error) {
	v, closer, err := p.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return dst, false, nil
	}
	if err != nil {
		return dst, false, err
	}
	dst = append(dst, v...)
	return dst, true, closer.Close()
}

func (p *pebbleDB) Scan(fn func(key, value []byte) error) (int64, error) {
	it, err := p.db.NewIter(nil)
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
	return n, it.Close()
}

func (p *pebbleDB) Concurrent() bool { return true }

func (p *pebbleDB) Counters() Counters {
	m := p.db.Metrics()
	c := Counters{WALBytes: int64(m.WAL.BytesWritten), DiskUsageBytes: int64(m.DiskSpaceUsage())}
	for _, l := range m.Levels {
		c.FlushBytes += int64(l.BytesFlushed)
		c.CompactionBytes += int64(l.BytesCompacted)
		c.Tables += int(l.NumFiles)
	}
	total := m.Total()
	c.EngineWriteAmp = total.WriteAmp()
	return c
}

func (p *pebbleDB) Close() error {
	err := p.batch.Close()
	if cerr := p.db.Close(); err == nil {
		err = cerr
	}
	p.cache.Unref()
	return err
}
