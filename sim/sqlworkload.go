package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/lineradb/lineradb/checker"
	"github.com/lineradb/lineradb/clock"
	"github.com/lineradb/lineradb/sql"
)

// The SQL campaign's workloads: the bank and list-append workloads of
// dbworkload.go, expressed in SQL and run through sql.Session over
// sqlConn. Every operation is one SQL transaction (an explicit block, or
// one autocommit statement), recorded in the checker history exactly as
// the kv workload records its own, so the same checkers judge it:
//
//   - bank: `bank (id int PRIMARY KEY, balance int NOT NULL)`, one row per
//     account created at setup. A transfer is BEGIN; SELECT both balances;
//     ROLLBACK on an overdraft, else two UPDATEs (or one UPDATE with a
//     CASE), plus an INSERT INTO audit once that table exists; COMMIT. A
//     read is one autocommit SELECT of every balance, or a block that also
//     checks SELECT sum(balance), count(*) against the rows it read.
//   - list-append, in one of two representations drawn per seed: rows
//     `la (k int, seq int, v int, PRIMARY KEY (k, seq))`, appended with
//     INSERT ... SELECT k, coalesce(max(seq), 0) + 1, v and read with
//     ORDER BY seq; or text `lt (k int PRIMARY KEY, v text)`, appended with
//     INSERT ... ON CONFLICT (k) DO UPDATE SET v = lt.v || ',v' and read as
//     one comma-separated list. Either way a read returns the whole list.
//   - index checks: inside a read's transaction, a query that the planner
//     answers through the secondary index created mid-run (by equality on
//     balance or on a list value) must agree with the rows read through
//     the primary key. Before the index exists the same query scans, so
//     the check holds either way; after, it tests the index.
//
// Outcomes follow the SQLSTATE of the first error: 40001 (serialization
// failure: the client retries the same intent as a new operation), 72000
// (snapshot too old) and 57P03 (unavailable, nothing proposed) are failed;
// 40003 (statement completion unknown) is unknown; a timeout is unknown if
// a commit was in flight, else failed; a gateway that went away between
// statements means nothing was proposed: failed. Any other SQLSTATE is a
// bug in the SQL layer and fails the run, unless the gateway's disk was
// faulted. A read that returns rows the workload cannot have written fails
// the run too.

// sqlWorkKind is one SQL workload.
type sqlWorkKind int

const (
	sqlWorkBank sqlWorkKind = iota
	sqlWorkList
	sqlWorkKindCount
)

var sqlWorkNames = [sqlWorkKindCount]string{"bank", "list_append"}

func (w sqlWorkKind) String() string { return sqlWorkNames[w] }

// sqlListRepr is how a list lives in SQL.
type sqlListRepr int

const (
	sqlListRows sqlListRepr = iota // la (k, seq, v): one row per element
	sqlListText                    // lt (k, v text): one comma-joined row
)

// SQL workload bounds.
const (
	sqlClientsMax    = 12
	sqlAccountsMax   = 8
	sqlMicrosMax     = 4
	sqlListWindowMax = 6
	// sqlRetriesMax bounds how often a client retries one intent after
	// 40001 before drawing a new one.
	sqlRetriesMax = 5
	// sqlPausedPoll is how often a client waiting on a paused gateway
	// looks again (its operation's timeout bounds the wait).
	sqlPausedPoll = 5 * time.Millisecond
	// sqlOpLogMax bounds the statements kept per operation for reports.
	sqlOpLogMax = 16
)

// sqlWorkConfig is a seed's SQL workload mix.
type sqlWorkConfig struct {
	enabled                 [sqlWorkKindCount]bool
	clients                 int
	accounts                int
	listRepr                sqlListRepr
	listWindow, listAdvance int
	microsMax               int
	// stmtGapMean is the mean client round trip between the statements of
	// a transaction: longer gaps widen the windows conflicts need.
	stmtGapMean time.Duration
	// reconnectProb is the chance a client opens a new connection (to a
	// random replica) before an operation.
	reconnectProb  float64
	indexCheckProb float64
	// ddl lists the catalog changes one client makes mid-run, in order.
	ddl []sqlDDLKind
}

