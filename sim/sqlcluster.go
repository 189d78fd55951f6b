package sim

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lineradb/lineradb/checker"
	"github.com/lineradb/lineradb/sql"
)

// The SQL campaign (`go test ./sim -run TestSQL`): the whole-database
// campaign's cluster, faults and checkers with SQL clients in place of the
// kv clients. A seed draws the database configuration exactly as TestSim
// does (dbcluster.go: replicas, tiny LSM and snapshot limits, the generic
// and database-aware nemeses) and, from its own stream, the SQL workload
// (sqlworkload.go) and its catalog changes (sqlddl.go). It runs in
// phases, those of dbCluster.run with a setup first:
//
//  0. setup, before any fault: one transaction creates the tables and the
//     bank's rows (CREATE TABLE IF NOT EXISTS, INSERT ... ON CONFLICT DO
//     NOTHING, so a retry after an unknown outcome is harmless);
//  1. workload: SQL clients and the catalog-change client run while the
//     nemeses fault the cluster;
//  2. heal, drain, liveness and convergence, as dbCluster.run does them
//     (its helpers are called, not copied);
//  3. the history goes through CheckBank and CheckListAppend with Strict,
//     via dbWorkload.check, the code TestSim uses.
//
// Why not through pgwire: pgwire.Conn runs over any io.ReadWriter and has
// no goroutines of its own, but Conn.Serve is a blocking loop that only
// returns when the connection ends (it cannot hand control back to the
// event loop between messages), and its sql backend drives Begin and
// Commit through the synchronous kv.Store (sqlbackend.go's drive). Inside
// the one-goroutine simulator a Begin completes only when the kernel runs
// the ReadIndex round trip, so either call would have to run the kernel
// re-entrantly from inside an event. The campaign therefore drives
// sql.Session directly, which is the layer pgwire adapts; see sim/doc.go.

// sqlSetupRetry is the pause between setup attempts.
const sqlSetupRetry = 100 * time.Millisecond

// SQLOptions are the knobs a test sets for the SQL campaign.
type SQLOptions struct {
	// DB are the database campaign's knobs (node testing knobs, no
	// faults, founders, workload duration).
	DB DBOptions
	// tune adjusts the drawn configurations (canaries narrow the mix).
	tune func(*dbConfig, *sqlWorkConfig)
}

// SQLRun is everything one seed of the SQL campaign produced.
type SQLRun struct {
	Result SeedResult
	// History and Notes (each operation's gateway and statements) are
	// kept only when the seed failed, for the report.
	History checker.History
	Notes   []string
	stats   dbStats
}

// RunSQL runs one seed of the SQL campaign.
func RunSQL(seed uint64, opts SQLOptions) SeedResult { return RunSQLReport(seed, opts).Result }

// RunSQLReport runs one seed and keeps what a failure report needs.
func RunSQLReport(seed uint64, opts SQLOptions) SQLRun {
	k := NewKernel(seed)
	cfg := drawDBConfig(k, opts.DB)
	work := drawSQLWork(k.Rand("sql.swarm"))
	if opts.tune != nil {
		opts.tune(&cfg, &work)
	}
	net, err := NewNetwork(k, cfg.net)
	if err != nil {
		return SQLRun{Result: SeedResult{Seed: seed, Failed: err}}
	}
	c := newDBCluster(k, net, cfg, opts.DB)
	w := newSQLWorkload(c, work)
	err = w.run()
	if checkErr := w.check(c.rec.History()); err == nil {
		err = checkErr
	}
	run := SQLRun{
		Result: SeedResult{
			Seed: seed, Failed: err, Ops: c.rec.Len(), Simulated: k.Now(),
			TraceHash: k.TraceHash(), Counters: c.allCounters(), Detail: w.describe(),
		},
		stats: c.stats,
	}
	if err != nil {
		run.History, run.Notes = c.rec.History(), w.annotations()
	}
	return run
}

func (w *sqlWorkload) describe() string {
	cfg := w.c.cfg
	faults := "off"
	if !cfg.noFaults {
		faults = cfg.nemesis.EnabledNames() + "+" + cfg.faults.names()
	}
	return fmt.Sprintf("nodes=%d tick=%v et=%d snap=%d mem=%d %s faults=%s",
		cfg.nodes, cfg.tick, cfg.electionTicks, cfg.snapshotInterval, cfg.memtableBytes, w.cfg.describe(), faults)
}

