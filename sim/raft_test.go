package sim

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/internal/simreport"
)

// raftQuickSeeds keeps the default `go test ./sim` fast; CI widens it with
// -seeds (make sim, or -seeds=200 by hand).
const raftQuickSeeds = 40

// raftSeeds returns the seeds the flags ask for (see flags_test.go), the
// quick default set otherwise, and whether to be verbose.
func raftSeeds() ([]uint64, bool) {
	if flagSet("seed") || flagSet("seeds") {
		return campaignSeeds()
	}
	return SeedRange(*flagSeedBase, raftQuickSeeds), false
}

func raftReplay(seed uint64) string {
	return fmt.Sprintf("go test ./sim -run '^TestRaft$' -seed=%d -v", seed)
}

// runRaftReported runs one seed and, if porcupine rejected its history,
// writes the HTML visualization to a temporary directory and names it in
// the failure.
func runRaftReported(seed uint64, opts RaftOptions) raftRun {
	r := runRaft(seed, opts)
	if r.result.Failed != nil && r.lin != nil && !r.lin.OK {
		path, err := simreport.WriteHTML("", "lineradb-raft-", seed, r.lin.WriteHTML)
		r.result.Failed = simreport.Annotate(r.result.Failed, "porcupine HTML", path, err)
	}
	return r
}

// TestRaft is the Raft simulation campaign:
//
//	go test ./sim -run TestRaft -seeds=200              200 seeds from -seedbase
//	go test ./sim -run '^TestRaft$' -seed=17 -v         replay one seed
//
// A campaign of more than one seed also checks the coverage probes: a
// fault or protocol path that never ran was never tested.
func TestRaft(t *testing.T) {
	seeds, verbose := raftSeeds()
	res := RunSeeds(CampaignConfig{
		Seeds: seeds, Wall: clock.Real{}, Out: os.Stdout, Verbose: verbose, Replay: raftReplay,
	}, func(seed uint64) SeedResult { return runRaftReported(seed, RaftOptions{}).result })
	if verbose {
		fmt.Println("counters:", CountersLine(res.Counters))
	}
	if res.Failed > 0 {
		t.Fatalf("%d of %d seeds failed", res.Failed, res.Seeds)
	}
	if len(seeds) > 1 {
		checkRaftProbes(t, res)
	}
}

// raftProbes are the counters that must be non-zero across a campaign:
// leaders changed, snapshots installed, crashes and restarts, membership
// changes and transfers completed, ambiguous client operations, and the
// Raft-aware faults fired.
var raftProbes = []string{
	"raft.leaders_elected", "raft.snapshots_installed", "raft.snapshots_taken",
	"raft.crashes", "raft.restarts", "raft.conf_applied.add_learner",
	"raft.conf_applied.add_voter", "raft.conf_applied.remove", "raft.decommissioned",
	"raft.transfers_completed", "raft.ops_unknown", "raft.ops_ok", "raft.ops_failed",
	"raft.fault.isolate_leader", "raft.fault.crash_leader", "raft.fault.disk",
	"raft.node_stopped", "nemesis.crash", "nemesis.pause", "nemesis.partition",
	"nemesis.partition_asym", "nemesis.clock_drift", "nemesis.clock_jump",
	CounterDrop, CounterDup, CounterReorder, CounterPartitionDrop,
}

func checkRaftProbes(t *testing.T, res CampaignResult) {
	t.Helper()
	for _, miss := range missingRaftProbes(res) {
		t.Error(miss)
	}
	if t.Failed() {
		t.Log("counters:", CountersLine(res.Counters))
	}
}

// missingRaftProbes lists the probes a campaign never fired.
func missingRaftProbes(res CampaignResult) []string {
	got := map[string]uint64{}
	for _, c := range res.Counters {
		got[c.Name] = c.Count
	}
	var missing []string
	for _, name := range raftProbes {
		if got[name] == 0 {
			missing = append(missing, fmt.Sprintf("coverage probe %s never fired in %d seeds", name, res.Seeds))
		}
	}
	// More leaders than seeds: leadership changed, not just the first
	// election of each seed.
	if n := got["raft.leaders_elected"]; n <= uint64(res.Seeds) {
		missing = append(missing, fmt.Sprintf("only %d leaders in %d seeds: leadership never changed", n, res.Seeds))
	}
	return missing
}

