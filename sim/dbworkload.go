package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/lineradb/lineradb/checker"
	"github.com/lineradb/lineradb/node"
	"github.com/lineradb/lineradb/node/kv"
)

// The campaign's workloads. Clients are callbacks: each has one
// transaction outstanding at a time, sent to a random running replica (any
// replica serves reads and forwards commits), with a timeout. Every
// operation is one transaction, recorded in one checker history:
//
//   - register: get (read-only), put (blind write), cas (read, compare,
//     write), delete (blind point delete) and delete-range (one
//     txn.DeleteRange over a few adjacent keys) on a few keys; checked for
//     linearizability by porcupine. Deletes leave tombstones that the
//     tombstone GC drops once they fall below the history window, so a
//     later get that finds a value again is a resurrection porcupine
//     rejects;
//   - bank: transfers between accounts (read both balances, refuse an
//     overdraft, write both) and reads of every balance (by gets or a
//     range scan); an absent account holds its initial balance, so no
//     setup is needed; checked by CheckBank;
//   - list-append: transactions of appends (read the list, write it back
//     longer) and reads over a small window of keys that moves on to fresh
//     keys as the run goes, so lists stay short; checked by
//     CheckListAppend with Strict (strict serializability is the claim).
//
// Outcomes: a Begin that fails or times out had no effect (failed); a
// read-only transaction returns once its reads are done; a commit that
// returns a version is ok, kv.ErrSerialization, kv.ErrTooOld and
// kv.ErrUnavailable are failed (they did not happen), and kv.ErrAmbiguous,
// a timeout, or any other error is unknown.

// dbWorkKind is one workload.
type dbWorkKind int

const (
	dbWorkRegister dbWorkKind = iota
	dbWorkBank
	dbWorkList
	dbWorkKindCount
)

var dbWorkNames = [dbWorkKindCount]string{"register", "bank", "list_append"}

func (w dbWorkKind) String() string { return dbWorkNames[w] }

// Workload bounds.
const (
	dbClientsMax    = 16
	dbRegKeysMax    = 8
	dbAccountsMax   = 10
	dbMicrosMax     = 6
	dbBankInitial   = 100
	dbTransferMax   = 30
	dbListWindowMax = 8
	// dbDeletePctMax and dbRangeDeletePctMax bound the share (percent) of
	// register operations that are deletes and delete-ranges.
	dbDeletePctMax      = 30
	dbRangeDeletePctMax = 15
)

// dbWorkConfig is a seed's workload mix.
type dbWorkConfig struct {
	enabled [dbWorkKindCount]bool
	clients int
	// regKeys, accounts: the register keys and bank accounts.
	regKeys, accounts int
	// listWindow keys are active at once; every listAdvance transactions
	// the window moves on by one fresh key.
	listWindow, listAdvance int
	microsMax               int
	// deletePct and rangeDeletePct are the percent of register operations
	// that are point deletes and delete-ranges of 1..rangeKeysMax keys.
	deletePct, rangeDeletePct int
	rangeKeysMax              int
	// regSkewed writes (put, cas, delete) register keys unevenly, key k
	// with probability falling in k, while gets stay uniform: the high
	// keys go unwritten for long stretches, so a tombstone there outlives
	// the history window and the GC drops it, and the gets of those keys
	// check that no older value came back.
	regSkewed bool
}

func drawDBWork(rng *rand.Rand) dbWorkConfig {
	w := dbWorkConfig{
		clients:     2 + rng.IntN(7),
		regKeys:     1 + rng.IntN(4),
		accounts:    2 + rng.IntN(5),
		listWindow:  1 + rng.IntN(4),
		listAdvance: 5 + rng.IntN(30),
		microsMax:   1 + rng.IntN(4),
	}
	for i := range w.enabled {
		w.enabled[i] = rng.IntN(2) == 0
	}
	if w.kinds() == 0 {
		w.enabled[rng.IntN(int(dbWorkKindCount))] = true
	}
	return w
}

