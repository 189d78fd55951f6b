package sim

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/node"
)

// sqlQuickSeeds keeps the default `go test ./sim` fast; `make test` runs
// a short -seeds campaign.
const sqlQuickSeeds = 3

// sqlProbeSeedsMin is the campaign size from which the SQL coverage
// probes are checked.
const sqlProbeSeedsMin = 50

func init() {
	// TestRegression (raft_test.go) replays `sqlsim <seed> <what>` lines
	// of testdata/seeds through the SQL campaign.
	regressionCampaigns["sqlsim"] = func(seed uint64) SeedResult { return runSQLReported(seed, SQLOptions{}) }
}

func sqlReplay(seed uint64) string {
	return fmt.Sprintf("go test ./sim -run TestSQL -seed=%d", seed)
}

// sqlSeeds returns the seeds the flags ask for, the quick set otherwise.
func sqlSeeds() ([]uint64, bool) {
	if flagSet("seed") || flagSet("seeds") {
		return campaignSeeds()
	}
	return SeedRange(*flagSeedBase, sqlQuickSeeds), false
}

// runSQLReported runs one seed and, if it failed, writes the annotated
// history (each operation's gateway and statements) to a kept directory
// under os.TempDir() and names it in the failure.
func runSQLReported(seed uint64, opts SQLOptions) SeedResult {
	r := RunSQLReport(seed, opts)
	if r.Result.Failed == nil {
		return r.Result
	}
	dir, err := os.MkdirTemp("", "lineradb-sqlsim-")
	if err != nil {
		r.Result.Failed = fmt.Errorf("%w (report directory not created: %v)", r.Result.Failed, err)
		return r.Result
	}
	if path, err := writeDBHistory(dir, seed, DBRun{History: r.History, Notes: r.Notes}); err == nil {
		r.Result.Failed = fmt.Errorf("%w; history: %s", r.Result.Failed, path)
	}
	return r.Result
}

// sqlCampaignRun is TestSQL's per-seed function: every
// dbDeterminismEvery-th seed runs twice and the runs must match.
func sqlCampaignRun(opts SQLOptions) func(seed uint64) SeedResult {
	return func(seed uint64) SeedResult {
		r := runSQLReported(seed, opts)
		if seed%dbDeterminismEvery == 0 && r.Failed == nil {
			again := RunSQL(seed, opts)
			again.Seed, r.Seed = seed, seed
			if err := CompareRuns(r, again); err != nil {
				r.Failed = err
			}
		}
		return r
	}
}

// TestSQL is the SQL simulation campaign:
//
//	go test ./sim -run TestSQL -seeds=200          200 seeds from -seedbase
//	go test ./sim -run TestSQL -seed=17            replay one seed, verbosely
//
// A campaign of at least sqlProbeSeedsMin seeds also checks the coverage
// probes.
func TestSQL(t *testing.T) {
	seeds, verbose := sqlSeeds()
	res := RunSeeds(CampaignConfig{
		Seeds: seeds, Wall: clock.Real{}, Out: os.Stdout, Verbose: verbose, Replay: sqlReplay,
	}, sqlCampaignRun(SQLOptions{}))
	fmt.Printf("sql: histories checked=%d (bank: CheckBank, list-append: CheckListAppend strict)\n", res.Seeds-res.Failed)
	if verbose {
		fmt.Println("counters:", CountersLine(res.Counters))
	}
	if res.Failed > 0 {
		t.Fatalf("%d of %d seeds failed", res.Failed, res.Seeds)
	}
	if len(seeds) >= sqlProbeSeedsMin {
		for _, miss := range missingSQLProbes(res) {
			t.Error(miss)
		}
		if t.Failed() {
			t.Log("counters:", CountersLine(res.Counters))
		}
	}
}

// sqlProbes are the counters that must be non-zero across a campaign.
var sqlProbes = []string{
	// Faults fired.
	"nemesis.drop", "nemesis.partition", "nemesis.crash", "nemesis.pause",
	"db.fault.crash_leader", "db.fault.isolate_leader", "db.fault.power_loss",
	"db.fault.conf_add_voter", "db.fault.conf_remove", "db.snapshots_installed",
	// The SQL clients saw them as PostgreSQL clients would.
	"sql.client.sqlstate.40001", "sql.client.retry_40001", "sql.client.sqlstate.40003",
	"sql.ops.bank.unknown", "sql.ops.list_append.unknown", "sql.client.sqlstate.57P03",
	"sql.client.timeout", "sql.client.gateway_lost", "sql.client.overdraft_refused",
	// Catalog changes happened while the workload ran, and it kept working.
	"sql.ddl.mid_run", "sql.ddl.create_table_audit.ok", "sql.ddl.create_index_bank.ok",
	"sql.ddl.create_index_list.ok", "sql.ddl.sqlstate.40001", "sql.ops.committed_after_ddl",
	"sql.client.audit_insert_committed", "sql.client.index_checks",
	// Every workload completed operations.
	"sql.ops.bank.ok", "sql.ops.list_append.ok", "db.converged",
}

