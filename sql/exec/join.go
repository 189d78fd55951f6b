package exec

import (
	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// joinNode joins by nested loops, or by hashing the right side when the
// condition has column = column equalities across the two sides.
type joinNode struct {
	kind        ast.JoinKind
	left, right node
	on          *expr
	rightWidth  int
	leftWidth   int
	// hash join keys: left and right column positions (right relative to
	// the right input).
	lkeys, rkeys []int
}

func (n *joinNode) run(c *Ctx) ([]types.Row, error) {
	ls, err := n.left.run(c)
	if err != nil {
		return nil, err
	}
	rs, err := n.right.run(c)
	if err != nil {
		return nil, err
	}
	lw := n.leftWidth
	if len(ls) > 0 {
		lw = len(ls[0])
	}
	op := n.memOp()
	defer c.mem.release(c.mem.mark())
	if err := c.mem.growRows(op, rs); err != nil {
		return nil, err
	}
	table, err := n.buildTable(c, rs)
	if err != nil {
		return nil, err
	}
	rightMatched := make([]bool, len(rs))
	var out []types.Row
	for _, l := range ls {
		matched := false
		candidates := allIndexes(len(rs))
		if table != nil {
			k, ok := keyOf(l, n.lkeys)
			candidates = nil
			if ok {
				candidates = table[k]
			}
		}
		for _, j := range candidates {
			if err := c.poll(); err != nil {
				return nil, err
			}
			row := append(append(make(types.Row, 0, lw+n.rightWidth), l...), rs[j]...)
			if n.on != nil {
				ok, err := evalBool(c, n.on, row)
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
			}
			matched = true
			rightMatched[j] = true
			if err := c.mem.grow(op, rowBytes(row)); err != nil {
				return nil, err
			}
			out = append(out, row)
			if err := checkRows(len(out)); err != nil {
				return nil, err
			}
		}
		if !matched && (n.kind == ast.JoinLeft || n.kind == ast.JoinFull) {
			out = append(out, append(append(types.Row{}, l...), nulls(n.rightWidth)...))
		}
	}
	if n.kind == ast.JoinRight || n.kind == ast.JoinFull {
		for j, r := range rs {
			if !rightMatched[j] {
				out = append(out, append(nulls(lw), r...))
			}
		}
	}
	return out, nil
}

// memOp names the join in work_mem errors, as EXPLAIN does.
func (n *joinNode) memOp() string {
	if len(n.lkeys) > 0 {
		return opHashJoin
	}
	return opLoopJoin
}

// buildTable hashes the right rows by the join keys (nil for a nested
// loop), charging the table to work_mem.
func (n *joinNode) buildTable(c *Ctx, rs []types.Row) (map[string][]int, error) {
	if len(n.lkeys) == 0 {
		return nil, nil
	}
	table := map[string][]int{}
	for j, r := range rs {
		k, ok := keyOf(r, n.rkeys)
		if !ok {
			continue
		}
		if _, dup := table[k]; !dup {
			if err := c.mem.grow(opHashJoin, hashKeyBytes(k)); err != nil {
				return nil, err
			}
		}
		table[k] = append(table[k], j)
	}
	return table, nil
}

func allIndexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func keyOf(r types.Row, cols []int) (string, bool) {
	k := make(types.Row, len(cols))
	for i, c := range cols {
		if types.IsNull(r[c]) {
			return "", false
		}
		k[i] = r[c]
	}
	return types.RowHashKey(k), true
}

func nulls(n int) types.Row {
	r := make(types.Row, n)
	for i := range r {
		r[i] = types.Null
	}
	return r
}

func (n *joinNode) explain() (string, []node) {
	name := map[ast.JoinKind]string{ast.JoinInner: "Inner", ast.JoinLeft: "Left", ast.JoinRight: "Right",
		ast.JoinFull: "Full", ast.JoinCross: "Cross"}[n.kind]
	label := "Nested Loop " + name + " Join"
	if len(n.lkeys) > 0 {
		label = "Hash " + name + " Join"
	}
	if n.on != nil {
		label += " (" + n.on.text + ")"
	}
	return label, []node{n.left, n.right}
}

func (e *Env) planJoin(j *ast.Join, parent *scope) (node, []scopeCol, error) {
	l, lcols, err := e.planTableExpr(j.Left, parent)
	if err != nil {
		return nil, nil, err
	}
	r, rcols, err := e.planTableExpr(j.Right, parent)
	if err != nil {
		return nil, nil, err
	}
	if err := checkDuplicateAliases(lcols, rcols); err != nil {
		return nil, nil, err
	}
	using := j.Using
	if j.Natural {
		using = nil
		for _, lc := range lcols {
			for _, rc := range rcols {
				if lc.Name == rc.Name && !lc.Hidden && !rc.Hidden {
					using = append(using, lc.Name)
				}
			}
		}
	}
	cols := append(append([]scopeCol{}, lcols...), rcols...)
	n := &joinNode{kind: j.Kind, left: l, right: r, rightWidth: len(rcols), leftWidth: len(lcols)}
	sc := &scope{cols: cols, parent: parent}
	cp := &compiler{env: e, scope: sc, noAggs: "JOIN conditions"}
	var cond *expr
	for _, name := range using {
		li, _ := (&scope{cols: lcols}).find("", name, -1)
		ri, _ := (&scope{cols: rcols}).find("", name, -1)
		if li < 0 || ri < 0 {
			return nil, nil, sqlerr.New(sqlerr.UndefinedColumn, "column %q specified in USING clause does not exist in %s table", name, map[bool]string{true: "left", false: "right"}[li < 0])
		}
		eq, err := cp.comparison("=", columnExpr(li, lcols[li]), columnExpr(len(lcols)+ri, rcols[ri]), -1)
		if err != nil {
			return nil, nil, err
		}
		cond = andExpr(cond, eq)
		cols[len(lcols)+ri].Hidden = true
		cols[len(lcols)+ri].merged = true // unqualified, the name means the left column
	}
	if j.On != nil {
		on, err := cp.compile(j.On)
		if err != nil {
			return nil, nil, err
		}
		if on, err = cp.boolOf(on, "JOIN/ON"); err != nil {
			return nil, nil, err
		}
		cond = andExpr(cond, on)
	}
	n.on = cond
	if cond != nil {
		n.lkeys, n.rkeys = equiKeys(cond, len(lcols))
	}
	return n, cols, nil
}

func andExpr(a, b *expr) *expr {
	if a == nil {
		return b
	}
	ae, be := a.eval, b.eval
	return &expr{T: types.Bool, col: -1, and: &[2]*expr{a, b}, text: "(" + a.text + " AND " + b.text + ")",
		eval: func(c *Ctx, row types.Row) (types.Datum, error) {
			x, err := ae(c, row)
			if err != nil || (!types.IsNull(x) && !bool(x.(types.DBool))) {
				return x, err
			}
			y, err := be(c, row)
			if err != nil || (!types.IsNull(y) && !bool(y.(types.DBool))) {
				return y, err
			}
			if types.IsNull(x) || types.IsNull(y) {
				return types.Null, nil
			}
			return types.DBool(true), nil
		}}
}

// equiKeys finds col = col conjuncts with one column on each side (same
// type family, so hashing agrees with equality).
func equiKeys(cond *expr, leftWidth int) ([]int, []int) {
	var lk, rk []int
	for _, c := range conjuncts(cond, nil) {
		if c.cmp == nil || c.cmp.op != "=" || c.cmp.l.col < 0 || c.cmp.r.col < 0 {
			continue
		}
		a, b := c.cmp.l.col, c.cmp.r.col
		if a >= leftWidth {
			a, b = b, a
		}
		if a >= leftWidth || b < leftWidth || c.cmp.l.T.OID != c.cmp.r.T.OID || c.cmp.l.T.OID == types.OIDBpchar {
			continue
		}
		lk, rk = append(lk, a), append(rk, b-leftWidth)
	}
	return lk, rk
}