func drawSQLWork(rng *rand.Rand) sqlWorkConfig {
	w := sqlWorkConfig{
		clients:        2 + rng.IntN(7),
		accounts:       2 + rng.IntN(5),
		listRepr:       sqlListRepr(rng.IntN(2)),
		listWindow:     1 + rng.IntN(4),
		listAdvance:    5 + rng.IntN(30),
		microsMax:      1 + rng.IntN(sqlMicrosMax),
		stmtGapMean:    time.Duration(rng.IntN(3000)) * time.Microsecond,
		reconnectProb:  []float64{0, 0.1, 0.5}[rng.IntN(3)],
		indexCheckProb: []float64{0.2, 0.5, 1}[rng.IntN(3)],
	}
	for i := range w.enabled {
		w.enabled[i] = rng.IntN(3) != 0
	}
	if w.kinds() == 0 {
		w.enabled[rng.IntN(int(sqlWorkKindCount))] = true
	}
	for _, d := range []sqlDDLKind{sqlDDLAudit, sqlDDLBankIndex, sqlDDLListIndex} {
		if rng.IntN(3) != 0 && w.ddlApplies(d) {
			w.ddl = append(w.ddl, d)
		}
	}
	rng.Shuffle(len(w.ddl), func(i, j int) { w.ddl[i], w.ddl[j] = w.ddl[j], w.ddl[i] })
	return w
}

// ddlApplies reports whether a catalog change concerns the enabled
// workloads.
func (w sqlWorkConfig) ddlApplies(d sqlDDLKind) bool {
	if d == sqlDDLListIndex {
		return w.enabled[sqlWorkList]
	}
	return w.enabled[sqlWorkBank]
}

func (w sqlWorkConfig) kinds() int {
	n := 0
	for _, on := range w.enabled {
		if on {
			n++
		}
	}
	return n
}

func (w sqlWorkConfig) validate() error {
	switch {
	case w.clients < 1 || w.clients > sqlClientsMax:
		return fmt.Errorf("sim: %d SQL clients outside [1,%d]", w.clients, sqlClientsMax)
	case w.accounts < 2 || w.accounts > sqlAccountsMax:
		return fmt.Errorf("sim: %d accounts outside [2,%d]", w.accounts, sqlAccountsMax)
	case w.listWindow < 1 || w.listWindow > sqlListWindowMax || w.listAdvance < 1:
		return fmt.Errorf("sim: bad list window %d/%d", w.listWindow, w.listAdvance)
	case w.microsMax < 1 || w.microsMax > sqlMicrosMax:
		return fmt.Errorf("sim: %d micro-ops outside [1,%d]", w.microsMax, sqlMicrosMax)
	case w.kinds() == 0:
		return fmt.Errorf("sim: no SQL workload enabled")
	}
	for _, d := range w.ddl {
		if !w.ddlApplies(d) {
			return fmt.Errorf("sim: catalog change %s without its workload", d)
		}
	}
	return nil
}

func (w sqlWorkConfig) describe() string {
	var names []string
	for k, on := range w.enabled {
		if on {
			names = append(names, sqlWorkKind(k).String())
		}
	}
	repr := "rows"
	if w.listRepr == sqlListText {
		repr = "text"
	}
	var ddl []string
	for _, d := range w.ddl {
		ddl = append(ddl, d.String())
	}
	if len(ddl) == 0 {
		ddl = []string{"none"}
	}
	return fmt.Sprintf("sql=%s list=%s clients=%d accounts=%d ddl=%s",
		strings.Join(names, ","), repr, w.clients, w.accounts, strings.Join(ddl, ","))
}

// sqlWorkload is the SQL clients, the catalog-change client and the
// shared workload state.
type sqlWorkload struct {
	c       *dbCluster
	cfg     sqlWorkConfig
	clk     clock.Clock
	clients []*sqlClient
	kinds   []sqlWorkKind
	ddl     *sqlDDL
	list    listDrawer
	// auditCreated: CREATE TABLE audit was acknowledged, so transactions
	// that begin from now on must see the table.
	auditCreated bool
	// ddlDone counts acknowledged catalog changes.
	ddlDone int
	// ops annotates every operation, indexed by OpID, for reports.
	ops []*sqlOp
}