// missingSQLProbes lists the probes a campaign never fired.
func missingSQLProbes(res CampaignResult) []string {
	got := map[string]uint64{}
	for _, c := range res.Counters {
		got[c.Name] = c.Count
	}
	var missing []string
	for _, name := range sqlProbes {
		if got[name] == 0 {
			missing = append(missing, fmt.Sprintf("coverage probe %s never fired in %d seeds", name, res.Seeds))
		}
	}
	return missing
}

// TestSQLProbesCanFail proves the probe check can fail: without faults
// there are no crashes, ambiguous commits or lost gateways.
func TestSQLProbesCanFail(t *testing.T) {
	res := RunSeeds(CampaignConfig{Seeds: SeedRange(1, 2), Wall: clock.Real{}},
		func(seed uint64) SeedResult { return RunSQL(seed, SQLOptions{DB: DBOptions{NoFaults: true}}) })
	if res.Failed != 0 {
		t.Fatalf("fault-free seeds failed: %+v", res.Results)
	}
	missing := strings.Join(missingSQLProbes(res), "\n")
	for _, want := range []string{"nemesis.crash", "sql.client.sqlstate.40003", "sql.client.gateway_lost"} {
		if !strings.Contains(missing, want) {
			t.Errorf("fault-free campaign: %q not reported missing in:\n%s", want, missing)
		}
	}
}

// TestSQLDeterminism runs seeds twice: identical trace hashes per seed,
// distinct across seeds.
func TestSQLDeterminism(t *testing.T) {
	if err := CheckDeterminism(SeedRange(defaultSeedBase, 3), func(seed uint64) SeedResult {
		return RunSQL(seed, SQLOptions{})
	}); err != nil {
		t.Fatal(err)
	}
}

// sqlBankContention: a healthy cluster, many clients on three accounts,
// the bank workload only, little think time: lost updates happen at once
// if commits are not validated. (Two accounts would hide them: every
// transfer then rewrites both rows from one snapshot, so the last writer
// leaves a consistent pair and the sum survives.)
func sqlBankContention(c *dbConfig, w *sqlWorkConfig) {
	c.noFaults = true
	c.thinkMean = time.Millisecond
	w.enabled = [sqlWorkKindCount]bool{sqlWorkBank: true}
	w.clients = 10
	w.accounts = 3
	w.ddl = nil
}

// sqlPartitions: partitions of every kind and leader isolation, the
// list-append workload only (a stale read shows as a realtime anomaly,
// or as a catalog read missing a table the setup created).
func sqlPartitions(c *dbConfig, w *sqlWorkConfig) {
	dbPartitions(c)
	w.enabled = [sqlWorkKindCount]bool{sqlWorkList: true}
	w.ddl = nil
}

// sqlPowerLosses: frequent whole-cluster power losses that keep nothing
// unsynced.
func sqlPowerLosses(c *dbConfig, _ *sqlWorkConfig) { dbPowerLosses(c) }

// sqlCatchCanary runs seeds with a broken node until the SQL campaign
// fails one, then proves the same seed passes without the knob.
func sqlCatchCanary(t *testing.T, knobs node.TestingKnobs, tune func(*dbConfig, *sqlWorkConfig)) {
	t.Helper()
	for seed := uint64(1); seed <= dbCanarySeedsMax; seed++ {
		r := RunSQL(seed, SQLOptions{DB: DBOptions{Knobs: knobs}, tune: tune})
		if r.Failed == nil {
			continue
		}
		t.Logf("caught at seed %d: %v", seed, r.Failed)
		if ctl := RunSQL(seed, SQLOptions{tune: tune}); ctl.Failed != nil {
			t.Fatalf("seed %d fails without the canary too: %v", seed, ctl.Failed)
		}
		return
	}
	t.Fatalf("canary %+v not caught by the SQL campaign in %d seeds", knobs, dbCanarySeedsMax)
}

// TestSQLCanarySkipReadSetCheck: with commits unvalidated, the SQL bank
// campaign must fail (lost updates break the conserved total).
func TestSQLCanarySkipReadSetCheck(t *testing.T) {
	sqlCatchCanary(t, node.TestingKnobs{SkipReadSetCheck: true}, sqlBankContention)
}

func TestSQLCanaryReadsWithoutReadIndex(t *testing.T) {
	sqlCatchCanary(t, node.TestingKnobs{ReadsWithoutReadIndex: true}, sqlPartitions)
}

func TestSQLCanaryAckBeforeFsync(t *testing.T) {
	sqlCatchCanary(t, node.TestingKnobs{AckBeforeFsync: true}, sqlPowerLosses)
}