// drawDBDeletes draws the register workload's deletes from their own
// stream, so adding them left every other knob of a seed as it was.
//
// Tombstone GC needs a tombstone to stay its key's newest version until
// it is below DurableApplied − RetainedVersions and a compaction reaches
// the bottom of that key's data. With the default window (100,000
// entries) that never happens in a seed; with a few uniformly hot keys
// the next write comes first. So two thirds of the deleting seeds are "GC
// seeds": a window of 4..23 entries (small next to a seed's hundreds of
// entries, and still above most transactions' age), memtables of 1..3 KiB
// (durable applied advances at every flush) feeding compactions at one or
// two L0 tables into an L1 large enough to stay the bottom level (where
// the filter may drop), 5..8 register keys, and skewed writes (regSkewed).
// About 17% of all seeds then drop tombstones (the campaign's
// db.gc_seeds probe requires dbGCSeedsPerMille).
func drawDBDeletes(rng *rand.Rand, c *dbConfig) {
	w := &c.work
	if rng.IntN(4) == 0 {
		w.rangeKeysMax = 1
		return // no deletes: the campaign keeps seeds that never delete
	}
	w.deletePct = 5 + rng.IntN(dbDeletePctMax-4)
	w.rangeDeletePct = rng.IntN(dbRangeDeletePctMax + 1)
	if rng.IntN(3) != 0 {
		c.retainedVersions = uint64(4 + rng.IntN(20))
		c.memtableBytes = min(c.memtableBytes, int64(1<<10+rng.IntN(2<<10)))
		c.l0Trigger = 1 + rng.IntN(2)
		w.regKeys = max(w.regKeys, 5+rng.IntN(dbRegKeysMax-4))
		w.regSkewed = true
		c.lBaseBytes = int64(64<<10) << rng.IntN(4)
	}
	w.rangeKeysMax = 1 + rng.IntN(w.regKeys)
}

func (w dbWorkConfig) kinds() int {
	n := 0
	for _, on := range w.enabled {
		if on {
			n++
		}
	}
	return n
}

func (w dbWorkConfig) names() string {
	var names []string
	for k, on := range w.enabled {
		if on {
			names = append(names, dbWorkKind(k).String())
		}
	}
	return strings.Join(names, ",")
}

func (w dbWorkConfig) validate() error {
	switch {
	case w.clients < 1 || w.clients > dbClientsMax:
		return fmt.Errorf("sim: %d clients outside [1,%d]", w.clients, dbClientsMax)
	case w.regKeys < 1 || w.regKeys > dbRegKeysMax:
		return fmt.Errorf("sim: %d register keys outside [1,%d]", w.regKeys, dbRegKeysMax)
	case w.accounts < 2 || w.accounts > dbAccountsMax:
		return fmt.Errorf("sim: %d accounts outside [2,%d]", w.accounts, dbAccountsMax)
	case w.listWindow < 1 || w.listWindow > dbListWindowMax || w.listAdvance < 1:
		return fmt.Errorf("sim: bad list window %d/%d", w.listWindow, w.listAdvance)
	case w.microsMax < 1 || w.microsMax > dbMicrosMax:
		return fmt.Errorf("sim: %d micro-ops outside [1,%d]", w.microsMax, dbMicrosMax)
	case w.deletePct < 0 || w.deletePct > dbDeletePctMax || w.rangeDeletePct < 0 || w.rangeDeletePct > dbRangeDeletePctMax:
		return fmt.Errorf("sim: delete shares %d%%/%d%% outside [0,%d]/[0,%d]", w.deletePct, w.rangeDeletePct, dbDeletePctMax, dbRangeDeletePctMax)
	case w.rangeKeysMax < 1 || w.rangeKeysMax > w.regKeys || w.rangeKeysMax > checker.DeleteRangeKeysMax:
		return fmt.Errorf("sim: %d keys per delete-range outside [1,%d]", w.rangeKeysMax, w.regKeys)
	case w.kinds() == 0:
		return fmt.Errorf("sim: no workload enabled")
	}
	return nil
}

