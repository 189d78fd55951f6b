package exec

import (
	"time"

	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// Limits that keep hostile statements bounded.
const (
	// workRowsMax bounds the rows any one plan node materialises.
	workRowsMax = 1_000_000
	// subqueryDepthMax bounds nesting of subqueries and CTEs.
	subqueryDepthMax = 64
)

// Ctx is what executing a statement needs: the transaction, the session's
// time zone and clock reading, parameter values and session identity.
type Ctx struct {
	Txn      kv.Txn
	Loc      *time.Location
	TxnStart time.Time // now() and current_timestamp: the transaction's start
	StmtTime time.Time // statement_timestamp() and clock_timestamp()
	Params   []types.Datum
	User     string
	Database string
	// Setting reads a session setting for current_setting().
	Setting func(name string) (string, bool)
	// Interrupted, if set, is polled every pollRowsInterval rows of work
	// and before every kv operation; a non-nil error (57014 from a cancel
	// request or statement timeout) stops the statement with it.
	Interrupted func() error
	// WorkMemBytes is the statement's work_mem: the bytes its operators
	// may hold at once (workmem.go); 0 means unlimited.
	WorkMemBytes int64

	polls int
	mem   workMem

	outer [][]types.Datum // rows of enclosing queries, innermost last
	cache map[any][]types.Row
}

func (c *Ctx) pushOuter(r types.Row) { c.outer = append(c.outer, r) }
func (c *Ctx) popOuter()             { c.outer = c.outer[:len(c.outer)-1] }

// pollRowsInterval is how many rows of work pass between two polls of
// Ctx.Interrupted: often enough that a cancel lands within microseconds,
// rarely enough that the atomic load costs nothing measurable.
const pollRowsInterval = 256

// poll counts one row of work and checks for an interrupt now and then.
func (c *Ctx) poll() error {
	c.polls++
	if c.polls%pollRowsInterval != 0 || c.Interrupted == nil {
		return nil
	}
	return c.Interrupted()
}

// interruptTxn checks Ctx.Interrupted before every kv operation, so a
// statement stuck in reads or writes stops at its next one.
type interruptTxn struct {
	kv.Txn
	interrupted func() error
}

func (t *interruptTxn) Get(key []byte) ([]byte, bool, error) {
	if err := t.interrupted(); err != nil {
		return nil, false, err
	}
	return t.Txn.Get(key)
}

func (t *interruptTxn) Scan(start, end []byte, limit int, reverse bool) ([]kv.KeyValue, error) {
	if err := t.interrupted(); err != nil {
		return nil, err
	}
	return t.Txn.Scan(start, end, limit, reverse)
}

func (t *interruptTxn) Put(key, value []byte) error {
	if err := t.interrupted(); err != nil {
		return err
	}
	return t.Txn.Put(key, value)
}

func (t *interruptTxn) Delete(key []byte) error {
	if err := t.interrupted(); err != nil {
		return err
	}
	return t.Txn.Delete(key)
}

func (t *interruptTxn) DeleteRange(start, end []byte) error {
	if err := t.interrupted(); err != nil {
		return err
	}
	return t.Txn.DeleteRange(start, end)
}

func checkRows(n int) error {
	if n > workRowsMax {
		return sqlerr.New(sqlerr.ProgramLimitExceeded, "statement materialises more than %d rows in one step", workRowsMax).
			WithHint("Add a LIMIT or a more selective WHERE clause.")
	}
	return nil
}
