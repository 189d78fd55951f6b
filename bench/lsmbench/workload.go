package lsmbench

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// BatchKeysMax bounds a write batch: the fill buffers are sized by it.
const BatchKeysMax = 10_000

// readCheckEveryOps is how many reads a reader does between clock reads,
// so reading the clock costs nothing measurable.
const readCheckEveryOps = 256

// Run is one measured loop: ops done, wall-clock and process CPU time.
type Run struct {
	Ops  int64
	Wall time.Duration
	// CPU is user+system time of the whole process, so Pebble's
	// background goroutines are billed to it.
	CPU time.Duration
}

// OpsPerSecond is the wall-clock throughput.
func (r Run) OpsPerSecond() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Wall.Seconds()
}

// CPUPerOp is the process CPU time per op.
func (r Run) CPUPerOp() time.Duration {
	if r.Ops == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Ops)
}

// timed runs f and measures it.
func timed(f func() (int64, error)) (Run, error) {
	cpu0, t0 := ProcessCPU(), time.Now()
	ops, err := f()
	return Run{Ops: ops, Wall: time.Since(t0), CPU: ProcessCPU() - cpu0}, err
}

// batchBuf holds one batch of records, preallocated so the loop itself
// allocates nothing per record.
type batchBuf struct {
	keys, values [][]byte
	keyBuf       []byte
	valueBuf     []byte
}

func newBatchBuf(n int) *batchBuf {
	if n < 1 || n > BatchKeysMax {
		panic(fmt.Sprintf("lsmbench: batch of %d keys outside [1, %d]", n, BatchKeysMax))
	}
	return &batchBuf{
		keys: make([][]byte, 0, n), values: make([][]byte, 0, n),
		keyBuf: make([]byte, 0, n*KeySizeBytes), valueBuf: make([]byte, 0, n*ValueSizeBytes),
	}
}

// fill loads records [first, first+n) of the data set.
func (b *batchBuf) fill(seed uint64, first int64, n int) {
	b.keys, b.values = b.keys[:0], b.values[:0]
	b.keyBuf, b.valueBuf = b.keyBuf[:0], b.valueBuf[:0]
	for i := first; i < first+int64(n); i++ {
		k := len(b.keyBuf)
		b.keyBuf = AppendKey(b.keyBuf, seed, i)
		v := len(b.valueBuf)
		b.valueBuf = AppendValue(b.valueBuf, seed, i)
		b.keys = append(b.keys, b.keyBuf[k:len(b.keyBuf):len(b.keyBuf)])
		b.values = append(b.values, b.valueBuf[v:len(b.valueBuf):len(b.valueBuf)])
	}
}

// writeRecords writes records [first, first+n) in batches, calling Tick
// after each batch as the engine's owner would.
func writeRecords(e Engine, seed uint64, first, n int64, batchKeys int, sync bool) error {
	b := newBatchBuf(batchKeys)
	for i := first; i < first+n; i += int64(batchKeys) {
		k := int(min(int64(batchKeys), first+n-i))
		b.fill(seed, i, k)
		if err := e.Write(b.keys, b.values, sync); err != nil {
			return fmt.Errorf("write records [%d, %d): %w", i, i+int64(k), err)
		}
		if err := e.Tick(int64(k) * RecordSizeBytes); err != nil {
			return fmt.Errorf("background work after record %d: %w", i, err)
		}
	}
	return nil
}

// Fill writes records [0, n) in batches of batchKeys without sync and
// measures the loop (pending background work is not waited for: Settle
// afterwards, outside the measurement, as for Pebble).
func Fill(e Engine, seed uint64, n int64, batchKeys int) (Run, error) {
	return timed(func() (int64, error) {
		return n, writeRecords(e, seed, 0, n, batchKeys, false)
	})
}

