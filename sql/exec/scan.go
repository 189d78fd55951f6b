package exec

import (
	"fmt"

	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/keys"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// scanNode reads a table's rows, over the whole table or a primary-key
// span, or one row by primary key (point), or through a secondary index,
// forward or in reverse key order (see access.go).
type scanNode struct {
	table *catalog.Table
	alias string
	// start/end bound the key span; point means start is a full row key.
	start, end []byte
	point      bool
	single     bool           // a complete unique secondary key
	narrowed   bool           // the span is narrower than the index
	index      *catalog.Index // secondary index used, or nil
	reverse    bool           // walk the span in descending key order
	ordered    bool           // an ORDER BY relies on this scan's order
	desc       string         // access-path description for EXPLAIN
	// preds is set when some key predicate compares with a parameter:
	// the path above is its shape, and bind derives the real bounds from
	// the parameters' values at each execution.
	preds []keyPredicate
	// keyPreds are all the WHERE clause's key predicates, kept so that
	// ORDER BY planning can choose the path again.
	keyPreds []keyPredicate
	// limit and offset, when set, are the statement's LIMIT/OFFSET pushed
	// down: the scan stops once limit+offset rows passed filter.
	limit, offset *expr
	filter        *expr
}

// scanBatchRowsMax bounds one kv Scan call of a scan that stops early
// (LIMIT pushed down); the batch starts at the rows wanted and doubles.
const scanBatchRowsMax = 4096

func newScan(t *catalog.Table, alias string) *scanNode {
	p := keys.RowPrefix(t.ID)
	return &scanNode{table: t, alias: alias, start: p, end: keys.PrefixEnd(p)}
}

func (n *scanNode) run(c *Ctx) ([]types.Row, error) {
	want, err := n.wantRows(c)
	if err != nil || want == 0 {
		return nil, err
	}
	if n.preds != nil {
		bound, empty, err := n.bind(c)
		if err != nil || empty {
			return nil, err
		}
		n = bound
	}
	if n.point {
		return n.runPoint(c)
	}
	var out []types.Row
	start, end := n.start, n.end
	batch, read := workRowsMax+1, 0
	if want > 0 {
		batch = min(want, scanBatchRowsMax)
	}
	for {
		kvs, err := c.Txn.Scan(start, end, batch, n.reverse)
		if err != nil {
			return nil, err
		}
		read += len(kvs)
		if err := checkRows(read); err != nil {
			return nil, err
		}
		if out, err = n.appendRows(c, out, kvs); err != nil {
			return nil, err
		}
		if len(kvs) < batch || (want > 0 && len(out) >= want) || want < 0 {
			return out, nil
		}
		// Continue after the last key read, in the walk's direction.
		last := kvs[len(kvs)-1].Key
		if n.reverse {
			end = last
		} else {
			start = append(append([]byte{}, last...), 0)
		}
		batch = min(batch*2, scanBatchRowsMax)
	}
}

// wantRows is how many passing rows the scan must produce: -1 for all,
// else LIMIT + OFFSET when they are pushed down.
func (n *scanNode) wantRows(c *Ctx) (int, error) {
	if n.limit == nil {
		return -1, nil
	}
	lim, err := limitValue(c, n.limit, "LIMIT", sqlerr.InvalidRowCountInLimit)
	if err != nil || lim < 0 {
		return -1, err
	}
	off, err := limitValue(c, n.offset, "OFFSET", sqlerr.InvalidRowCountInOffset)
	if err != nil {
		return -1, err
	}
	if lim+max(off, 0) > workRowsMax {
		return -1, nil
	}
	return int(lim + max(off, 0)), nil
}

func (n *scanNode) runPoint(c *Ctx) ([]types.Row, error) {
	v, ok, err := c.Txn.Get(n.start)
	if err != nil || !ok {
		return nil, err
	}
	return n.appendRows(c, nil, []kv.KeyValue{{Key: n.start, Value: v}})
}

// appendRows decodes rows (through the index entries' row keys for a
// secondary index) and appends those passing the pushed-down filter.
func (n *scanNode) appendRows(c *Ctx, out []types.Row, kvs []kv.KeyValue) ([]types.Row, error) {
	ids, ts := n.table.ColumnIDs(), n.table.ColumnTypes()
	for _, kvp := range kvs {
		if err := c.poll(); err != nil {
			return nil, err
		}
		val := kvp.Value
		if n.index != nil {
			// Index entries point at the row's key.
			var ok bool
			var err error
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
		if n.filter != nil {
			if ok, err := evalBool(c, n.filter, row); err != nil {
				return nil, err
			} else if !ok {
				continue
			}
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
	dir := ""
	if n.reverse {
		dir = " Backward"
	}
	var label string
	switch {
	case n.point:
		label = "Point Lookup on " + name + " (" + n.desc + ")"
	case n.index != nil:
		label = "Index Scan" + dir + " using " + n.index.Name + " on " + name
		if n.desc != "" {
			label += " (" + n.desc + ")"
		}
	case n.narrowed:
		label = "Range Scan" + dir + " on " + name + " (" + n.desc + ")"
	case n.ordered:
		label = "Index Scan" + dir + " using " + n.table.Primary.Name + " on " + name
	default:
		label = "Seq Scan on " + name
	}
	if n.limit != nil {
		label += " (stops at LIMIT)"
	}
	return label, nil
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
	bound = &scanNode{}
	*bound = *n
	bound.preds = nil
	bound.setPath(pathFor(n.table, n.index, preds), n.reverse)
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
