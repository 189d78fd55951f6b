package exec

import (
	"fmt"

	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// Work memory: every statement has one account sized work_mem
// (Ctx.WorkMemBytes; 0 = unlimited). Operators that hold rows while they
// work — Sort, hash and nested-loop joins (the inner side and the joined
// rows), aggregation tables, DISTINCT and set-operation hash sets,
// recursive CTEs — charge an estimate of what they hold and release it
// when they return their rows; materialised CTEs and cached subquery
// results stay charged until the statement ends. The statement's result
// is not charged (PostgreSQL streams it; max_result_rows bounds it). The
// first charge that takes the account past its
// budget fails the statement with 53200 naming work_mem and the operator.
// PostgreSQL would spill to disk instead; LineraDB does not spill (yet).
//
// Invariants: 0 <= transientBytes, 0 <= heldBytes; a release restores a
// mark taken earlier by the same operator, so transient charges nest like
// the calls that make them.

// Operator names in work_mem errors (EXPLAIN's labels).
const (
	opSort      = "Sort"
	opHashJoin  = "Hash Join"
	opLoopJoin  = "Nested Loop Join"
	opAggregate = "HashAggregate"
	opUnique    = "Unique"
	opCTE       = "CTE Scan"
	opSubPlan   = "SubPlan"
	opRecursive = "Recursive Union"
)

// Byte estimates of the row representation (64-bit Go): an estimate, not
// an exact count, but monotonic in a row's width and its values' sizes.
const (
	// rowOverheadBytes is a Row's slice header plus its slot in the
	// slice of rows that holds it.
	rowOverheadBytes = 24 + 24
	// datumOverheadBytes is one Datum interface value in a Row.
	datumOverheadBytes = 16
	// scalarBytes is the boxed payload of a fixed-size datum.
	scalarBytes = 16
	// stringHeaderBytes is a string's header (pointer and length).
	stringHeaderBytes = 16
	// numericBytes is a DNumeric without its coefficient's words.
	numericBytes = 48
	// hashEntryBytes is one map entry: bucket slot, key header, value.
	hashEntryBytes = 48
	// groupBytes is one aggregation group besides its key and rows.
	groupBytes = 64
)

// rowBytes estimates the bytes one materialised row holds. It is the one
// estimator every operator's charge goes through.
func rowBytes(r types.Row) int64 {
	n := int64(rowOverheadBytes)
	for _, d := range r {
		n += datumOverheadBytes + datumPayloadBytes(d)
	}
	return n
}

// datumPayloadBytes is what a datum holds beyond its interface value.
func datumPayloadBytes(d types.Datum) int64 {
	switch x := d.(type) {
	case nil, types.DNull:
		return 0
	case types.DString:
		return stringHeaderBytes + int64(len(x))
	case types.DBytes:
		return stringHeaderBytes + int64(len(x))
	case *types.DNumeric:
		return numericBytes + 8*int64(len(x.Coef.Bits()))
	case *types.DArray:
		n := int64(rowOverheadBytes)
		for _, e := range x.Elems {
			n += datumOverheadBytes + datumPayloadBytes(e)
		}
		return n
	}
	return scalarBytes
}

// hashKeyBytes estimates one hash-set entry keyed by the string k.
func hashKeyBytes(k string) int64 { return hashEntryBytes + stringHeaderBytes + int64(len(k)) }

// workMem is a statement's work-memory account.
type workMem struct {
	budgetBytes    int64 // 0: unlimited (nothing is counted)
	transientBytes int64 // held by running operators; released by mark
	heldBytes      int64 // cached CTE and subquery results, result buffer
	peakBytes      int64
}

func (m *workMem) limited() bool { return m.budgetBytes > 0 }

// mark is the transient level an operator restores when it returns.
func (m *workMem) mark() int64 { return m.transientBytes }

// release drops the transient charges made since mark.
func (m *workMem) release(mark int64) {
	if mark < 0 || mark > m.transientBytes {
		panic(fmt.Sprintf("exec: work_mem release to %d with %d charged", mark, m.transientBytes))
	}
	m.transientBytes = mark
}

// grow charges n transient bytes to op.
func (m *workMem) grow(op string, n int64) error {
	if !m.limited() {
		return nil
	}
	m.transientBytes += n
	return m.check(op)
}

// hold charges n bytes to op until the statement ends.
func (m *workMem) hold(op string, n int64) error {
	if !m.limited() {
		return nil
	}
	m.heldBytes += n
	return m.check(op)
}

// growRows charges rows transiently, stopping at the first row over.
func (m *workMem) growRows(op string, rows []types.Row) error {
	if !m.limited() {
		return nil
	}
	for _, r := range rows {
		if err := m.grow(op, rowBytes(r)); err != nil {
			return err
		}
	}
	return nil
}

// holdRows charges rows until the statement ends.
func (m *workMem) holdRows(op string, rows []types.Row) error {
	if !m.limited() {
		return nil
	}
	for _, r := range rows {
		if err := m.hold(op, rowBytes(r)); err != nil {
			return err
		}
	}
	return nil
}

func (m *workMem) check(op string) error {
	used := m.transientBytes + m.heldBytes
	m.peakBytes = max(m.peakBytes, used)
	if used <= m.budgetBytes {
		return nil
	}
	return sqlerr.New(sqlerr.OutOfMemory, "out of memory: %s needs more than work_mem (%s)", op, FormatWorkMem(m.budgetBytes)).
		WithDetail("The statement holds an estimated %d bytes of rows; LineraDB does not spill to disk.", used).
		WithHint("Raise work_mem (SET work_mem, or server.work_mem_mb), or add a LIMIT or a more selective WHERE clause.")
}

// FormatWorkMem prints a work_mem value as SHOW does in PostgreSQL: in
// the largest of kB, MB, GB that divides it; "unlimited" for 0.
func FormatWorkMem(bytes int64) string {
	const kB = 1024
	switch {
	case bytes <= 0:
		return "unlimited"
	case bytes%(kB*kB*kB) == 0:
		return fmt.Sprintf("%dGB", bytes/(kB*kB*kB))
	case bytes%(kB*kB) == 0:
		return fmt.Sprintf("%dMB", bytes/(kB*kB))
	case bytes%kB == 0:
		return fmt.Sprintf("%dkB", bytes/kB)
	}
	return fmt.Sprintf("%dB", bytes)
}
