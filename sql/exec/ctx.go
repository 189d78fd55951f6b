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

	outer [][]types.Datum // rows of enclosing queries, innermost last
	cache map[any][]types.Row
}

func (c *Ctx) pushOuter(r types.Row) { c.outer = append(c.outer, r) }
func (c *Ctx) popOuter()             { c.outer = c.outer[:len(c.outer)-1] }

func checkRows(n int) error {
	if n > workRowsMax {
		return sqlerr.New(sqlerr.ProgramLimitExceeded, "statement materialises more than %d rows in one step", workRowsMax).
			WithHint("Add a LIMIT or a more selective WHERE clause.")
	}
	return nil
}
