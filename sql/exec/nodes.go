package exec

import (
	"fmt"
	"sort"

	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// node is a plan operator. run materialises its rows.
type node interface {
	run(c *Ctx) ([]types.Row, error)
	// explain returns the node's label and its inputs.
	explain() (string, []node)
}

type oneRowNode struct{}

func (oneRowNode) run(*Ctx) ([]types.Row, error) { return []types.Row{{}}, nil }
func (oneRowNode) explain() (string, []node)     { return "Result", nil }

type valuesNode struct{ rows [][]*expr }

func (n *valuesNode) run(c *Ctx) ([]types.Row, error) {
	out := make([]types.Row, 0, len(n.rows))
	for _, r := range n.rows {
		row := make(types.Row, len(r))
		for i, e := range r {
			d, err := e.eval(c, nil)
			if err != nil {
				return nil, err
			}
			row[i] = d
		}
		out = append(out, row)
	}
	return out, nil
}
func (n *valuesNode) explain() (string, []node) {
	return fmt.Sprintf("Values Scan (%d rows)", len(n.rows)), nil
}

type filterNode struct {
	in   node
	pred *expr
	// pushed means the scan below applies pred itself (LIMIT pushdown,
	// access.go); the node stays for EXPLAIN.
	pushed bool
}

func (n *filterNode) run(c *Ctx) ([]types.Row, error) {
	rows, err := n.in.run(c)
	if err != nil || n.pushed {
		return rows, err
	}
	return filterRows(c, rows, n.pred)
}

func filterRows(c *Ctx, rows []types.Row, pred *expr) ([]types.Row, error) {
	out := rows[:0:0]
	for _, r := range rows {
		if err := c.poll(); err != nil {
			return nil, err
		}
		ok, err := evalBool(c, pred, r)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func evalBool(c *Ctx, e *expr, r types.Row) (bool, error) {
	d, err := e.eval(c, r)
	if err != nil {
		return false, err
	}
	return !types.IsNull(d) && bool(d.(types.DBool)), nil
}

func (n *filterNode) explain() (string, []node) {
	return "Filter: " + n.pred.text, []node{n.in}
}

type projectNode struct {
	in    node
	exprs []*expr
}

func (n *projectNode) run(c *Ctx) ([]types.Row, error) {
	rows, err := n.in.run(c)
	if err != nil {
		return nil, err
	}
	out := make([]types.Row, len(rows))
	for i, r := range rows {
		if err := c.poll(); err != nil {
			return nil, err
		}
		nr := make(types.Row, len(n.exprs))
		for j, e := range n.exprs {
			if nr[j], err = e.eval(c, r); err != nil {
				return nil, err
			}
		}
		out[i] = nr
	}
	return out, nil
}
func (n *projectNode) explain() (string, []node) { return "", []node{n.in} }

type sortKey struct {
	col        int
	desc       bool
	nullsFirst bool
}

type sortNode struct {
	in   node
	keys []sortKey
	text []string
}

func (n *sortNode) run(c *Ctx) ([]types.Row, error) {
	rows, err := n.in.run(c)
	if err != nil {
		return nil, err
	}
	defer c.mem.release(c.mem.mark())
	if err := c.mem.growRows(opSort, rows); err != nil {
		return nil, err
	}
	sortRows(rows, n.keys)
	return rows, nil
}

func sortRows(rows []types.Row, keys []sortKey) {
	sort.SliceStable(rows, func(i, j int) bool {
		for _, k := range keys {
			a, b := rows[i][k.col], rows[j][k.col]
			an, bn := types.IsNull(a), types.IsNull(b)
			var cmp int
			switch {
			case an && bn:
				continue
			case an || bn:
				cmp = 1
				if an == k.nullsFirst {
					cmp = -1
				}
				return cmp < 0
			default:
				cmp = types.Compare(a, b)
			}
			if k.desc {
				cmp = -cmp
			}
			if cmp != 0 {
				return cmp < 0
			}
		}
		return false
	})
}

func (n *sortNode) explain() (string, []node) {
	return fmt.Sprintf("Sort (keys %v)", n.text), []node{n.in}
}

type limitNode struct {
	in            node
	limit, offset *expr
}

func (n *limitNode) run(c *Ctx) ([]types.Row, error) {
	off, err := limitValue(c, n.offset, "OFFSET", sqlerr.InvalidRowCountInOffset)
	if err != nil {
		return nil, err
	}
	lim, err := limitValue(c, n.limit, "LIMIT", sqlerr.InvalidRowCountInLimit)
	if err != nil {
		return nil, err
	}
	rows, err := n.in.run(c)
	if err != nil {
		return nil, err
	}
	if off > 0 {
		if off >= int64(len(rows)) {
			return nil, nil
		}
		rows = rows[off:]
	}
	if lim >= 0 && lim < int64(len(rows)) {
		rows = rows[:lim]
	}
	return rows, nil
}

func limitValue(c *Ctx, e *expr, what, code string) (int64, error) {
	if e == nil {
		return -1, nil
	}
	d, err := e.eval(c, nil)
	if err != nil || types.IsNull(d) {
		return -1, err
	}
	n := int64(d.(types.DInt))
	if n < 0 {
		return 0, sqlerr.New(code, "%s must not be negative", what)
	}
	return n, nil
}

func (n *limitNode) explain() (string, []node) { return "Limit", []node{n.in} }

// distinctNode keeps the first row of each group of equal values in the
// first width columns (all columns when width is 0).
type distinctNode struct {
	in    node
	width int
}

func (n *distinctNode) run(c *Ctx) ([]types.Row, error) {
	rows, err := n.in.run(c)
	if err != nil {
		return nil, err
	}
	defer c.mem.release(c.mem.mark())
	seen := map[string]bool{}
	out := rows[:0:0]
	for _, r := range rows {
		k := r
		if n.width > 0 && n.width < len(r) {
			k = r[:n.width]
		}
		h := types.RowHashKey(k)
		if !seen[h] {
			if err := c.mem.grow(opUnique, hashKeyBytes(h)); err != nil {
				return nil, err
			}
			seen[h] = true
			out = append(out, r)
		}
	}
	return out, nil
}
func (n *distinctNode) explain() (string, []node) { return "Unique", []node{n.in} }

// trimNode drops trailing helper columns (ORDER BY keys not selected).
type trimNode struct {
	in    node
	width int
}

func (n *trimNode) run(c *Ctx) ([]types.Row, error) {
	rows, err := n.in.run(c)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		rows[i] = r[:n.width]
	}
	return rows, nil
}
func (n *trimNode) explain() (string, []node) { return "", []node{n.in} }

type setOpNode struct {
	op          string
	all         bool
	left, right node
}

func (n *setOpNode) run(c *Ctx) ([]types.Row, error) {
	l, err := n.left.run(c)
	if err != nil {
		return nil, err
	}
	r, err := n.right.run(c)
	if err != nil {
		return nil, err
	}
	if err := checkRows(len(l) + len(r)); err != nil {
		return nil, err
	}
	defer c.mem.release(c.mem.mark())
	if err := c.mem.growRows(n.op, l); err != nil {
		return nil, err
	}
	if err := c.mem.growRows(n.op, r); err != nil {
		return nil, err
	}
	switch n.op {
	case "UNION":
		out := append(append([]types.Row{}, l...), r...)
		if !n.all {
			return dedup(c, n.op, out)
		}
		return out, nil
	}
	counts := map[string]int{}
	for _, row := range r {
		h := types.RowHashKey(row)
		if counts[h] == 0 {
			if err := c.mem.grow(n.op, hashKeyBytes(h)); err != nil {
				return nil, err
			}
		}
		counts[h]++
	}
	var out []types.Row
	emitted := map[string]bool{}
	for _, row := range l {
		h := types.RowHashKey(row)
		in := counts[h] > 0
		emit := false
		switch {
		case n.op == "INTERSECT" && in:
			emit = n.all || !emitted[h]
			if n.all {
				counts[h]--
			}
		case n.op == "EXCEPT" && in:
			if n.all {
				counts[h]-- // each right row cancels one left row
			}
		case n.op == "EXCEPT":
			emit = n.all || !emitted[h]
		}
		if emit {
			emitted[h] = true
			out = append(out, row)
		}
	}
	return out, nil
}

// dedup keeps the first of equal rows, charging its hash set to op.
func dedup(c *Ctx, op string, rows []types.Row) ([]types.Row, error) {
	seen := map[string]bool{}
	out := rows[:0:0]
	for _, r := range rows {
		h := types.RowHashKey(r)
		if !seen[h] {
			if err := c.mem.grow(op, hashKeyBytes(h)); err != nil {
				return nil, err
			}
			seen[h] = true
			out = append(out, r)
		}
	}
	return out, nil
}

func (n *setOpNode) explain() (string, []node) {
	label := n.op
	if n.all {
		label += " ALL"
	}
	return label, []node{n.left, n.right}
}