func newSQLWorkload(c *dbCluster, cfg sqlWorkConfig) *sqlWorkload {
	if err := cfg.validate(); err != nil {
		panic(err) // drawn in range
	}
	w := &sqlWorkload{c: c, cfg: cfg, clk: clock.NewSim(c.k.Now, dbEpoch), list: newListDrawer()}
	for k, on := range cfg.enabled {
		if on {
			w.kinds = append(w.kinds, sqlWorkKind(k))
		}
	}
	for i := 1; i <= cfg.clients; i++ {
		w.clients = append(w.clients, &sqlClient{w: w, id: i, rng: c.k.Rand(fmt.Sprintf("sql.client.%d", i))})
	}
	w.ddl = newSQLDDL(w)
	return w
}

func (w *sqlWorkload) start() {
	for _, cl := range w.clients {
		cl.scheduleAfter(0)
	}
	w.ddl.start(w.c.cfg.workload)
}

// idle reports whether no client has an operation outstanding.
func (w *sqlWorkload) idle() bool {
	for _, cl := range w.clients {
		if cl.cur != nil {
			return false
		}
	}
	return w.ddl.idle()
}

// annotations returns one line per operation: client, gateway, and the
// statements it sent with their outcomes.
func (w *sqlWorkload) annotations() []string {
	out := make([]string, len(w.ops))
	for i, o := range w.ops {
		out[i] = fmt.Sprintf("op %d: client=%d node=%d %v: %s", o.id, o.cl.id, o.nodeID, o.op, strings.Join(o.log, " | "))
	}
	return out
}

