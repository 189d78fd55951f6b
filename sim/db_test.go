package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/internal/simreport"
	"github.com/lineradb/lineradb/node"

	"github.com/lineradb/lineradb/clock"
)

// dbQuickSeeds keeps the default `go test ./sim` fast; `make test` runs
// -seeds=200 and `make sim` as many as asked.
const dbQuickSeeds = 5

// dbDeterminismEvery: every this-many-th seed of a campaign runs twice and
// must give the same trace hash.
const dbDeterminismEvery = 10

// dbProbeSeedsMin is the campaign size from which coverage probes are
// checked: a handful of seeds cannot be expected to fire every fault.
const dbProbeSeedsMin = 100

func init() {
	// TestRegression (raft_test.go) replays `sim <seed> <what>` lines of
	// testdata/seeds through the database campaign.
	regressionCampaigns["sim"] = func(seed uint64) SeedResult { return runDBReported(seed, DBOptions{}) }
}

// dbSeeds returns the seeds the flags ask for (see flags_test.go), the
// quick default set otherwise, and whether to be verbose.
func dbSeeds() ([]uint64, bool) {
	if flagSet("seed") || flagSet("seeds") {
		return campaignSeeds()
	}
	return SeedRange(*flagSeedBase, dbQuickSeeds), false
}

func dbReplay(seed uint64) string {
	return fmt.Sprintf("go test ./sim -run TestSim -seed=%d", seed)
}

// runDBReported runs one seed and, if porcupine rejected its history,
// writes the HTML visualization to a directory under os.TempDir() that
// is kept, and names it in the failure.
//
// Every failure also writes the annotated history (each operation with the
// replica that served it and its read and commit versions) next to it.
func runDBReported(seed uint64, opts DBOptions) SeedResult {
	r := RunDBReport(seed, opts)
	if r.Result.Failed == nil {
		return r.Result
	}
	dir, err := os.MkdirTemp("", "lineradb-sim-")
	if err != nil {
		r.Result.Failed = fmt.Errorf("%w (report directory not created: %v)", r.Result.Failed, err)
		return r.Result
	}
	if path, err := writeDBHistory(dir, seed, r); err == nil {
		r.Result.Failed = fmt.Errorf("%w; history: %s", r.Result.Failed, path)
	}
	if r.Lin != nil && !r.Lin.OK {
		path, err := simreport.WriteHTML(dir, "", seed, r.Lin.WriteHTML)
		r.Result.Failed = simreport.Annotate(r.Result.Failed, "porcupine HTML", path, err)
	}
	return r.Result
}

func writeDBHistory(dir string, seed uint64, r DBRun) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("seed-%d-history.txt", seed))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := r.History.Dump(f); err != nil {
		f.Close()
		return "", err
	}
	fmt.Fprintln(f, "\n# operations: serving replica, read version, commit version")
	for _, note := range r.Notes {
		fmt.Fprintln(f, note)
	}
	return path, f.Close()
}

// dbCampaignRun is TestSim's per-seed function: every
// dbDeterminismEvery-th seed runs twice and the runs must match.
func dbCampaignRun(opts DBOptions) func(seed uint64) SeedResult {
	return func(seed uint64) SeedResult {
		r := runDBReported(seed, opts)
		if seed%dbDeterminismEvery == 0 && r.Failed == nil {
			again := RunDB(seed, opts)
			again.Seed = seed
			r.Seed = seed
			if err := CompareRuns(r, again); err != nil {
				r.Failed = err
			}
		}
		return r
	}
}

// TestSim is the whole-database simulation campaign:
//
//	go test ./sim -run TestSim -seeds=200          200 seeds from -seedbase
//	go test ./sim -run TestSim -seed=17            replay one seed, verbosely
//
// A campaign of at least dbProbeSeedsMin seeds also checks the coverage
// probes: a fault or path that never ran was never tested.
func TestSim(t *testing.T) {
	seeds, verbose := dbSeeds()
	res := RunSeeds(CampaignConfig{
		Seeds: seeds, Wall: clock.Real{}, Out: os.Stdout, Verbose: verbose, Replay: dbReplay,
	}, dbCampaignRun(DBOptions{}))
	if verbose {
		fmt.Println("counters:", CountersLine(res.Counters))
	}
	if res.Failed > 0 {
		t.Fatalf("%d of %d seeds failed", res.Failed, res.Seeds)
	}
	if len(seeds) >= dbProbeSeedsMin {
		for _, miss := range missingDBProbes(res) {
			t.Error(miss)
		}
		if t.Failed() {
			t.Log("counters:", CountersLine(res.Counters))
		}
	}
}