// run drives the phases; see the comment at the top of the file. Phases
// 1–2 mirror dbCluster.run with this workload's start and idle.
func (w *sqlWorkload) run() error {
	c := w.c
	if err := w.setup(); err != nil {
		return err
	}
	w.start()
	if !c.cfg.noFaults {
		c.nem = NewNemesis(c.k, c.net, c.ids(), c, c.clock, c.cfg.nemesis)
		c.nem.Start(c.cfg.workload)
		c.dnem = newDBNemesis(c)
		c.dnem.start(c.cfg.workload)
	}
	if err := c.k.RunFor(c.cfg.workload); err != nil {
		return err
	}
	c.stats.workloadTime = c.cfg.workload
	c.workloadOver = true
	if c.dnem != nil {
		c.dnem.afterHeal()
	}
	// Drain: every operation and catalog change attempt has a timeout.
	if _, err := c.k.RunUntil(c.k.Now()+c.cfg.opTimeout+time.Second, w.idle); err != nil {
		return err
	}
	if err := c.checkLiveness(); err != nil {
		return err
	}
	return c.checkConvergence()
}

// setupQuery creates the seed's tables and bank rows in one transaction.
func (w *sqlWorkload) setupQuery() string {
	stmts := []string{"BEGIN"}
	if w.cfg.enabled[sqlWorkBank] {
		stmts = append(stmts, "CREATE TABLE IF NOT EXISTS bank (id int PRIMARY KEY, balance int NOT NULL)")
		rows := make([]string, w.cfg.accounts)
		for i := range rows {
			rows[i] = fmt.Sprintf("(%d, %d)", i, dbBankInitial)
		}
		stmts = append(stmts, "INSERT INTO bank VALUES "+strings.Join(rows, ", ")+" ON CONFLICT DO NOTHING")
	}
	if w.cfg.enabled[sqlWorkList] {
		if w.cfg.listRepr == sqlListText {
			stmts = append(stmts, "CREATE TABLE IF NOT EXISTS lt (k int PRIMARY KEY, v text NOT NULL)")
		} else {
			stmts = append(stmts, "CREATE TABLE IF NOT EXISTS la (k int, seq int, v int NOT NULL, PRIMARY KEY (k, seq))")
		}
	}
	return strings.Join(append(stmts, "COMMIT"), "; ")
}

// errSQLSetupDone ends the setup loop.
var errSQLSetupDone = errors.New("setup done")

// setup runs setupQuery on a healthy cluster until it commits.
func (w *sqlWorkload) setup() error {
	c := w.c
	var outcome error
	rng := c.k.Rand("sql.setup")
	var attempt func()
	attempt = func() {
		dn := pickSQLNode(c, rng)
		if dn == nil {
			c.k.Schedule(sqlSetupRetry, "sql.setup", attempt)
			return
		}
		conn := openSQLConn(c, dn, w.clk)
		timeout := c.k.Schedule(c.cfg.opTimeout, "sql.setup.timeout", func() {
			conn.close()
			attempt()
		})
		conn.exec(w.setupQuery(), func(res []sql.Result) {
			c.k.Cancel(timeout)
			conn.close()
			e := sqlFirstErr(res)
			switch {
			case e == nil:
				outcome = errSQLSetupDone
			case e.Code == "40001" || e.Code == "40003" || e.Code == "57P03":
				c.count("sql.setup.retry")
				c.k.Schedule(sqlSetupRetry, "sql.setup", attempt)
			default:
				outcome = fmt.Errorf("setup: SQLSTATE %s: %s", e.Code, e.Message)
			}
		})
	}
	c.k.Schedule(0, "sql.setup", attempt)
	ok, err := c.k.RunUntil(c.k.Now()+dbSettle, func() bool { return outcome != nil })
	switch {
	case err != nil:
		return err
	case !ok:
		return fmt.Errorf("setup: no commit within %v: %s", dbSettle, c.nodesLine())
	case outcome != errSQLSetupDone:
		return outcome
	}
	return nil
}

// check runs the kv campaign's checkers (dbWorkload.check) over the SQL
// history: CheckBank and CheckListAppend with Strict.
func (w *sqlWorkload) check(h checker.History) error {
	var cfg dbWorkConfig
	cfg.enabled[dbWorkBank] = w.cfg.enabled[sqlWorkBank]
	cfg.enabled[dbWorkList] = w.cfg.enabled[sqlWorkList]
	cfg.accounts = w.cfg.accounts
	_, err := (&dbWorkload{c: w.c, cfg: cfg}).check(h)
	return err
}
