package sim

import (
	"fmt"
	"testing"
	"time"
)

// Measurements for docs/BENCHMARKS.md ("Simulation (whole database)").
// Pass/fail never depends on them: the benchmark reports wall-time
// figures, the test prints simulated-time figures (deterministic per seed).
//
//	go test ./sim -run '^$' -bench BenchmarkSimDB -benchtime 20x
//	go test ./sim -run TestSimThroughput -v -seeds=50

// dbLoad: a busy, healthy 5-node cluster: 8 clients with 1 ms think time
// over every workload.
func dbLoad(c *dbConfig) {
	c.work.enabled = [dbWorkKindCount]bool{true, true, true}
	c.work.clients = 8
	c.thinkMean = time.Millisecond
	c.opTimeout = 2 * time.Second
}

// BenchmarkSimDB5Node measures simulation speed: simulated seconds per
// wall second for a 5-node cluster under load, without and with faults.
func BenchmarkSimDB5Node(b *testing.B) {
	for _, faults := range []bool{false, true} {
		b.Run(fmt.Sprintf("faults=%v", faults), func(b *testing.B) {
			var simulated time.Duration
			var ops int
			for i := 0; i < b.N; i++ {
				r := RunDB(uint64(i+1), DBOptions{NoFaults: !faults, Nodes: 5, Workload: 10 * time.Second, tune: dbLoad})
				if r.Failed != nil {
					b.Fatalf("seed %d: %v", i+1, r.Failed)
				}
				simulated += r.Simulated
				ops += r.Ops
			}
			b.ReportMetric(simulated.Seconds()/b.Elapsed().Seconds(), "sim-s/wall-s")
			b.ReportMetric(float64(ops)/b.Elapsed().Seconds(), "ops/wall-s")
		})
	}
}

// BenchmarkSimDBSeed measures the default campaign's cost per seed.
func BenchmarkSimDBSeed(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if r := RunDB(uint64(i+1), DBOptions{}); r.Failed != nil {
			b.Fatalf("seed %d: %v", i+1, r.Failed)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Minutes(), "seeds/min")
}

// TestSimThroughput prints committed transactions per simulated second and
// the abort rate, on a healthy 5-node cluster under load and under
// contention (two accounts, one list key, ten clients).
func TestSimThroughput(t *testing.T) {
	seeds := SeedRange(*flagSeedBase, 1)
	if flagSet("seeds") || flagSet("seed") {
		seeds, _ = campaignSeeds()
	}
	for _, mode := range []struct {
		name string
		tune func(*dbConfig)
	}{{"load", dbLoad}, {"contention", dbContention}} {
		var st dbStats
		for _, seed := range seeds {
			r := RunDBReport(seed, DBOptions{NoFaults: true, Nodes: 5, Workload: 10 * time.Second, tune: mode.tune})
			if r.Result.Failed != nil {
				t.Fatalf("%s seed %d: %v", mode.name, seed, r.Result.Failed)
			}
			st.committed += r.stats.committed
			st.aborted += r.stats.aborted
			st.ambiguous += r.stats.ambiguous
			st.workloadTime += r.stats.workloadTime
		}
		if st.committed == 0 {
			t.Fatalf("%s: nothing committed", mode.name)
		}
		proposed := st.committed + st.aborted + st.ambiguous
		fmt.Printf("sim throughput (%s, 5 nodes, %d seeds): %.0f committed txns per simulated second, abort rate %.1f%% (%d aborted of %d proposed)\n",
			mode.name, len(seeds), float64(st.committed)/st.workloadTime.Seconds(),
			100*float64(st.aborted)/float64(proposed), st.aborted, proposed)
	}
}
