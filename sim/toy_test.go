package sim

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestToy is the toy campaign; see flags_test.go for -seed/-seeds.
func TestToy(t *testing.T) {
	runCampaign(t, "TestToy", func(seed uint64) SeedResult {
		return RunToy(seed, ToyOptions{})
	})
}

// TestToyCoverage requires the default campaign to have fired every fault
// kind and network fault at least once; a fault that never fires is a
// fault never tested.
func TestToyCoverage(t *testing.T) {
	var all []Counter
	for _, seed := range SeedRange(defaultSeedBase, quickSeeds) {
		r := RunToy(seed, ToyOptions{})
		if r.Failed != nil {
			t.Fatalf("seed %d: %v", seed, r.Failed)
		}
		all = MergeCounters(all, r.Counters)
	}
	got := map[string]uint64{}
	for _, c := range all {
		got[c.Name] = c.Count
	}
	want := []string{CounterDrop, CounterDup, CounterReorder, CounterClogDelay,
		CounterPartitionDrop, CounterDownDrop, CounterPauseHold, CounterDeliver}
	for k := FaultKind(0); k < faultKindCount; k++ {
		want = append(want, "nemesis."+k.String())
	}
	for _, name := range want {
		if got[name] == 0 {
			t.Errorf("%s never fired in %d seeds", name, quickSeeds)
		}
	}
	if t.Failed() {
		t.Log("counters:", CountersLine(all))
	}
}

// TestToyCheckerCatchesOverReport proves the safety check can fail: nodes
// that advertise one more than they counted must be caught, on every seed.
func TestToyCheckerCatchesOverReport(t *testing.T) {
	for _, seed := range SeedRange(defaultSeedBase, 5) {
		r := RunToy(seed, ToyOptions{OverReport: true})
		if r.Failed == nil {
			t.Fatalf("seed %d: over-reporting toy passed the checker", seed)
		}
		if !strings.Contains(r.Failed.Error(), "toy.safety") {
			t.Fatalf("seed %d: failed for the wrong reason: %v", seed, r.Failed)
		}
	}
}

// TestToyLivenessCheckCanFail proves the liveness check can fail: a
// cluster with a node cut off for good must not be reported converged.
func TestToyLivenessCheckCanFail(t *testing.T) {
	k := NewKernel(3)
	cfg := drawToyConfig(k, ToyOptions{NoFaults: true})
	nw, err := NewNetwork(k, cfg.net)
	if err != nil {
		t.Fatal(err)
	}
	c := newToyCluster(k, nw, cfg, ToyOptions{})
	nw.Isolate(1)
	err = c.run()
	if err == nil || !strings.Contains(err.Error(), "liveness") {
		t.Fatalf("permanently isolated cluster: err = %v, want a liveness failure", err)
	}
}

// TestToyWithoutFaultsConverges is the baseline: no nemesis, no failure.
func TestToyWithoutFaultsConverges(t *testing.T) {
	r := RunToy(11, ToyOptions{NoFaults: true})
	if r.Failed != nil {
		t.Fatal(r.Failed)
	}
	if r.Ops == 0 {
		t.Fatal("workload issued no operations")
	}
}

// TestDeterminism runs 20 seeds twice each: identical hashes per seed,
// distinct hashes across seeds.
func TestDeterminism(t *testing.T) {
	err := CheckDeterminism(SeedRange(defaultSeedBase, 20), func(seed uint64) SeedResult {
		return RunToy(seed, ToyOptions{})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDeterminismCheckCatchesNondeterminism proves the comparison can fail:
// a run that mixes in a value that differs between the two runs of a seed
// (here a counter outside the simulation, standing in for time.Now or map
// order) must be reported.
func TestDeterminismCheckCatchesNondeterminism(t *testing.T) {
	calls := uint64(0)
	err := CheckDeterminism(SeedRange(defaultSeedBase, 3), func(seed uint64) SeedResult {
		calls++
		leak := calls
		return RunToy(seed, ToyOptions{Hook: func(k *Kernel) {
			k.Schedule(time.Millisecond, "test.leak", func() { k.TraceU64(leak) })
		}})
	})
	if !errors.Is(err, ErrNondeterministic) {
		t.Fatalf("err = %v, want ErrNondeterministic", err)
	}
}

// TestDeterminismCheckCatchesConstantHash proves the distinct-seeds half
// can fail: a run whose hash ignores the seed witnesses nothing.
func TestDeterminismCheckCatchesConstantHash(t *testing.T) {
	err := CheckDeterminism(SeedRange(defaultSeedBase, 3), func(seed uint64) SeedResult {
		return SeedResult{Seed: seed, TraceHash: 42}
	})
	if err == nil || !strings.Contains(err.Error(), "share trace hash") {
		t.Fatalf("err = %v, want a shared-hash error", err)
	}
}

// TestToyLivenessCatchesNoRetransmit proves the liveness check catches a
// real protocol bug: without retransmission a lost update is lost for good.
// Only seeds whose faults lose a final update can fail, so several run.
func TestToyLivenessCatchesNoRetransmit(t *testing.T) {
	const seeds = 10
	caught := 0
	for _, seed := range SeedRange(defaultSeedBase, seeds) {
		r := RunToy(seed, ToyOptions{NoRetransmit: true})
		if r.Failed == nil {
			continue
		}
		if !strings.Contains(r.Failed.Error(), "liveness") {
			t.Fatalf("seed %d: failed for the wrong reason: %v", seed, r.Failed)
		}
		caught++
	}
	if caught == 0 {
		t.Fatalf("missing retransmission never caught in %d seeds", seeds)
	}
	t.Logf("missing retransmission caught on %d of %d seeds", caught, seeds)
}
