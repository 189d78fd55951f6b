package sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lineradb/lineradb/checker"
	"github.com/lineradb/lineradb/sql"
)

// The statements of each SQL operation (see sqlworkload.go for the
// workloads). Each step sends one query string and continues in its
// callback; parsing helpers below turn result rows back into the values
// the checkers compare, and reject anything the workload cannot have
// written.

// sqlBeginStmts are the ways a client opens a read-write block.
var sqlBeginStmts = []string{"BEGIN", "START TRANSACTION", "BEGIN ISOLATION LEVEL SERIALIZABLE"}

func (cl *sqlClient) begin(o *sqlOp, then func()) {
	q := sqlBeginStmts[cl.rng.IntN(len(sqlBeginStmts))]
	if o.readOnly && cl.rng.IntN(2) == 0 {
		q = "BEGIN READ ONLY"
	}
	cl.send(o, q, func(res []sql.Result) {
		if cl.ok(o, res, false) {
			then()
		}
	})
}

// commit sends COMMIT and completes the operation with its outcome.
func (cl *sqlClient) commit(o *sqlOp) {
	cl.send(o, "COMMIT", func(res []sql.Result) {
		if !cl.ok(o, res, true) {
			return
		}
		if len(res) != 1 || res[0].Tag != "COMMIT" {
			// A COMMIT of an aborted block answers ROLLBACK: the
			// workload never commits one, so the session lost track.
			cl.garbage(o, "COMMIT answered %s", sqlTags(res))
			return
		}
		if o.audit && o.op.Kind == checker.KindTransfer {
			cl.w.c.count("sql.client.audit_insert_committed")
		}
		cl.finish(o, checker.StatusOK)
	})
}

// transfer: BEGIN; read both balances; refuse an overdraft; update both
// (and log to audit once it exists); COMMIT.
func (cl *sqlClient) transfer(o *sqlOp) {
	op := o.op
	cl.begin(o, func() {
		q := fmt.Sprintf("SELECT id, balance FROM bank WHERE id IN (%d, %d) ORDER BY id", op.From, op.To)
		cl.send(o, q, func(res []sql.Result) {
			if !cl.ok(o, res, false) {
				return
			}
			bals, ok := cl.balances(o, res[0], []int{min(op.From, op.To), max(op.From, op.To)})
			if !ok {
				return
			}
			from := bals[0]
			if op.From > op.To {
				from = bals[1]
			}
			if from < op.Amount {
				cl.w.c.count("sql.client.overdraft_refused")
				cl.rollbackIfOpen(o)
				cl.finish(o, checker.StatusFail)
				return
			}
			cl.sendTransferWrites(o)
		})
	})
}

func (cl *sqlClient) sendTransferWrites(o *sqlOp) {
	op := o.op
	var q string
	wantTags := []string{"UPDATE 1", "UPDATE 1"}
	if cl.rng.IntN(2) == 0 {
		q = fmt.Sprintf("UPDATE bank SET balance = balance - %d WHERE id = %d; UPDATE bank SET balance = balance + %d WHERE id = %d",
			op.Amount, op.From, op.Amount, op.To)
	} else {
		q = fmt.Sprintf("UPDATE bank SET balance = CASE WHEN id = %d THEN balance - %d ELSE balance + %d END WHERE id IN (%d, %d)",
			op.From, op.Amount, op.Amount, op.From, op.To)
		wantTags = []string{"UPDATE 2"}
	}
	if o.audit {
		q += fmt.Sprintf("; INSERT INTO audit VALUES (%d, %d, %d, %d)", int64(cl.id)<<32|cl.seq, op.From, op.To, op.Amount)
		wantTags = append(wantTags, "INSERT 0 1")
	}
	cl.send(o, q, func(res []sql.Result) {
		if !cl.ok(o, res, false) {
			return
		}
		if !slices.Equal(sqlTags(res), wantTags) {
			cl.garbage(o, "transfer statements answered %v, want %v", sqlTags(res), wantTags)
			return
		}
		cl.commit(o)
	})
}

// bankReadAllQuery reads every balance in id order.
const bankReadAllQuery = "SELECT id, balance FROM bank ORDER BY id"

// bankRead reads every balance: one autocommit SELECT, or a block that
// also checks the sum and count and, sometimes, the balance index.
func (cl *sqlClient) bankRead(o *sqlOp) {
	all := make([]int, cl.w.cfg.accounts)
	for i := range all {
		all[i] = i
	}
	if cl.rng.IntN(2) == 0 {
		cl.send(o, bankReadAllQuery, func(res []sql.Result) {
			if !cl.ok(o, res, true) {
				return
			}
			if bals, ok := cl.balances(o, res[0], all); ok {
				o.reply = checker.Reply{Balances: bals}
				cl.finish(o, checker.StatusOK)
			}
		})
		return
	}
	cl.begin(o, func() {
		q := bankReadAllQuery + "; SELECT sum(balance), count(*) FROM bank"
		cl.send(o, q, func(res []sql.Result) {
			if !cl.ok(o, res, false) {
				return
			}
			bals, ok := cl.balances(o, res[0], all)
			if !ok || !cl.checkSum(o, res[1], bals) {
				return
			}
			o.reply = checker.Reply{Balances: bals}
			if cl.rng.Float64() < cl.w.cfg.indexCheckProb {
				cl.checkBalanceIndex(o, bals, func() { cl.commit(o) })
				return
			}
			cl.commit(o)
		})
	})
}