// dbProbes are the counters that must be non-zero across a campaign.
var dbProbes = []string{
	// The generic nemesis's faults.
	"nemesis.drop", "nemesis.dup", "nemesis.reorder", "nemesis.clog", "nemesis.partition",
	"nemesis.partition_asym", "nemesis.isolate", "nemesis.pause", "nemesis.crash",
	"nemesis.clock_offset", "nemesis.clock_drift", "nemesis.clock_jump",
	CounterDrop, CounterDup, CounterReorder, CounterPartitionDrop,
	// The database-aware nemesis's faults.
	"db.fault.isolate_leader", "db.fault.crash_leader", "db.fault.power_loss", "db.fault.transfer",
	"db.fault.snapshot", "db.fault.conf_add_learner", "db.fault.conf_add_voter",
	"db.fault.conf_promote", "db.fault.conf_remove", "db.decommissioned",
	"db.fault.disk_eio_sync", "db.fault.disk_bitflip", "db.fault.disk_full",
	"db.disk.sync.eio", "db.disk.read.bitflip", "db.disk.capacity_refusals",
	"db.node_stopped.eio", "db.node_stopped.enospc", "db.fault.disk_full_restart",
	"db.crashes", "db.restarts",
	// What the system did about them.
	"db.leaders_elected", "db.snapshots_taken", "db.snapshots_installed",
	"db.aborts_serialization", "db.client.ambiguous", "db.lsm_flushes", "db.lsm_compactions",
	"db.ops.register.ok", "db.ops.bank.ok", "db.ops.list_append.ok",
	"db.ops.register.unknown", "db.converged",
	// Deletes: point deletes and delete-ranges committed, ranges applied
	// as LSM range tombstones, and tombstone values the GC dropped.
	"db.ops.delete.ok", "db.ops.delete.unknown", "db.ops.delete_range.ok", "db.range_deletes",
	"db.lsm_filter_drops",
}

// dbGCSeedsPerMille is the least share (per mille) of a campaign's seeds
// whose tombstone GC must drop something: the swarm's GC seeds (a window
// of tens of entries, tiny memtables, skewed register writes) make it
// about 17%, and a change that quietly stops GC from running under faults
// should fail the campaign, not pass it.
const dbGCSeedsPerMille = 50

// missingDBProbes lists the probes a campaign never fired.
func missingDBProbes(res CampaignResult) []string {
	got := map[string]uint64{}
	for _, c := range res.Counters {
		got[c.Name] = c.Count
	}
	var missing []string
	for _, name := range dbProbes {
		if got[name] == 0 {
			missing = append(missing, fmt.Sprintf("coverage probe %s never fired in %d seeds", name, res.Seeds))
		}
	}
	if n := got["db.gc_seeds"]; n*1000 < uint64(res.Seeds)*dbGCSeedsPerMille {
		missing = append(missing, fmt.Sprintf("coverage probe db.gc_seeds: tombstone GC dropped something in only %d of %d seeds (want %d‰)", n, res.Seeds, dbGCSeedsPerMille))
	}
	// More leaders than seeds: leadership changed, not just the first
	// election of each seed.
	if n := got["db.leaders_elected"]; n <= uint64(res.Seeds) {
		missing = append(missing, fmt.Sprintf("coverage probe db.leaders_elected: only %d leaders in %d seeds, leadership never changed", n, res.Seeds))
	}
	return missing
}

// TestSimProbesCanFail proves the probe check can fail: a campaign without
// faults has no crashes, snapshot installs from faults or ambiguous
// commits.
func TestSimProbesCanFail(t *testing.T) {
	res := RunSeeds(CampaignConfig{Seeds: SeedRange(1, 2), Wall: clock.Real{}},
		func(seed uint64) SeedResult { return RunDB(seed, DBOptions{NoFaults: true}) })
	if res.Failed != 0 {
		t.Fatalf("fault-free seeds failed: %+v", res.Results)
	}
	missing := strings.Join(missingDBProbes(res), "\n")
	for _, want := range []string{"nemesis.crash", "db.fault.power_loss", "db.client.ambiguous", "leadership never changed"} {
		if !strings.Contains(missing, want) {
			t.Errorf("fault-free campaign: %q not reported missing in:\n%s", want, missing)
		}
	}
}