// dbWorkload is the clients and the shared workload state.
type dbWorkload struct {
	c       *dbCluster
	cfg     dbWorkConfig
	clients []*dbClient
	kinds   []dbWorkKind
	list    listDrawer
	// ops annotates every operation, indexed by OpID, for reports.
	ops []*dbOp
}

// Annotations returns one line per operation of the history: the replica
// that served it, its read version and its commit version (0: none).
func (w *dbWorkload) annotations() []string {
	out := make([]string, len(w.ops))
	for i, o := range w.ops {
		out[i] = fmt.Sprintf("op %d: node=%d read=%d commit=%d %v", o.id, o.nodeID, o.readVersion, o.version, o.op)
	}
	return out
}

func newDBWorkload(c *dbCluster) *dbWorkload {
	if err := c.cfg.work.validate(); err != nil {
		panic(err) // drawn in range
	}
	w := &dbWorkload{c: c, cfg: c.cfg.work, list: newListDrawer()}
	for k, on := range w.cfg.enabled {
		if on {
			w.kinds = append(w.kinds, dbWorkKind(k))
		}
	}
	for i := 1; i <= w.cfg.clients; i++ {
		w.clients = append(w.clients, &dbClient{
			w: w, id: i, rng: c.k.Rand(fmt.Sprintf("db.client.%d", i)),
			lastSeen: make([]int64, w.cfg.regKeys),
		})
	}
	return w
}

func (w *dbWorkload) start() {
	for _, cl := range w.clients {
		cl.scheduleNext()
	}
}

// idle reports whether no client has an operation outstanding.
func (w *dbWorkload) idle() bool {
	for _, cl := range w.clients {
		if cl.cur != nil {
			return false
		}
	}
	return true
}

type dbClient struct {
	w   *dbWorkload
	id  int
	rng *rand.Rand
	seq int64
	cur *dbOp
	// lastSeen is the value last read per register key, for cas.
	lastSeen []int64
}

// dbOp is one transaction in flight.
type dbOp struct {
	id         checker.OpID
	op         checker.Op
	kind       dbWorkKind
	n          *node.Node
	readOnly   bool
	committing bool
	done       bool
	reply      checker.Reply
	timeout    EventID
	// nodeID, readVersion and version annotate the op for failure
	// reports: which replica served it, at which read version, and the
	// version its writes committed at.
	nodeID, readVersion, version uint64
}

// dbBody is what a transaction's reads decided.
type dbBody int

const (
	dbBodyCommit dbBody = iota // propose the writes
	dbBodyReturn               // complete now (read-only, cas mismatch)
	dbBodyFail                 // abort: definitely no effect
)

// dbRetryBackoff is the least a client waits after a failed operation: a
// Begin refused at once (no leader yet) must not spin the history full.
const dbRetryBackoff = 20 * time.Millisecond

func (cl *dbClient) scheduleNext() {
	cl.scheduleAfter(0)
}

func (cl *dbClient) scheduleAfter(least time.Duration) {
	if cl.w.c.workloadOver {
		return
	}
	d := least + time.Duration(float64(cl.w.c.cfg.thinkMean)*cl.rng.ExpFloat64())
	cl.w.c.k.Schedule(d, "db.client", cl.issue)
}