// checkSum compares SELECT sum(balance), count(*) with the rows read in
// the same snapshot.
func (cl *sqlClient) checkSum(o *sqlOp, r sql.Result, bals []int64) bool {
	row, ok := cl.intRow(o, r, 2)
	if !ok {
		return false
	}
	if err := sqlSumMismatch(bals, row[0], row[1]); err != nil {
		cl.garbage(o, "%v", err)
		return false
	}
	return true
}

// sqlSumMismatch reports aggregates that disagree with the rows of the
// same snapshot.
func sqlSumMismatch(bals []int64, sum, count int64) error {
	var want int64
	for _, b := range bals {
		want += b
	}
	if sum != want || count != int64(len(bals)) {
		return fmt.Errorf("sum(balance), count(*) = %d, %d but the rows of the same snapshot sum to %d over %d",
			sum, count, want, len(bals))
	}
	return nil
}

// checkBalanceIndex looks one balance up by equality (the bank_balance
// index once it exists) and compares the ids with the rows read.
func (cl *sqlClient) checkBalanceIndex(o *sqlOp, bals []int64, then func()) {
	b := bals[cl.rng.IntN(len(bals))]
	q := fmt.Sprintf("SELECT id FROM bank WHERE balance = %d ORDER BY id", b)
	cl.send(o, q, func(res []sql.Result) {
		if !cl.ok(o, res, false) {
			return
		}
		got, ok := cl.intColumn(o, res[0])
		if !ok {
			return
		}
		if err := sqlBalanceIndexMismatch(bals, b, got); err != nil {
			cl.garbage(o, "%v", err)
			return
		}
		cl.w.c.count("sql.client.index_checks")
		then()
	})
}

// sqlBalanceIndexMismatch compares the ids a lookup of balance b
// returned with those the table scan bals (indexed by id) holds.
func sqlBalanceIndexMismatch(bals []int64, b int64, got []int64) error {
	var want []int64
	for id, bal := range bals {
		if bal == b {
			want = append(want, int64(id))
		}
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("index lookup balance = %d returned ids %v, the table scan %v", b, got, want)
	}
	return nil
}

// balances parses (id, balance) rows that must be exactly ids, in order;
// out[i] is the balance of ids[i].
func (cl *sqlClient) balances(o *sqlOp, r sql.Result, ids []int) ([]int64, bool) {
	if len(r.Rows) != len(ids) {
		cl.garbage(o, "read %d bank rows, want %d", len(r.Rows), len(ids))
		return nil, false
	}
	out := make([]int64, len(ids))
	for i := range r.Rows {
		row, ok := cl.intRow(o, sqlRowResult(r, i), 2)
		if !ok {
			return nil, false
		}
		if row[0] != int64(ids[i]) {
			cl.garbage(o, "bank row %d has id %d, want %d", i, row[0], ids[i])
			return nil, false
		}
		out[i] = row[1]
	}
	return out, true
}

// listTxn runs a list-append transaction: one autocommit statement for a
// lone micro-op (sometimes), else a block of one statement per micro-op.
func (cl *sqlClient) listTxn(o *sqlOp) {
	out := make([]checker.Micro, len(o.op.Txn))
	if len(o.op.Txn) == 1 && cl.rng.IntN(2) == 0 {
		cl.listMicro(o, out, 0, true, func() {
			o.reply = checker.Reply{Txn: out}
			cl.finish(o, checker.StatusOK)
		})
		return
	}
	cl.begin(o, func() { cl.listStep(o, out, 0) })
}

func (cl *sqlClient) listStep(o *sqlOp, out []checker.Micro, i int) {
	if i == len(out) {
		o.reply = checker.Reply{Txn: out}
		cl.commit(o)
		return
	}
	cl.listMicro(o, out, i, false, func() { cl.listStep(o, out, i+1) })
}

// listMicro runs micro-op i, records its result in out, then continues.
func (cl *sqlClient) listMicro(o *sqlOp, out []checker.Micro, i int, auto bool, then func()) {
	m := o.op.Txn[i]
	if m.Kind == checker.MicroAppend {
		cl.send(o, cl.w.appendQuery(m.Key, m.Value), func(res []sql.Result) {
			if !cl.ok(o, res, auto) {
				return
			}
			if tags := sqlTags(res); !slices.Equal(tags, []string{"INSERT 0 1"}) {
				cl.garbage(o, "append answered %v", tags)
				return
			}
			out[i] = m
			then()
		})
		return
	}
	cl.send(o, cl.w.readQuery(m.Key), func(res []sql.Result) {
		if !cl.ok(o, res, auto) {
			return
		}
		vals, ok := cl.parseList(o, res[0])
		if !ok {
			return
		}
		out[i] = checker.ReadResult(m.Key, vals...)
		if len(vals) > 0 && cl.rng.Float64() < cl.w.cfg.indexCheckProb && !auto {
			cl.checkListIndex(o, m.Key, vals, then)
			return
		}
		then()
	})
}