// TestSimDeleteProbesCanFail: with the register workload's deletes off,
// nothing else in the campaign leaves a user tombstone (bank and list
// never delete; the store's own range deletions are of system keys), so
// the delete and GC probes must report missing — also proof that the GC
// filter drops only what a delete wrote.
func TestSimDeleteProbesCanFail(t *testing.T) {
	noDeletes := func(c *dbConfig) { c.work.deletePct, c.work.rangeDeletePct = 0, 0 }
	res := RunSeeds(CampaignConfig{Seeds: SeedRange(1, 6), Wall: clock.Real{}},
		func(seed uint64) SeedResult { return RunDB(seed, DBOptions{tune: noDeletes}) })
	if res.Failed != 0 {
		t.Fatalf("seeds without deletes failed: %+v", res.Results)
	}
	missing := strings.Join(missingDBProbes(res), "\n")
	for _, want := range []string{"db.ops.delete.ok", "db.ops.delete_range.ok", "db.range_deletes", "db.lsm_filter_drops", "db.gc_seeds"} {
		if !strings.Contains(missing, want) {
			t.Errorf("campaign without deletes: %q not reported missing in:\n%s", want, missing)
		}
	}
}

// dbCanarySeedsMax caps how many seeds a canary may take to be caught.
const dbCanarySeedsMax = 300

// dbContention: many clients, two accounts, one list key, no think time.
func dbContention(c *dbConfig) {
	c.noFaults = true
	c.work.enabled = [dbWorkKindCount]bool{dbWorkBank: true, dbWorkList: true}
	c.work.clients = 10
	c.work.accounts = 2
	c.work.listWindow = 1
	c.thinkMean = time.Millisecond
}

// dbPartitions: only partitions of every kind, reads everywhere.
func dbPartitions(c *dbConfig) {
	c.nemesis.Enabled = [faultKindCount]bool{FaultPartition: true, FaultIsolate: true, FaultPartitionAsym: true}
	c.faults = dbFaultConfig{isolateLeader: true, intervalMean: 200 * time.Millisecond, episodeMax: 2 * time.Second}
	c.work.enabled = [dbWorkKindCount]bool{dbWorkRegister: true, dbWorkList: true}
}

// dbPowerLosses: frequent whole-cluster power losses that keep nothing
// unsynced.
func dbPowerLosses(c *dbConfig) {
	c.nemesis.Enabled = [faultKindCount]bool{}
	c.faults = dbFaultConfig{powerLoss: true, crashLeader: true, intervalMean: 300 * time.Millisecond, episodeMax: 100 * time.Millisecond}
	c.disk.CrashMode = diskio.CrashLoseUnsynced
}

// catchCanary runs seeds with a broken node until the campaign's checks
// fail one, then proves the same seed passes without the knob.
func catchCanary(t *testing.T, knobs node.TestingKnobs, tune func(*dbConfig)) {
	t.Helper()
	for seed := uint64(1); seed <= dbCanarySeedsMax; seed++ {
		r := RunDB(seed, DBOptions{Knobs: knobs, tune: tune})
		if r.Failed == nil {
			continue
		}
		t.Logf("caught at seed %d: %v", seed, r.Failed)
		if ctl := RunDB(seed, DBOptions{tune: tune}); ctl.Failed != nil {
			t.Fatalf("seed %d fails without the canary too: %v", seed, ctl.Failed)
		}
		return
	}
	t.Fatalf("canary %+v not caught in %d seeds", knobs, dbCanarySeedsMax)
}

func TestSimCanarySkipReadSetCheck(t *testing.T) {
	catchCanary(t, node.TestingKnobs{SkipReadSetCheck: true}, dbContention)
}

func TestSimCanaryReadsWithoutReadIndex(t *testing.T) {
	catchCanary(t, node.TestingKnobs{ReadsWithoutReadIndex: true}, dbPartitions)
}

func TestSimCanaryAckBeforeFsync(t *testing.T) {
	catchCanary(t, node.TestingKnobs{AckBeforeFsync: true}, dbPowerLosses)
}

// TestSimDeterminism runs seeds twice: identical trace hashes per seed,
// distinct across seeds. (TestSim also reruns every tenth seed.)
func TestSimDeterminism(t *testing.T) {
	if err := CheckDeterminism(SeedRange(defaultSeedBase, 3), func(seed uint64) SeedResult {
		return RunDB(seed, DBOptions{})
	}); err != nil {
		t.Fatal(err)
	}
}
