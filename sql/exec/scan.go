package exec

import (
	"bytes"
	"fmt"

	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/keys"
	"github.com/lineradb/lineradb/sql/types"
)

// scanNode reads a table's rows, over the whole table or a primary-key
// span, or one row by primary key (point), or through a secondary index.
type scanNode struct {
	table *catalog.Table
	alias string
	// start/end bound the primary-key span; point means start is a full key.
	start, end []byte
	point      bool
	index      *catalog.Index // secondary index used, or nil
	desc       string         // access-path description for EXPLAIN
	// preds is set when some key predicate compares with a parameter:
	// the path above is its shape, and bind derives the real bounds from
	// the parameters' values at each execution.
	preds []keyPredicate
}

func newScan(t *catalog.Table, alias string) *scanNode {
	p := keys.RowPrefix(t.ID)
	return &scanNode{table: t, alias: alias, start: p, end: keys.PrefixEnd(p)}
}

func (n *scanNode) run(c *Ctx) ([]types.Row, error) {
	if n.preds != nil {
		bound, empty, err := n.bind(c)
		if err != nil || empty {
			return nil, err
		}
		n = bound
	}
	ids, ts := n.table.ColumnIDs(), n.table.ColumnTypes()
	if n.point {
		v, ok, err := c.Txn.Get(n.start)
		if err != nil || !ok {
			return nil, err
		}
		row, err := keys.DecodeRow(v, ids, ts)
		if err != nil {
			return nil, err
		}
		return []types.Row{row}, nil
	}
	kvs, err := c.Txn.Scan(n.start, n.end, workRowsMax+1, false)
	if err != nil {
		return nil, err
	}
	if err := checkRows(len(kvs)); err != nil {
		return nil, err
	}
	out := make([]types.Row, 0, len(kvs))
	for _, kvp := range kvs {
		if err := c.poll(); err != nil {
			return nil, err
		}
		val := kvp.Value
		if n.index != nil {
			// Index entries point at the row's key.
			var ok bool
			if val, ok, err = c.Txn.Get(kvp.Value); err != nil {
				return nil, err
			} else if !ok {
				return nil, fmt.Errorf("exec: index %s points at a missing row", n.index.Name)
			}
		}
		row, err := keys.DecodeRow(val, ids, ts)
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, nil
}

func (n *scanNode) explain() (string, []node) {
	name := n.table.Name
	if n.alias != "" && n.alias != name {
		name += " " + n.alias
	}
	switch {
	case n.point:
		return "Point Lookup on " + name + " (" + n.desc + ")", nil
	case n.index != nil:
		return "Index Scan using " + n.index.Name + " on " + name + " (" + n.desc + ")", nil
	case n.desc != "":
		return "Range Scan on " + name + " (" + n.desc + ")", nil
	}
	return "Seq Scan on " + name, nil
}

// keyPredicate is col op constant, from WHERE conjuncts: val is the
// constant in the column's type, or nil while arg, an expression of the
// parameters, waits for bind.
type keyPredicate struct {
	col int
	op  string
	val types.Datum
	arg *expr
	txt string
}

// bind evaluates the parameter predicates for this execution and chooses
// the path again with their values. Every key predicate is a conjunct of
// the WHERE clause, which the filter above the scan still applies, so the
// span only has to contain every matching row: a NULL value matches no
// row (empty), and a value the key column cannot hold exactly matches no
// row under = and narrows nothing under a range.
func (n *scanNode) bind(c *Ctx) (bound *scanNode, empty bool, err error) {
	preds := make([]keyPredicate, 0, len(n.preds))
	for _, p := range n.preds {
		if p.arg == nil {
			preds = append(preds, p)
			continue
		}
		d, err := p.arg.eval(c, nil)
		if err != nil {
			return nil, false, err
		}
		if types.IsNull(d) {
			return nil, true, nil
		}
		v, ok := exactKeyValue(d, p.arg.T, n.table.Columns[p.col].Type)
		if !ok {
			if p.op == "=" {
				return nil, true, nil
			}
			continue
		}
		preds = append(preds, keyPredicate{col: p.col, op: p.op, val: v, txt: p.txt})
	}
	bound = newScan(n.table, n.alias)
	choosePath(bound, preds)
	return bound, false, nil
}

// encodeKeyPart appends p's value to a key; a predicate still waiting for
// its parameter (planning, before bind) contributes nothing, as only the
// path's shape matters then.
func encodeKeyPart(k []byte, p keyPredicate, desc bool) []byte {
	if p.val == nil {
		return k
	}
	return keys.EncodeKey(k, p.val, desc)
}

// conjuncts splits a predicate on AND.
func conjuncts(e *expr, parts []*expr) []*expr {
	if e.and != nil {
		return conjuncts(e.and[1], conjuncts(e.and[0], parts))
	}
	return append(parts, e)
}

// choosePath narrows a table scan using WHERE conjuncts: equality on a
// primary-key prefix (a point lookup when complete) plus one range on the
// next key column, or equality on every column of a secondary index.
// The full WHERE is still applied above the scan.
func choosePath(n *scanNode, preds []keyPredicate) {
	t := n.table
	eqs := map[int]keyPredicate{}
	for _, p := range preds {
		if p.op == "=" {
			eqs[p.col] = p
		}
	}
	prefix := keys.RowPrefix(t.ID)
	used := 0
	desc := ""
	for i, colID := range t.Primary.Columns {
		p, ok := eqs[t.ColumnByID(colID)]
		if !ok {
			break
		}
		prefix = encodeKeyPart(prefix, p, t.Primary.Desc[i])
		used++
		desc += p.txt + " "
	}
	if used == len(t.Primary.Columns) {
		n.start, n.point, n.desc = prefix, true, trimSpace(desc)
		return
	}
	if used > 0 {
		n.start, n.end, n.desc = prefix, keys.PrefixEnd(prefix), trimSpace(desc)
		narrowRange(n, preds, used, prefix)
		return
	}
	if narrowRange(n, preds, 0, prefix) {
		return
	}
	for i := range t.Indexes {
		idx := &t.Indexes[i]
		ip := keys.IndexKeyPrefix(t.ID, idx.ID)
		complete, d := true, ""
		for j, colID := range idx.Columns {
			p, ok := eqs[t.ColumnByID(colID)]
			if !ok {
				complete = false
				break
			}
			ip = encodeKeyPart(ip, p, idx.Desc[j])
			d += p.txt + " "
		}
		if complete {
			n.index, n.start, n.end, n.desc = idx, ip, keys.PrefixEnd(ip), trimSpace(d)
			return
		}
	}
}

// narrowRange applies <, <=, >, >= on the primary-key column after the
// equality prefix.
func narrowRange(n *scanNode, preds []keyPredicate, used int, prefix []byte) bool {
	t := n.table
	if used >= len(t.Primary.Columns) || t.Primary.Desc[used] {
		return false
	}
	col := t.ColumnByID(t.Primary.Columns[used])
	narrowed := false
	for _, p := range preds {
		if p.col != col || (p.arg == nil && types.IsNull(p.val)) {
			continue
		}
		k := encodeKeyPart(append([]byte{}, prefix...), p, false)
		switch p.op {
		case ">=":
			if bytes.Compare(k, n.start) > 0 {
				n.start = k
			}
		case ">":
			if e := keys.PrefixEnd(k); bytes.Compare(e, n.start) > 0 {
				n.start = e
			}
		case "<":
			if bytes.Compare(k, n.end) < 0 {
				n.end = k
			}
		case "<=":
			if e := keys.PrefixEnd(k); bytes.Compare(e, n.end) < 0 {
				n.end = e
			}
		default:
			continue
		}
		narrowed = true
		n.desc = trimSpace(n.desc + " " + p.txt)
	}
	return narrowed
}

func trimSpace(s string) string {
	return string(bytes.TrimSpace([]byte(s)))
}