// pickSQLNode returns a random running replica, or nil.
func pickSQLNode(c *dbCluster, rng *rand.Rand) *dbNode {
	var cands []*dbNode
	for _, dn := range c.nodes {
		if dn.status == dbRunning {
			cands = append(cands, dn)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	return cands[rng.IntN(len(cands))]
}

type sqlClient struct {
	w    *sqlWorkload
	id   int
	rng  *rand.Rand
	seq  int64
	conn *sqlConn
	cur  *sqlOp
	// retry is the intent to run again after a 40001, and retries how
	// often it has been retried.
	retry   *checker.Op
	retries int
}

// sqlOp is one SQL transaction in flight.
type sqlOp struct {
	id       checker.OpID
	op       checker.Op
	kind     sqlWorkKind
	cl       *sqlClient
	conn     *sqlConn
	readOnly bool
	// audit: the audit table was known to exist when the op began.
	audit   bool
	reply   checker.Reply
	done    bool
	timeout EventID
	nodeID  uint64
	// log lists the statements sent and their outcomes, for reports.
	log []string
}

func (o *sqlOp) note(s string) {
	if len(o.log) < sqlOpLogMax {
		o.log = append(o.log, s)
	}
}

func (cl *sqlClient) scheduleAfter(least time.Duration) {
	c := cl.w.c
	if c.workloadOver {
		return
	}
	d := least + time.Duration(float64(c.cfg.thinkMean)*cl.rng.ExpFloat64())
	c.k.Schedule(d, "sql.client", cl.issue)
}

// connect returns a usable connection, opening a new one if the current
// one is gone or the client chose to move; nil if no replica runs.
func (cl *sqlClient) connect() *sqlConn {
	if cl.conn != nil && cl.conn.gatewayRunning() && !cl.conn.closed && cl.rng.Float64() >= cl.w.cfg.reconnectProb {
		return cl.conn
	}
	if cl.conn != nil {
		cl.conn.close()
		cl.conn = nil
	}
	dn := pickSQLNode(cl.w.c, cl.rng)
	if dn == nil {
		return nil
	}
	cl.conn = openSQLConn(cl.w.c, dn, cl.w.clk)
	cl.w.c.count("sql.client.connects")
	return cl.conn
}

func (cl *sqlClient) issue() {
	w, c := cl.w, cl.w.c
	if c.workloadOver || cl.cur != nil {
		return
	}
	conn := cl.connect()
	if conn == nil {
		cl.scheduleAfter(dbRetryBackoff)
		return
	}
	cl.seq++
	kind, op, readOnly := cl.nextOp()
	id, err := c.rec.Invoke(cl.id, op, c.k.Now())
	if err != nil {
		c.k.Fail(fmt.Errorf("recorder: %w", err))
		return
	}
	o := &sqlOp{id: id, op: op, kind: kind, cl: cl, conn: conn, readOnly: readOnly,
		audit: w.auditCreated, nodeID: conn.dn.id}
	w.ops = append(w.ops, o)
	cl.cur = o
	o.timeout = c.k.Schedule(c.cfg.opTimeout, "sql.client.timeout", func() { cl.timedOut(o) })
	cl.run(o)
}

// nextOp is the retried intent if there is one, else a fresh draw.
func (cl *sqlClient) nextOp() (sqlWorkKind, checker.Op, bool) {
	if r := cl.retry; r != nil {
		cl.retry = nil
		if r.Kind == checker.KindTransfer {
			return sqlWorkBank, *r, false
		}
		return sqlWorkList, cl.w.refreshAppends(*r), false
	}
	cl.retries = 0
	kind := cl.w.kinds[cl.rng.IntN(len(cl.w.kinds))]
	if kind == sqlWorkBank {
		op, ro := cl.drawBank()
		return kind, op, ro
	}
	op, ro := cl.drawList()
	return kind, op, ro
}

func (cl *sqlClient) drawBank() (checker.Op, bool) {
	n := cl.w.cfg.accounts
	if cl.rng.IntN(3) == 0 {
		return checker.ReadAll(), true
	}
	from := cl.rng.IntN(n)
	to := (from + 1 + cl.rng.IntN(n-1)) % n
	return checker.Transfer(from, to, int64(1+cl.rng.IntN(dbTransferMax))), false
}

func (cl *sqlClient) drawList() (checker.Op, bool) {
	return cl.w.list.draw(cl.rng, cl.w.cfg.listAdvance, cl.w.cfg.microsMax, cl.w.cfg.listWindow)
}

// refreshAppends gives a retried list transaction fresh append values:
// appended values must be unique across the whole history, failed
// attempts included.
func (w *sqlWorkload) refreshAppends(op checker.Op) checker.Op {
	micros := make([]checker.Micro, len(op.Txn))
	for i, m := range op.Txn {
		if m.Kind == checker.MicroAppend {
			m = checker.Append(m.Key, w.list.nextValue())
		}
		micros[i] = m
	}
	return checker.Txn(micros...)
}

// run starts the operation's script.
func (cl *sqlClient) run(o *sqlOp) {
	switch {
	case o.kind == sqlWorkList:
		cl.listTxn(o)
	case o.op.Kind == checker.KindReadAll:
		cl.bankRead(o)
	default:
		cl.transfer(o)
	}
}

// send runs one query string on the operation's connection after a
// client round trip, then calls then with the results; a gateway that went
// away first fails the operation (nothing was proposed), a paused one is
// waited for.
func (cl *sqlClient) send(o *sqlOp, query string, then func([]sql.Result)) {
	gap := time.Duration(float64(cl.w.cfg.stmtGapMean) * cl.rng.ExpFloat64())
	cl.w.c.k.Schedule(gap, "sql.stmt", func() { cl.sendNow(o, query, then) })
}

func (cl *sqlClient) sendNow(o *sqlOp, query string, then func([]sql.Result)) {
	if o.done {
		return
	}
	switch {
	case o.conn.gatewayGone():
		cl.w.c.count("sql.client.gateway_lost")
		o.note("gateway lost")
		cl.finish(o, checker.StatusFail)
		return
	case !o.conn.gatewayRunning():
		cl.w.c.k.Schedule(sqlPausedPoll, "sql.stmt.wait", func() { cl.sendNow(o, query, then) })
		return
	}
	o.note(query)
	o.conn.exec(query, func(res []sql.Result) {
		if !o.done {
			then(res)
		}
	})
}

// sqlFirstErr returns the first error among a query string's results.
func sqlFirstErr(res []sql.Result) *sql.Error {
	for i := range res {
		if res[i].Err != nil {
			return res[i].Err
		}
	}
	return nil
}

// ok checks a query string's results: on an error it ends the operation
// by its SQLSTATE and returns false. atCommit says the query ends with a
// commit (COMMIT, or an autocommit write), whose outcome may be unknown.
func (cl *sqlClient) ok(o *sqlOp, res []sql.Result, atCommit bool) bool {
	e := sqlFirstErr(res)
	if e == nil {
		return true
	}
	o.note("ERROR " + e.Code)
	cl.rollbackIfOpen(o)
	cl.finish(o, cl.classify(o, e, atCommit))
	return false
}

// classify maps a statement's error to the operation's outcome.
func (cl *sqlClient) classify(o *sqlOp, e *sql.Error, atCommit bool) checker.Status {
	c := cl.w.c
	c.count("sql.client.sqlstate." + e.Code)
	switch e.Code {
	case "40001":
		c.stats.aborted++
		if o.kind == sqlWorkBank && o.op.Kind == checker.KindTransfer || o.kind == sqlWorkList && !o.readOnly {
			cl.scheduleRetry(o)
		}
		return checker.StatusFail
	case "40003":
		c.stats.ambiguous++
		if !atCommit {
			c.k.Fail(fmt.Errorf("client %d: 40003 from a statement that did not commit: %s", cl.id, e.Message))
		}
		return checker.StatusUnknown
	case "72000", "57P03":
		return checker.StatusFail
	}
	if o.conn.dn.disk != dbDiskNone || o.conn.gatewayGone() {
		c.count("sql.client.error_on_faulted_gateway")
		if atCommit {
			return checker.StatusUnknown
		}
		return checker.StatusFail
	}
	c.k.Fail(fmt.Errorf("client %d: unexpected SQLSTATE %s (%s) in op %d %v; statements: %s",
		cl.id, e.Code, e.Message, o.id, o.op, strings.Join(o.log, " | ")))
	return checker.StatusUnknown
}

// scheduleRetry keeps the intent of a serialization failure for the
// client's next operation: clients retry 40001, as PostgreSQL's do.
func (cl *sqlClient) scheduleRetry(o *sqlOp) {
	if cl.retries >= sqlRetriesMax {
		cl.w.c.count("sql.client.retries_exhausted")
		return
	}
	cl.retries++
	op := o.op
	cl.retry = &op
	cl.w.c.count("sql.client.retry_40001")
}

// rollbackIfOpen ends a transaction block left open (or aborted) by an
// error, so the session can be reused; ROLLBACK completes locally.
func (cl *sqlClient) rollbackIfOpen(o *sqlOp) {
	conn := o.conn
	if conn.closed || conn.done != nil || conn.sess.InTransaction() == 'I' {
		return
	}
	if !conn.gatewayRunning() {
		conn.close()
		return
	}
	conn.exec("ROLLBACK", func([]sql.Result) {})
	if conn.done != nil || conn.sess.InTransaction() != 'I' {
		panic("sim: ROLLBACK did not complete at once")
	}
}

// garbage fails the run: a read returned something the workload cannot
// have written, or two reads of one snapshot disagree.
func (cl *sqlClient) garbage(o *sqlOp, format string, args ...any) {
	cl.w.c.k.Fail(fmt.Errorf("client %d op %d %v: %s; statements: %s",
		cl.id, o.id, o.op, fmt.Sprintf(format, args...), strings.Join(o.log, " | ")))
}

// timedOut: the client gives up and drops the connection; a commit in
// flight may yet take effect.
func (cl *sqlClient) timedOut(o *sqlOp) {
	o.timeout = 0
	if o.done {
		return
	}
	cl.w.c.count("sql.client.timeout")
	o.note("timeout")
	status := checker.StatusFail
	if o.conn.commitInFlight {
		status = checker.StatusUnknown
	}
	o.conn.close()
	cl.finish(o, status)
}

func (cl *sqlClient) finish(o *sqlOp, status checker.Status) {
	w, c := cl.w, cl.w.c
	o.done = true
	if o.timeout != 0 {
		c.k.Cancel(o.timeout)
		o.timeout = 0
	}
	now := c.k.Now()
	var err error
	switch status {
	case checker.StatusOK:
		err = c.rec.Return(o.id, o.reply, now)
	case checker.StatusFail:
		err = c.rec.Fail(o.id, now)
	default:
		err = c.rec.ReturnUnknown(o.id, now)
	}
	if err != nil {
		c.k.Fail(fmt.Errorf("recorder: %w", err))
	}
	c.count(fmt.Sprintf("sql.ops.%s.%s", o.kind, status))
	if status == checker.StatusOK && !o.readOnly {
		c.stats.committed++
		if w.ddlDone > 0 {
			c.count("sql.ops.committed_after_ddl")
		}
	}
	c.k.TraceU64(uint64(o.id)<<8 | uint64(status))
	if o.conn.closed && cl.conn == o.conn {
		cl.conn = nil
	}
	cl.cur = nil
	if status == checker.StatusOK {
		cl.scheduleAfter(0)
		return
	}
	cl.scheduleAfter(dbRetryBackoff)
}