func (cl *dbClient) pickNode() *dbNode {
	var cands []*dbNode
	for _, dn := range cl.w.c.nodes {
		if dn.status == dbRunning {
			cands = append(cands, dn)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	return cands[cl.rng.IntN(len(cands))]
}

func (cl *dbClient) issue() {
	c := cl.w.c
	if c.workloadOver || cl.cur != nil {
		return
	}
	dn := cl.pickNode()
	if dn == nil {
		cl.scheduleNext()
		return
	}
	cl.seq++
	kind := cl.w.kinds[cl.rng.IntN(len(cl.w.kinds))]
	op, readOnly := cl.draw(kind)
	id, err := c.rec.Invoke(cl.id, op, c.k.Now())
	if err != nil {
		c.k.Fail(fmt.Errorf("recorder: %w", err))
		return
	}
	o := &dbOp{id: id, op: op, kind: kind, n: dn.n, readOnly: readOnly, nodeID: dn.id}
	cl.w.ops = append(cl.w.ops, o)
	cl.cur = o
	o.timeout = c.k.Schedule(c.cfg.opTimeout, "db.client.timeout", func() { cl.timedOut(o) })
	dn.n.Begin(dbTxnOptions(readOnly), func(txn *node.Txn, err error) { cl.begun(o, txn, err) })
	dn.checkStopped()
}

func dbTxnOptions(readOnly bool) kv.TxnOptions {
	return kv.TxnOptions{Isolation: kv.Serializable, ReadOnly: readOnly}
}

// draw picks the next operation of a workload and whether it is read-only.
func (cl *dbClient) draw(kind dbWorkKind) (checker.Op, bool) {
	cfg := cl.w.cfg
	switch kind {
	case dbWorkRegister:
		return cl.drawRegister()
	case dbWorkBank:
		if cl.rng.IntN(3) == 0 {
			return checker.ReadAll(), true
		}
		from := cl.rng.IntN(cfg.accounts)
		to := (from + 1 + cl.rng.IntN(cfg.accounts-1)) % cfg.accounts
		return checker.Transfer(from, to, int64(1+cl.rng.IntN(dbTransferMax))), false
	}
	return cl.drawList()
}

func (cl *dbClient) drawRegister() (checker.Op, bool) {
	cfg := cl.w.cfg
	value := int64(cl.id)<<32 | cl.seq
	readKey, writeKey := cl.regKeys()
	switch d, r := cl.rng.IntN(100), cl.rng.IntN(10); {
	case d < cfg.deletePct:
		return checker.Delete(writeKey), false
	case d < cfg.deletePct+cfg.rangeDeletePct:
		// The range starts at the key and stays inside the register keys.
		n := 1 + cl.rng.IntN(cfg.rangeKeysMax)
		start := min(writeKey, int64(cfg.regKeys-n))
		return checker.DeleteRange(start, start+int64(n)), false
	case r < 4:
		return checker.Get(readKey), true
	case r < 7:
		return checker.Put(writeKey, value), false
	default:
		return checker.CAS(writeKey, cl.lastSeen[writeKey], value), false
	}
}

// regKeys draws the register a get would read and the one a write would
// write: the same uniform key, unless the seed skews its writes.
func (cl *dbClient) regKeys() (read, write int64) {
	n := cl.w.cfg.regKeys
	read = int64(cl.rng.IntN(n))
	if !cl.w.cfg.regSkewed {
		return read, read
	}
	return read, int64(cl.rng.IntN(1 + cl.rng.IntN(n)))
}

func (cl *dbClient) drawList() (checker.Op, bool) {
	return cl.w.list.draw(cl.rng, cl.w.cfg.listAdvance, cl.w.cfg.microsMax, cl.w.cfg.listWindow)
}

// listDrawer draws list-append transactions for the KV and the SQL
// campaigns: reads and appends over a window of active keys that moves on
// every advance transactions, so lists stay short and the checker fast.
type listDrawer struct {
	// next is the next appended value: unique across all keys.
	next int64
	// txns counts transactions drawn; base is the first active key.
	txns, base int64
}

func newListDrawer() listDrawer { return listDrawer{next: 1} }

// draw returns one transaction of 1..microsMax micro-ops and whether it
// only reads.
func (d *listDrawer) draw(rng *rand.Rand, advance, microsMax, window int) (checker.Op, bool) {
	d.txns++
	if d.txns%int64(advance) == 0 {
		d.base++
	}
	n := 1 + rng.IntN(microsMax)
	micros := make([]checker.Micro, 0, n)
	readOnly := true
	for range n {
		key := d.base + int64(rng.IntN(window))
		if rng.IntN(2) == 0 {
			micros = append(micros, checker.Read(key))
			continue
		}
		micros = append(micros, checker.Append(key, d.nextValue()))
		readOnly = false
	}
	return checker.Txn(micros...), readOnly
}

// nextValue hands out a fresh append value.
func (d *listDrawer) nextValue() int64 {
	v := d.next
	d.next++
	return v
}

func (cl *dbClient) begun(o *dbOp, txn *node.Txn, err error) {
	if o.done {
		if txn != nil {
			o.n.Abort(txn)
		}
		return
	}
	if err != nil {
		cl.w.c.count("db.client.begin_failed")
		cl.finish(o, checker.StatusFail)
		return
	}
	o.readVersion = txn.ReadVersion()
	body, err := cl.body(o, txn)
	if err != nil {
		// A read failed (the replica met damage and stopped): nothing was
		// proposed.
		o.n.Abort(txn)
		cl.w.c.count("db.client.read_failed")
		cl.finish(o, checker.StatusFail)
		return
	}
	switch body {
	case dbBodyReturn:
		o.n.Abort(txn)
		cl.finish(o, checker.StatusOK)
	case dbBodyFail:
		o.n.Abort(txn)
		cl.finish(o, checker.StatusFail)
	default:
		o.committing = true
		o.n.Commit(txn, func(res kv.CommitResult, err error) {
			o.version = res.Version
			cl.committed(o, err)
		})
	}
}

func (cl *dbClient) committed(o *dbOp, err error) {
	if o.done {
		return
	}
	c := cl.w.c
	switch {
	case err == nil:
		c.stats.committed++
		cl.finish(o, checker.StatusOK)
	case errors.Is(err, kv.ErrAmbiguous):
		c.count("db.client.ambiguous")
		c.stats.ambiguous++
		cl.finish(o, checker.StatusUnknown)
	case errors.Is(err, kv.ErrSerialization):
		c.count("db.client.serialization")
		c.stats.aborted++
		cl.finish(o, checker.StatusFail)
	case errors.Is(err, kv.ErrTooOld):
		c.count("db.client.too_old")
		c.stats.aborted++
		cl.finish(o, checker.StatusFail)
	case errors.Is(err, kv.ErrUnavailable):
		c.count("db.client.commit_unavailable")
		cl.finish(o, checker.StatusFail)
	default:
		c.count("db.client.commit_other")
		cl.finish(o, checker.StatusUnknown)
	}
}

// timedOut: a Begin that never answered had no effect; a commit that never
// answered may yet take effect.
func (cl *dbClient) timedOut(o *dbOp) {
	o.timeout = 0
	if o.done {
		return
	}
	cl.w.c.count("db.client.timeout")
	if o.committing {
		cl.finish(o, checker.StatusUnknown)
		return
	}
	cl.finish(o, checker.StatusFail)
}

func (cl *dbClient) finish(o *dbOp, status checker.Status) {
	c := cl.w.c
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
	c.count(fmt.Sprintf("db.ops.%s.%s", o.kind, status))
	switch o.op.Kind {
	case checker.KindDelete:
		c.count(fmt.Sprintf("db.ops.delete.%s", status))
	case checker.KindDeleteRange:
		c.count(fmt.Sprintf("db.ops.delete_range.%s", status))
	}
	c.k.TraceU64(uint64(o.id)<<8 | uint64(status))
	cl.cur = nil
	if status == checker.StatusOK {
		cl.scheduleNext()
		return
	}
	cl.scheduleAfter(dbRetryBackoff)
}

// body runs the transaction's reads and buffers its writes.
func (cl *dbClient) body(o *dbOp, txn *node.Txn) (dbBody, error) {
	switch o.kind {
	case dbWorkRegister:
		return cl.registerBody(o, txn)
	case dbWorkBank:
		return cl.bankBody(o, txn)
	}
	return cl.listBody(o, txn)
}

// dbRegKey is register k's key. Keys are one digit, so they sort like
// their numbers and the delete-range [dbRegKey(a), dbRegKey(b)) covers
// exactly the registers a..b-1 (b may be dbRegKeysMax itself).
func dbRegKey(k int64) []byte { return []byte(fmt.Sprintf("r/%d", k)) }

// One-digit register keys: this fails to compile if dbRegKeysMax > 9.
const _ = uint(9 - dbRegKeysMax)

func dbAccountKey(i int) []byte { return []byte(fmt.Sprintf("b/%02d", i)) }

func dbListKey(k int64) []byte { return []byte(fmt.Sprintf("l/%d", k)) }

func dbEncodeInt(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

// dbDecodeInt decodes a value the workload wrote; anything else is bad
// data served to a client.
func dbDecodeInt(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("value %x is not one the workload wrote", b)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

func (cl *dbClient) garbage(err error) {
	cl.w.c.k.Fail(fmt.Errorf("client %d read garbage: %w", cl.id, err))
}

func (cl *dbClient) readInt(txn *node.Txn, key []byte) (int64, bool, error) {
	b, found, err := txn.Get(key)
	if err != nil || !found {
		return 0, false, err
	}
	v, err := dbDecodeInt(b)
	if err != nil {
		cl.garbage(err)
		return 0, false, err
	}
	return v, true, nil
}

func (cl *dbClient) registerBody(o *dbOp, txn *node.Txn) (dbBody, error) {
	op := o.op
	key := dbRegKey(op.Key)
	switch op.Kind {
	case checker.KindGet:
		v, found, err := cl.readInt(txn, key)
		if err != nil {
			return dbBodyFail, err
		}
		if found {
			cl.lastSeen[op.Key] = v
		}
		o.reply = checker.Reply{Found: found, Value: v}
		return dbBodyReturn, nil
	case checker.KindPut:
		return dbBodyCommit, txn.Put(key, dbEncodeInt(op.Value))
	case checker.KindDelete:
		return dbBodyCommit, txn.Delete(key)
	case checker.KindDeleteRange:
		return dbBodyCommit, txn.DeleteRange(key, dbRegKey(op.KeyEnd))
	}
	v, found, err := cl.readInt(txn, key)
	if err != nil {
		return dbBodyFail, err
	}
	if found {
		cl.lastSeen[op.Key] = v
	}
	if !found || v != op.Expect {
		o.reply = checker.Reply{Swapped: false}
		return dbBodyReturn, nil
	}
	o.reply = checker.Reply{Swapped: true}
	return dbBodyCommit, txn.Put(key, dbEncodeInt(op.Value))
}

func (cl *dbClient) balance(txn *node.Txn, i int) (int64, error) {
	v, found, err := cl.readInt(txn, dbAccountKey(i))
	if !found {
		v = dbBankInitial
	}
	return v, err
}

func (cl *dbClient) bankBody(o *dbOp, txn *node.Txn) (dbBody, error) {
	op := o.op
	if op.Kind == checker.KindReadAll {
		bals, err := cl.readAll(txn)
		o.reply = checker.Reply{Balances: bals}
		return dbBodyReturn, err
	}
	from, err := cl.balance(txn, op.From)
	if err != nil {
		return dbBodyFail, err
	}
	to, err := cl.balance(txn, op.To)
	if err != nil {
		return dbBodyFail, err
	}
	if from < op.Amount {
		cl.w.c.count("db.client.overdraft_refused")
		return dbBodyFail, nil
	}
	if err := txn.Put(dbAccountKey(op.From), dbEncodeInt(from-op.Amount)); err != nil {
		return dbBodyFail, err
	}
	return dbBodyCommit, txn.Put(dbAccountKey(op.To), dbEncodeInt(to+op.Amount))
}

// readAll reads every balance, by point gets or by one range scan.
func (cl *dbClient) readAll(txn *node.Txn) ([]int64, error) {
	n := cl.w.cfg.accounts
	bals := make([]int64, n)
	if cl.rng.IntN(2) == 0 {
		for i := range bals {
			v, err := cl.balance(txn, i)
			if err != nil {
				return nil, err
			}
			bals[i] = v
		}
		return bals, nil
	}
	for i := range bals {
		bals[i] = dbBankInitial
	}
	kvs, err := txn.Scan([]byte("b/"), []byte("b0"), 0, false)
	if err != nil {
		return nil, err
	}
	for _, e := range kvs {
		var i int
		if _, err := fmt.Sscanf(string(e.Key), "b/%d", &i); err != nil || i < 0 || i >= n {
			cl.garbage(fmt.Errorf("scan returned key %q", e.Key))
			return nil, errors.New("garbage key")
		}
		v, err := dbDecodeInt(e.Value)
		if err != nil {
			cl.garbage(err)
			return nil, err
		}
		bals[i] = v
	}
	return bals, nil
}

func (cl *dbClient) readList(txn *node.Txn, key int64) ([]int64, error) {
	b, found, err := txn.Get(dbListKey(key))
	if err != nil || !found {
		return nil, err
	}
	if len(b)%8 != 0 {
		err := fmt.Errorf("list %d holds %d bytes", key, len(b))
		cl.garbage(err)
		return nil, err
	}
	vals := make([]int64, len(b)/8)
	for i := range vals {
		vals[i] = int64(binary.BigEndian.Uint64(b[8*i:]))
	}
	return vals, nil
}

func (cl *dbClient) listBody(o *dbOp, txn *node.Txn) (dbBody, error) {
	micros := o.op.Txn
	out := make([]checker.Micro, len(micros))
	for i, m := range micros {
		vals, err := cl.readList(txn, m.Key)
		if err != nil {
			return dbBodyFail, err
		}
		if m.Kind == checker.MicroRead {
			out[i] = checker.ReadResult(m.Key, vals...)
			continue
		}
		out[i] = m
		b := make([]byte, 0, 8*(len(vals)+1))
		for _, v := range append(vals, m.Value) {
			b = binary.BigEndian.AppendUint64(b, uint64(v))
		}
		if err := txn.Put(dbListKey(m.Key), b); err != nil {
			return dbBodyFail, err
		}
	}
	o.reply = checker.Reply{Txn: out}
	if o.readOnly {
		return dbBodyReturn, nil
	}
	return dbBodyCommit, nil
}

// check runs the checker of every workload the seed ran.
func (w *dbWorkload) check(h checker.History) (*checker.LinearizabilityResult, error) {
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	var lin *checker.LinearizabilityResult
	if w.cfg.enabled[dbWorkRegister] {
		res, err := checker.Linearizable(h)
		if err != nil {
			return nil, fmt.Errorf("register history: %w", err)
		}
		lin = &res
		if !res.OK {
			return lin, fmt.Errorf("register: not linearizable (porcupine %v over %d ops, keys %v)", res.Verdict, res.Ops, res.FailedKeys)
		}
	}
	if w.cfg.enabled[dbWorkBank] {
		initial := make([]int64, w.cfg.accounts)
		for i := range initial {
			initial[i] = dbBankInitial
		}
		res, err := checker.CheckBank(h, checker.BankConfig{Initial: initial})
		if err != nil {
			return lin, fmt.Errorf("bank history: %w", err)
		}
		if !res.Valid {
			return lin, fmt.Errorf("bank: %d bad reads, first %s: %s", res.Bad, res.First().Kind, res.First().Explanation)
		}
	}
	if w.cfg.enabled[dbWorkList] {
		res, err := checker.CheckListAppend(h, checker.ListAppendOptions{Strict: true})
		if err != nil {
			return lin, fmt.Errorf("list-append history: %w", err)
		}
		if !res.Valid {
			a := res.Anomalies[0]
			return lin, fmt.Errorf("list-append: %d anomalies, first %s: %s", len(res.Anomalies)+res.Dropped, a.Kind, a.Explanation)
		}
	}
	return lin, nil
}