func (w *sqlWorkload) appendQuery(key, value int64) string {
	if w.cfg.listRepr == sqlListText {
		return fmt.Sprintf("INSERT INTO lt VALUES (%d, '%d') ON CONFLICT (k) DO UPDATE SET v = lt.v || ',%d'", key, value, value)
	}
	return fmt.Sprintf("INSERT INTO la (k, seq, v) SELECT %d, coalesce(max(seq), 0) + 1, %d FROM la WHERE k = %d", key, value, key)
}

func (w *sqlWorkload) readQuery(key int64) string {
	if w.cfg.listRepr == sqlListText {
		return fmt.Sprintf("SELECT v FROM lt WHERE k = %d", key)
	}
	return fmt.Sprintf("SELECT v FROM la WHERE k = %d ORDER BY seq", key)
}

// checkListIndex looks a read list up through the value index (la_v or
// lt_v once it exists): the lookup must name exactly the key read.
func (cl *sqlClient) checkListIndex(o *sqlOp, key int64, vals []int64, then func()) {
	var q string
	if cl.w.cfg.listRepr == sqlListText {
		q = fmt.Sprintf("SELECT k FROM lt WHERE v = '%s'", sqlJoinList(vals))
	} else {
		q = fmt.Sprintf("SELECT k FROM la WHERE v = %d", vals[cl.rng.IntN(len(vals))])
	}
	cl.send(o, q, func(res []sql.Result) {
		if !cl.ok(o, res, false) {
			return
		}
		got, ok := cl.intColumn(o, res[0])
		if !ok {
			return
		}
		if err := sqlListIndexMismatch(key, got); err != nil {
			cl.garbage(o, "%v", err)
			return
		}
		cl.w.c.count("sql.client.index_checks")
		then()
	})
}

// sqlListIndexMismatch: appended values are unique, so a lookup of a
// value (or of a whole text list) read under key must name key alone.
func sqlListIndexMismatch(key int64, got []int64) error {
	if !slices.Equal(got, []int64{key}) {
		return fmt.Errorf("index lookup of list %d's value returned keys %v", key, got)
	}
	return nil
}

// parseList turns a list read into its values.
func (cl *sqlClient) parseList(o *sqlOp, r sql.Result) ([]int64, bool) {
	if cl.w.cfg.listRepr == sqlListRows {
		return cl.intColumn(o, r)
	}
	switch len(r.Rows) {
	case 0:
		return nil, true
	case 1:
	default:
		cl.garbage(o, "list read returned %d rows", len(r.Rows))
		return nil, false
	}
	text, ok := r.Text(0, 0)
	if !ok {
		cl.garbage(o, "list read returned NULL")
		return nil, false
	}
	vals, err := sqlSplitList(text)
	if err != nil {
		cl.garbage(o, "list read: %v", err)
		return nil, false
	}
	return vals, true
}

func sqlJoinList(vals []int64) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(parts, ",")
}

func sqlSplitList(text string) ([]int64, error) {
	parts := strings.Split(text, ",")
	vals := make([]int64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("list text %q is not one the workload wrote", text)
		}
		vals[i] = v
	}
	return vals, nil
}

// intColumn parses a one-column result of non-NULL integers.
func (cl *sqlClient) intColumn(o *sqlOp, r sql.Result) ([]int64, bool) {
	out := make([]int64, len(r.Rows))
	for i := range r.Rows {
		row, ok := cl.intRow(o, sqlRowResult(r, i), 1)
		if !ok {
			return nil, false
		}
		out[i] = row[0]
	}
	return out, true
}

// intRow parses the single row of r: n non-NULL integers.
func (cl *sqlClient) intRow(o *sqlOp, r sql.Result, n int) ([]int64, bool) {
	if len(r.Rows) != 1 || len(r.Rows[0]) != n {
		cl.garbage(o, "want one row of %d columns, got %d rows", n, len(r.Rows))
		return nil, false
	}
	out := make([]int64, n)
	for j := range n {
		text, ok := r.Text(0, j)
		v, err := strconv.ParseInt(text, 10, 64)
		if !ok || err != nil {
			cl.garbage(o, "column %d is %q (null=%v), not an integer", j, text, !ok)
			return nil, false
		}
		out[j] = v
	}
	return out, true
}

// sqlRowResult is r narrowed to its row i, for the one-row parsers.
func sqlRowResult(r sql.Result, i int) sql.Result {
	r.Rows = r.Rows[i : i+1]
	return r
}

func sqlTags(res []sql.Result) []string {
	tags := make([]string, len(res))
	for i, r := range res {
		tags[i] = r.Tag
	}
	return tags
}
