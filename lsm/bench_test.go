package lsm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lineradb/lineradb/diskio"
)

// Keys and values shaped like the Pebble anchor: 16-byte random keys,
// 100-byte values.
func benchKV(rng *rand.Rand) (k, v []byte) {
	k = fmt.Appendf(nil, "%016x", rng.Uint64())
	v = make([]byte, 100)
	for i := range v {
		v[i] = byte(rng.IntN(256))
	}
	return k, v
}

// BenchmarkFill writes random keys without sync, doing background work the
// way an owner would: one Step per 100 writes.
func BenchmarkFill(b *testing.B) {
	fs := diskio.NewMemFS(1)
	d := mustOpen(b, fs, Options{MemtableSizeMB: 4, SSTableSizeMB: 2})
	defer d.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	b.SetBytes(116)
	b.ResetTimer()
	for i := range b.N {
		k, v := benchKV(rng)
		if err := d.Set(k, v, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		if i%100 == 0 {
			if _, err := d.Step(1 << 20); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	m := d.Metrics()
	b.ReportMetric(m.WriteAmplification(), "write-amp")
}

// BenchmarkGet reads random present keys from 100k keys in tables.
func BenchmarkGet(b *testing.B) {
	fs := diskio.NewMemFS(1)
	d := mustOpen(b, fs, Options{MemtableSizeMB: 4, SSTableSizeMB: 2})
	defer d.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 100_000
	keys := make([][]byte, n)
	for i := range keys {
		k, v := benchKV(rng)
		keys[i] = k
		if err := d.Set(k, v, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	if err := d.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := d.CompactAll(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := d.Get(keys[rng.IntN(n)]); err != nil {
			b.Fatal(err)
		}
	}
}