// TestRaftProbesCanFail proves the probe check can fail: a campaign
// without faults has no crashes, snapshot installs or unknown ops.
func TestRaftProbesCanFail(t *testing.T) {
	res := RunSeeds(CampaignConfig{Seeds: SeedRange(1, 2), Wall: clock.Real{}},
		func(seed uint64) SeedResult { return RunRaft(seed, RaftOptions{NoFaults: true}) })
	if res.Failed != 0 {
		t.Fatalf("fault-free seeds failed: %+v", res.Results)
	}
	missing := missingRaftProbes(res)
	if len(missing) == 0 {
		t.Fatal("a fault-free campaign satisfied every coverage probe")
	}
	for _, want := range []string{"raft.crashes", "raft.ops_unknown", "leadership never changed"} {
		if !strings.Contains(strings.Join(missing, "\n"), want) {
			t.Errorf("fault-free campaign: %q not reported missing in %q", want, missing)
		}
	}
}

// TestRaftDeterminism runs seeds twice: identical trace hashes per seed,
// distinct across seeds.
func TestRaftDeterminism(t *testing.T) {
	err := CheckDeterminism(SeedRange(defaultSeedBase, 6), func(seed uint64) SeedResult {
		return RunRaft(seed, RaftOptions{})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRaftWithoutFaults is the baseline: a healthy cluster passes and
// does work.
func TestRaftWithoutFaults(t *testing.T) {
	for _, seed := range SeedRange(1, 5) {
		r := RunRaft(seed, RaftOptions{NoFaults: true})
		if r.Failed != nil {
			t.Fatalf("seed %d: %v", seed, r.Failed)
		}
		if r.Ops == 0 {
			t.Fatalf("seed %d: no operations", seed)
		}
	}
}

// regressionCampaigns maps a seed file's campaign name to its runner.
var regressionCampaigns = map[string]func(seed uint64) SeedResult{
	"raft": func(seed uint64) SeedResult { return runRaftReported(seed, RaftOptions{}).result },
	"toy":  func(seed uint64) SeedResult { return RunToy(seed, ToyOptions{}) },
}

type regressionSeed struct {
	file     string
	line     int
	campaign string
	seed     uint64
	what     string
}

// readRegressionSeeds parses every testdata/seeds/*.txt file.
func readRegressionSeeds(dir string) ([]regressionSeed, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	var out []regressionSeed
	for _, file := range files {
		seeds, err := parseSeedFile(file)
		if err != nil {
			return nil, err
		}
		out = append(out, seeds...)
	}
	return out, nil
}

func parseSeedFile(file string) ([]regressionSeed, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []regressionSeed
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, " ", 3)
		if len(fields) < 3 {
			return nil, fmt.Errorf("%s:%d: want `<campaign> <seed> <what it found>`", file, n)
		}
		seed, err := strconv.ParseUint(fields[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: seed: %v", file, n, err)
		}
		out = append(out, regressionSeed{file: file, line: n, campaign: fields[0], seed: seed, what: fields[2]})
	}
	return out, sc.Err()
}

// TestRegression replays every seed in testdata/seeds.
func TestRegression(t *testing.T) {
	seeds, err := readRegressionSeeds(filepath.Join("..", "testdata", "seeds"))
	if err != nil {
		t.Fatal(err)
	}
	if len(seeds) == 0 {
		t.Fatal("no regression seeds found")
	}
	for _, s := range seeds {
		run, ok := regressionCampaigns[s.campaign]
		if !ok {
			t.Errorf("%s:%d: unknown campaign %q", s.file, s.line, s.campaign)
			continue
		}
		if r := runOne(s.seed, run); r.Failed != nil {
			t.Errorf("%s:%d: %s seed %d (%s) fails again: %v", s.file, s.line, s.campaign, s.seed, s.what, r.Failed)
		}
	}
}

// TestRegressionSeedFileFormat proves the parser rejects malformed lines.
func TestRegressionSeedFileFormat(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"short.txt":   "raft 12\n",
		"badseed.txt": "raft twelve found something\n",
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := parseSeedFile(path); err == nil {
			t.Errorf("%s: malformed line accepted", name)
		}
	}
	good := filepath.Join(dir, "good.txt")
	if err := os.WriteFile(good, []byte("# comment\n\nraft 7 found a thing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	seeds, err := parseSeedFile(good)
	if err != nil || len(seeds) != 1 || seeds[0].seed != 7 || seeds[0].what != "found a thing" {
		t.Fatalf("good file: %+v, %v", seeds, err)
	}
}

// percentile returns the p-th percentile (0..100) of sorted ds, nearest
// rank.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := (len(ds)*p + 99) / 100
	return ds[max(i-1, 0)]
}

// tuneLeaderCrashesOnly keeps only the crash_leader fault: failover time
// on an otherwise healthy network.
func tuneLeaderCrashesOnly(c *raftConfig) {
	c.nemesis.Enabled = [faultKindCount]bool{}
	c.faults = raftFaultConfig{crashLeader: true, intervalMean: time.Second, episodeMax: 2 * time.Second}
	if c.nodes == 1 {
		c.nodes = 3 // a single node has no failover to measure
	}
	c.nemesis.DownMax = 1
}

// TestRaftElectionStats measures, for docs/BENCHMARKS.md, the time from a
// leader's crash to the next leader (simulated ms) — under the campaign's
// fault mix and with leader crashes as the only fault — and messages per
// committed entry, under faults and on a healthy cluster:
//
//	go test ./sim -run TestRaftElectionStats -v -seeds=500
func TestRaftElectionStats(t *testing.T) {
	seeds, _ := raftSeeds()
	if !flagSet("seed") && !flagSet("seeds") {
		seeds = seeds[:10] // a smoke run; the figures come from -seeds=500
	}
	var gaps, cleanGaps []time.Duration
	var faultyMsgs, faultyEntries, cleanMsgs, cleanEntries uint64
	for _, seed := range seeds {
		r := runRaft(seed, RaftOptions{})
		if r.result.Failed != nil {
			t.Fatalf("seed %d: %v", seed, r.result.Failed)
		}
		gaps = append(gaps, r.stats.electionGaps...)
		faultyMsgs += r.stats.messages
		faultyEntries += r.stats.committed
		c := runRaft(seed, RaftOptions{NoFaults: true})
		if c.result.Failed != nil {
			t.Fatalf("seed %d without faults: %v", seed, c.result.Failed)
		}
		cleanMsgs += c.stats.messages
		cleanEntries += c.stats.committed
		lc := runRaft(seed, RaftOptions{tune: tuneLeaderCrashesOnly})
		if lc.result.Failed != nil {
			t.Fatalf("seed %d with leader crashes only: %v", seed, lc.result.Failed)
		}
		cleanGaps = append(cleanGaps, lc.stats.electionGaps...)
	}
	for _, g := range []struct {
		name string
		ds   []time.Duration
	}{{"campaign faults", gaps}, {"leader crashes only", cleanGaps}} {
		if len(g.ds) == 0 {
			t.Fatalf("%s: no leader crashed in %d seeds", g.name, len(seeds))
		}
		slices.Sort(g.ds)
		fmt.Printf("raft: %s: seeds=%d leader crashes=%d new leader after p50=%.0fms p99=%.0fms max=%.0fms\n",
			g.name, len(seeds), len(g.ds), ms(percentile(g.ds, 50)), ms(percentile(g.ds, 99)), ms(g.ds[len(g.ds)-1]))
	}
	fmt.Printf("raft: messages per committed entry: %.2f under faults, %.2f healthy\n",
		float64(faultyMsgs)/float64(max(faultyEntries, 1)), float64(cleanMsgs)/float64(max(cleanEntries, 1)))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