// SyncWrites writes single records with sync, starting at record first,
// for duration d or until opsMax records, whichever comes first.
func SyncWrites(e Engine, seed uint64, first int64, d time.Duration, opsMax int64) (Run, error) {
	return timed(func() (int64, error) {
		deadline := time.Now().Add(d)
		var n int64
		for n < opsMax && time.Now().Before(deadline) {
			if err := writeRecords(e, seed, first+n, 1, 1, true); err != nil {
				return n, err
			}
			n++
		}
		return n, nil
	})
}

// ReadSpec describes a random point-read run over records [0, Keys).
type ReadSpec struct {
	Seed       uint64 // the data set's seed
	Keys       int64  // records [0, Keys) exist
	Goroutines int
	Warmup     time.Duration // reads before the measurement, not counted
	Duration   time.Duration
	ReadSeed   uint64 // picks which records are read
}

// Reads does random point reads of existing records and checks every
// value. Several goroutines need an engine whose Get is concurrent.
func Reads(e Engine, s ReadSpec) (Run, error) {
	if s.Goroutines < 1 || (s.Goroutines > 1 && !e.Concurrent()) {
		return Run{}, fmt.Errorf("lsmbench: %s cannot serve %d reading goroutines", e.Name(), s.Goroutines)
	}
	if _, err := readLoop(e, s, s.Warmup, s.ReadSeed^0xabcdef); err != nil {
		return Run{}, err
	}
	return timed(func() (int64, error) { return readLoop(e, s, s.Duration, s.ReadSeed) })
}

// readLoop runs s.Goroutines readers for d and returns their total reads.
func readLoop(e Engine, s ReadSpec, d time.Duration, readSeed uint64) (int64, error) {
	deadline := time.Now().Add(d)
	ops := make([]int64, s.Goroutines)
	errs := make([]error, s.Goroutines)
	var wg sync.WaitGroup
	for g := range s.Goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ops[g], errs[g] = reader(e, s, deadline, rand.New(rand.NewPCG(readSeed, uint64(g))))
		}()
	}
	wg.Wait()
	var total int64
	for _, n := range ops {
		total += n
	}
	return total, errors.Join(errs...)
}

func reader(e Engine, s ReadSpec, deadline time.Time, rng *rand.Rand) (int64, error) {
	key := make([]byte, 0, KeySizeBytes)
	got := make([]byte, 0, ValueSizeBytes)
	want := make([]byte, 0, ValueSizeBytes)
	var n int64
	for time.Now().Before(deadline) {
		for range readCheckEveryOps {
			i := rng.Int64N(s.Keys)
			key = AppendKey(key[:0], s.Seed, i)
			var found bool
			var err error
			got, found, err = e.Get(key, got[:0])
			if err != nil {
				return n, fmt.Errorf("get record %d: %w", i, err)
			}
			want = AppendValue(want[:0], s.Seed, i)
			if !found || !bytes.Equal(got, want) {
				return n, fmt.Errorf("get record %d: found=%v, value differs=%v", i, found, !bytes.Equal(got, want))
			}
			n++
		}
	}
	return n, nil
}

// Scan reads every key in order and checks that there are wantKeys of
// them, strictly increasing, with values of the right size.
func Scan(e Engine, wantKeys int64) (Run, error) {
	prev := make([]byte, 0, KeySizeBytes)
	var seen int64
	return timed(func() (int64, error) {
		n, err := e.Scan(func(k, v []byte) error {
			if seen > 0 && bytes.Compare(prev, k) >= 0 {
				return fmt.Errorf("scan: key %x after %x", k, prev)
			}
			if len(v) != ValueSizeBytes {
				return fmt.Errorf("scan: key %x has a %d-byte value", k, len(v))
			}
			prev = append(prev[:0], k...)
			seen++
			return nil
		})
		if err == nil && (seen != wantKeys || n != seen) {
			err = fmt.Errorf("scan: saw %d keys (engine counted %d), want %d", seen, n, wantKeys)
		}
		return seen, err
	})
}
