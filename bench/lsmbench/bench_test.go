package lsmbench

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The Go benchmarks are the cmd's workloads at a smaller size, for quick
// comparisons and profiles:
//
//	go test -run '^$' -bench . -benchmem ./lsmbench
//	go test -run '^$' -bench 'Get/engine=lineradb/cache=8MiB' -cpuprofile cpu.out ./lsmbench
var benchKeys = flag.Int64("lsmbench.keys", 200_000, "records in the data set the read benchmarks use")

// preparedDirs holds one compacted data set per engine, built on first
// use and removed by TestMain: preparing takes seconds, and the testing
// package calls each benchmark several times.
var (
	preparedMu   sync.Mutex
	preparedDirs = map[string]string{}
	preparedRoot string
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if preparedRoot != "" {
		os.RemoveAll(preparedRoot)
	}
	os.Exit(code)
}

func preparedDir(b *testing.B, engine string) string {
	preparedMu.Lock()
	defer preparedMu.Unlock()
	if dir, ok := preparedDirs[engine]; ok {
		return dir
	}
	if preparedRoot == "" {
		root, err := os.MkdirTemp("", "lsmbench")
		if err != nil {
			b.Fatal(err)
		}
		preparedRoot = root
	}
	dir := filepath.Join(preparedRoot, engine)
	e, err := Open(engine, Config{Dir: dir, CacheBytes: 8 << 20, CompactToOneRun: true})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Fill(e, testSeed, *benchKeys, 100); err != nil {
		b.Fatal(err)
	}
	if err := e.Compact(); err != nil {
		b.Fatal(err)
	}
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
	preparedDirs[engine] = dir
	return dir
}

func openBench(b *testing.B, cfg Config, engine string) Engine {
	e, err := Open(engine, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := e.Close(); err != nil {
			b.Error(err)
		}
	})
	return e
}

func BenchmarkFill(b *testing.B) {
	for _, engine := range Engines {
		for _, batch := range []int{1, 100} {
			b.Run(fmt.Sprintf("engine=%s/batch=%d", engine, batch), func(b *testing.B) {
				e := openBench(b, Config{Dir: b.TempDir(), CacheBytes: 8 << 20}, engine)
				b.SetBytes(RecordSizeBytes)
				b.ResetTimer()
				if err := writeRecords(e, testSeed, 0, int64(b.N), batch, false); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := e.Settle(); err != nil {
					b.Fatal(err)
				}
				c := e.Counters()
				b.ReportMetric(float64(c.WrittenBytes())/float64(int64(b.N)*RecordSizeBytes), "write-amp")
			})
		}
	}
}

func BenchmarkSyncWrite(b *testing.B) {
	for _, engine := range Engines {
		b.Run("engine="+engine, func(b *testing.B) {
			e := openBench(b, Config{Dir: b.TempDir(), CacheBytes: 8 << 20}, engine)
			b.ResetTimer()
			if err := writeRecords(e, testSeed, 0, int64(b.N), 1, true); err != nil {
				b.Fatal(err)
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	for _, engine := range Engines {
		for _, cache := range []struct {
			name  string
			bytes int64
		}{{"8MiB", 8 << 20}, {"1GiB", 1 << 30}} {
			b.Run(fmt.Sprintf("engine=%s/cache=%s", engine, cache.name), func(b *testing.B) {
				e := openBench(b, Config{Dir: preparedDir(b, engine), CacheBytes: cache.bytes}, engine)
				rng := rand.New(rand.NewPCG(1, 2))
				var key, got, want []byte
				b.ResetTimer()
				for range b.N {
					i := rng.Int64N(*benchKeys)
					key = AppendKey(key[:0], testSeed, i)
					var found bool
					var err error
					got, found, err = e.Get(key, got[:0])
					want = AppendValue(want[:0], testSeed, i)
					if err != nil || !found || !bytes.Equal(got, want) {
						b.Fatalf("record %d: found=%v err=%v", i, found, err)
					}
				}
			})
		}
	}
}

// BenchmarkGetParallel is Pebble only: LineraDB's DB has one owner.
func BenchmarkGetParallel(b *testing.B) {
	e := openBench(b, Config{Dir: preparedDir(b, EnginePebble), CacheBytes: 8 << 20}, EnginePebble)
	var seed uint64
	var seedMu sync.Mutex
	b.RunParallel(func(pb *testing.PB) {
		seedMu.Lock()
		seed++
		rng := rand.New(rand.NewPCG(seed, 3))
		seedMu.Unlock()
		var key, got []byte
		for pb.Next() {
			key = AppendKey(key[:0], testSeed, rng.Int64N(*benchKeys))
			var found bool
			var err error
			if got, found, err = e.Get(key, got[:0]); err != nil || !found {
				b.Errorf("get: found=%v err=%v", found, err)
				return
			}
		}
	})
}

func BenchmarkScan(b *testing.B) {
	for _, engine := range Engines {
		b.Run("engine="+engine, func(b *testing.B) {
			e := openBench(b, Config{Dir: preparedDir(b, engine), CacheBytes: 8 << 20}, engine)
			b.SetBytes(*benchKeys * RecordSizeBytes)
			b.ResetTimer()
			for range b.N {
				if _, err := Scan(e, *benchKeys); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(*benchKeys)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
		})
	}
}
