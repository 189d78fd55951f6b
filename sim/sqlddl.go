package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/lineradb/lineradb/sql"
)

// Catalog changes mid-campaign. One extra client (not in the checked
// history: DDL is not a bank or list operation) makes the seed's drawn
// schema changes at random moments of the workload phase while the
// workload keeps running:
//
//   - create_table_audit: CREATE TABLE audit; transfers that begin after
//     it was acknowledged also INSERT a row into it, and must see it
//     (42P01 then fails the run);
//   - create_index_bank: CREATE INDEX bank_balance ON bank (balance),
//     backfilled while transfers update balances; reads then check
//     equality lookups through it against their primary-key rows;
//   - create_index_list: CREATE INDEX on the list values, checked likewise.
//
// Each change is retried until it is acknowledged (a backfill conflicts
// with every concurrent write to its table: 40001) or the workload phase
// ends. The first attempt is a plain CREATE, which must not find the
// object; after an attempt whose outcome is unknown, IF NOT EXISTS makes
// the retry idempotent.

// sqlDDLKind is one catalog change.
type sqlDDLKind int

const (
	sqlDDLAudit sqlDDLKind = iota
	sqlDDLBankIndex
	sqlDDLListIndex
	sqlDDLKindCount
)

var sqlDDLNames = [sqlDDLKindCount]string{"create_table_audit", "create_index_bank", "create_index_list"}

func (d sqlDDLKind) String() string { return sqlDDLNames[d] }

// DDL pacing bounds.
const (
	// sqlDDLAttemptsMax bounds the attempts at one change.
	sqlDDLAttemptsMax = 200
	// sqlDDLBackoff is the pause between attempts.
	sqlDDLBackoff = 30 * time.Millisecond
)

// query is the statement for a change; ifNotExists after an attempt of
// unknown outcome.
func (d sqlDDLKind) query(repr sqlListRepr, ifNotExists bool) string {
	ine := ""
	if ifNotExists {
		ine = "IF NOT EXISTS "
	}
	switch d {
	case sqlDDLAudit:
		return "CREATE TABLE " + ine + "audit (id bigint PRIMARY KEY, src int NOT NULL, dst int NOT NULL, amount int NOT NULL)"
	case sqlDDLBankIndex:
		return "CREATE INDEX " + ine + "bank_balance ON bank (balance)"
	}
	if repr == sqlListText {
		return "CREATE INDEX " + ine + "lt_v ON lt (v)"
	}
	return "CREATE INDEX " + ine + "la_v ON la (v)"
}

// sqlDDL is the catalog-change client.
type sqlDDL struct {
	w    *sqlWorkload
	rng  *rand.Rand
	conn *sqlConn
	// queue holds the changes due and not yet acknowledged, in order.
	queue []sqlDDLKind
	// busy: an attempt is in flight or scheduled.
	busy     bool
	attempts int
	// maybeDone: an earlier attempt at queue[0] may have committed.
	maybeDone bool
}

func newSQLDDL(w *sqlWorkload) *sqlDDL {
	return &sqlDDL{w: w, rng: w.c.k.Rand("sql.ddl")}
}

// start schedules each change at a random moment of the middle of the
// workload phase, in the drawn order.
func (d *sqlDDL) start(phase time.Duration) {
	at := make([]time.Duration, len(d.w.cfg.ddl))
	for i := range at {
		at[i] = phase/10 + time.Duration(d.rng.Int64N(int64(phase)*7/10+1))
	}
	slices.Sort(at)
	for i, kind := range d.w.cfg.ddl {
		d.w.c.k.Schedule(at[i], "sql.ddl.due", func() { d.due(kind) })
	}
}

func (d *sqlDDL) idle() bool { return !d.busy }

func (d *sqlDDL) due(kind sqlDDLKind) {
	if d.w.c.workloadOver {
		return
	}
	d.queue = append(d.queue, kind)
	if !d.busy {
		d.busy = true
		d.attempts, d.maybeDone = 0, false
		d.attempt()
	}
}

// attempt sends the change at the head of the queue.
func (d *sqlDDL) attempt() {
	c := d.w.c
	if c.workloadOver || d.attempts >= sqlDDLAttemptsMax {
		if !c.workloadOver {
			c.count("sql.ddl.gave_up")
		}
		d.busy = false
		d.queue = nil
		return
	}
	conn := d.connect()
	if conn == nil {
		c.k.Schedule(sqlDDLBackoff, "sql.ddl.retry", d.attempt)
		return
	}
	d.attempts++
	kind := d.queue[0]
	var timeout EventID
	timeout = c.k.Schedule(c.cfg.opTimeout, "sql.ddl.timeout", func() {
		c.count("sql.ddl.timeout")
		d.maybeDone = d.maybeDone || conn.commitInFlight
		conn.close()
		d.retry()
	})
	conn.exec(kind.query(d.w.cfg.listRepr, d.maybeDone), func(res []sql.Result) {
		c.k.Cancel(timeout)
		d.answered(kind, res)
	})
}

func (d *sqlDDL) connect() *sqlConn {
	if d.conn != nil && !d.conn.closed && d.conn.gatewayRunning() {
		return d.conn
	}
	if d.conn != nil {
		d.conn.close()
		d.conn = nil
	}
	dn := pickSQLNode(d.w.c, d.rng)
	if dn == nil {
		return nil
	}
	d.conn = openSQLConn(d.w.c, dn, d.w.clk)
	return d.conn
}

func (d *sqlDDL) retry() {
	d.w.c.count("sql.ddl.retry")
	d.w.c.k.Schedule(sqlDDLBackoff, "sql.ddl.retry", d.attempt)
}

// answered handles an attempt's result.
func (d *sqlDDL) answered(kind sqlDDLKind, res []sql.Result) {
	c := d.w.c
	e := sqlFirstErr(res)
	if e == nil {
		d.acknowledged(kind)
		return
	}
	c.count("sql.ddl.sqlstate." + e.Code)
	switch e.Code {
	case "40003":
		d.maybeDone = true
		d.retry()
		return
	case "40001", "72000", "57P03":
		d.retry()
		return
	}
	if d.conn != nil && (d.conn.dn.disk != dbDiskNone || d.conn.gatewayGone()) {
		d.retry()
		return
	}
	c.k.Fail(fmt.Errorf("catalog change %s (attempt %d, if-not-exists=%v): unexpected SQLSTATE %s: %s",
		kind, d.attempts, d.maybeDone, e.Code, e.Message))
}

// acknowledged records a committed change and moves to the next one.
func (d *sqlDDL) acknowledged(kind sqlDDLKind) {
	w, c := d.w, d.w.c
	w.ddlDone++
	c.count("sql.ddl." + kind.String() + ".ok")
	if !c.workloadOver {
		c.count("sql.ddl.mid_run")
	}
	if kind == sqlDDLAudit {
		w.auditCreated = true
	}
	d.queue = d.queue[1:]
	d.attempts, d.maybeDone = 0, false
	if len(d.queue) == 0 {
		d.busy = false
		return
	}
	c.k.Schedule(sqlDDLBackoff, "sql.ddl.next", d.attempt)
}
