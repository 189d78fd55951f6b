package exec

import (
	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// WITH RECURSIVE name AS (non-recursive term UNION [ALL] recursive term)
// runs as PostgreSQL does: the non-recursive term fills the working
// table; the recursive term runs over the working table only, its new
// rows (for UNION, those not seen before) are appended to the result and
// become the next working table; iteration stops when a step adds no
// rows. A WITH RECURSIVE item that does not refer to itself is an
// ordinary CTE.

// recursionStepsMax bounds the iterations of one recursive CTE; the
// result is also bounded by workRowsMax. Either raises 54000, so a
// runaway recursion fails instead of running forever.
const recursionStepsMax = 100_000

// recursiveNode evaluates a recursive CTE to its fixpoint.
type recursiveNode struct {
	name  string
	all   bool
	init  node
	step  node
	work  *cteDef // the working table the step's scans read
	width int
}

func (n *recursiveNode) explain() (string, []node) {
	return "Recursive Union on " + n.name, []node{n.init, n.step}
}

func (n *recursiveNode) run(c *Ctx) ([]types.Row, error) {
	rows, err := n.init.run(c)
	if err != nil {
		return nil, err
	}
	defer c.mem.release(c.mem.mark())
	seen := map[string]bool{}
	work, err := n.fresh(c, rows, seen)
	if err != nil {
		return nil, err
	}
	result := append([]types.Row{}, work...)
	if c.cache == nil {
		c.cache = map[any][]types.Row{}
	}
	for step := 0; len(work) > 0; step++ {
		if step >= recursionStepsMax {
			return nil, sqlerr.New(sqlerr.ProgramLimitExceeded, "recursive query %q did not finish within %d iterations", n.name, recursionStepsMax).
				WithHint("Check the recursive term's stop condition, or use UNION to drop repeated rows.")
		}
		c.cache[n.work] = work
		next, err := n.step.run(c)
		delete(c.cache, n.work)
		if err != nil {
			return nil, err
		}
		if work, err = n.fresh(c, next, seen); err != nil {
			return nil, err
		}
		result = append(result, work...)
		if err := checkRows(len(result)); err != nil {
			return nil, err
		}
	}
	return result, nil
}

// fresh drops, for UNION, rows already produced (and duplicates within
// rows); UNION ALL keeps everything. The rows kept join the result, and
// are charged to work_mem with the seen set.
func (n *recursiveNode) fresh(c *Ctx, rows []types.Row, seen map[string]bool) ([]types.Row, error) {
	if n.all {
		return rows, c.mem.growRows(opRecursive, rows)
	}
	out := rows[:0:0]
	for _, r := range rows {
		k := types.RowHashKey(r)
		if !seen[k] {
			if err := c.mem.grow(opRecursive, rowBytes(r)+hashKeyBytes(k)); err != nil {
				return nil, err
			}
			seen[k] = true
			out = append(out, r)
		}
	}
	return out, nil
}

// workScanNode is the placeholder plan of the working table: the
// recursive node puts the rows in the Ctx cache before each step, so
// reaching this node means the table was read outside its recursion.
type workScanNode struct{ name string }

func (n *workScanNode) explain() (string, []node) { return "WorkTable Scan on " + n.name, nil }

func (n *workScanNode) run(*Ctx) ([]types.Row, error) {
	return nil, sqlerr.New(sqlerr.InternalError, "working table of %q read outside its recursion", n.name)
}

// planRecursiveCTE plans one item of WITH RECURSIVE; level is the WITH
// level being built, where the working table is visible while the
// recursive term is planned. ok is false when the item does not refer to
// itself (the caller plans it as an ordinary CTE).
func (e *Env) planRecursiveCTE(c ast.CTE, level map[string]*cteDef, parent *scope) (node, []scopeCol, bool, error) {
	q := c.Query
	if q.Op != ast.SetUnion || len(q.OrderBy) > 0 || q.Limit != nil || q.Offset != nil || len(q.With) > 0 {
		return nil, nil, false, nil
	}
	init, cols, err := e.planQuery(q.Left, parent)
	if err != nil {
		return nil, nil, false, err
	}
	if cols, err = renameCols(cols, c.Name, c.Cols); err != nil {
		return nil, nil, false, err
	}
	for i := range cols {
		if cols[i].T.Family() == types.FamUnknown {
			cols[i].T = types.Text
		}
	}
	work := &cteDef{name: c.Name, cols: cols, plan: &workScanNode{name: c.Name}}
	level[c.Name] = work
	step, scols, err := e.planQuery(q.Right, parent)
	delete(level, c.Name)
	if err != nil || !work.used {
		return nil, nil, false, err
	}
	if len(scols) != len(cols) {
		return nil, nil, false, sqlerr.New(sqlerr.SyntaxError, "each UNION query must have the same number of columns")
	}
	ie, se, err := e.recursiveColumns(c.Name, cols, scols, parent)
	if err != nil {
		return nil, nil, false, err
	}
	n := &recursiveNode{name: c.Name, all: q.All, init: &projectNode{in: init, exprs: ie},
		step: &projectNode{in: step, exprs: se}, work: work, width: len(cols)}
	return n, cols, true, nil
}

// recursiveColumns casts the recursive term's columns to the
// non-recursive term's types, which fix the CTE's types; PostgreSQL
// rejects a recursive term of another type (42804), and so does this.
func (e *Env) recursiveColumns(name string, cols, scols []scopeCol, parent *scope) ([]*expr, []*expr, error) {
	cp := &compiler{env: e, scope: &scope{parent: parent}}
	ie, se := make([]*expr, len(cols)), make([]*expr, len(cols))
	for i := range cols {
		ie[i] = columnExpr(i, scopeCol{Name: cols[i].Name, T: cols[i].T})
		s := columnExpr(i, scols[i])
		if s.T.Family() != types.FamUnknown && s.T.OID != cols[i].T.OID {
			return nil, nil, sqlerr.New(sqlerr.DatatypeMismatch, "recursive query %q column %d has type %s in non-recursive term but type %s overall",
				name, i+1, cols[i].T.String(), s.T.String()).WithHint("Cast the output of the non-recursive term to the correct type.")
		}
		c, err := cp.coerce(s, cols[i].T, types.CastImplicit, "")
		if err != nil {
			return nil, nil, err
		}
		se[i] = c
	}
	return ie, se, nil
}
