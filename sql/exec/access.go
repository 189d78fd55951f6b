package exec

import (
	"bytes"

	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/keys"
	"github.com/lineradb/lineradb/sql/types"
)

// Access paths. A table is read through its primary index or one
// secondary index; an index entry's key is its columns' datums followed
// by the row's primary key, so an index yields rows ordered by
// (index columns..., primary key columns...), each column ascending
// NULLS LAST or, declared DESC, descending NULLS FIRST — PostgreSQL's
// btree order. A path fixes a prefix of those columns by equality,
// optionally bounds the next one by a range, and may be walked in
// reverse. choosePath picks among the paths by how much of the table
// they avoid reading and, when the query has ORDER BY, whether they
// deliver that order (so the sort can go, and a LIMIT can stop the scan).

// accessPath is one way to read a table's matching rows.
type accessPath struct {
	index  *catalog.Index // secondary index, or nil for the primary
	start  []byte
	end    []byte
	eq     int  // leading key columns fixed by equality
	ranged bool // the next key column is bounded by <, <=, > or >=
	point  bool // a complete primary key: one Get
	single bool // a complete unique secondary key: at most one entry
	desc   string
}

// orderCol is one ORDER BY key over a table column.
type orderCol struct {
	col        int
	desc       bool
	nullsFirst bool
}

// keyCol is one column of an index's key order.
type keyCol struct {
	col  int
	desc bool
}

// indexKeyCols lists the columns an index orders rows by: its own, then
// the primary key's (the tie-break every secondary entry carries).
func indexKeyCols(t *catalog.Table, idx *catalog.Index) []keyCol {
	var out []keyCol
	if idx != nil {
		for i, id := range idx.Columns {
			out = append(out, keyCol{col: t.ColumnByID(id), desc: idx.Desc[i]})
		}
	}
	for i, id := range t.Primary.Columns {
		out = append(out, keyCol{col: t.ColumnByID(id), desc: t.Primary.Desc[i]})
	}
	return out
}

// pathFor builds the path through idx (nil: primary) from the key
// predicates: equality on a prefix of its columns, then a range on the
// next one.
func pathFor(t *catalog.Table, idx *catalog.Index, preds []keyPredicate) accessPath {
	cols, desc := t.Primary.Columns, t.Primary.Desc
	prefix := keys.RowPrefix(t.ID)
	if idx != nil {
		cols, desc = idx.Columns, idx.Desc
		prefix = keys.IndexKeyPrefix(t.ID, idx.ID)
	}
	eqs := map[int]keyPredicate{}
	for _, p := range preds {
		if _, seen := eqs[p.col]; p.op == "=" && !seen {
			eqs[p.col] = p
		}
	}
	path := accessPath{index: idx}
	for i, colID := range cols {
		p, ok := eqs[t.ColumnByID(colID)]
		if !ok {
			break
		}
		prefix = encodeKeyPart(prefix, p, desc[i])
		path.eq++
		path.desc = joinCond(path.desc, p.txt)
	}
	path.start, path.end = prefix, keys.PrefixEnd(prefix)
	complete := path.eq == len(cols)
	path.point = complete && idx == nil
	path.single = complete && idx != nil && idx.Unique
	if !complete {
		narrowRange(&path, preds, t.ColumnByID(cols[path.eq]), desc[path.eq], prefix)
	}
	return path
}

// narrowRange bounds the path by the range predicates on the key column
// after the equality prefix. On a DESC column the key order is the
// value order reversed, so < bounds the start and > the end. The span
// only has to contain every matching row (the WHERE filter still runs),
// so NULLs inside it are harmless.
func narrowRange(path *accessPath, preds []keyPredicate, col int, descCol bool, prefix []byte) {
	flip := map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<="}
	for _, p := range preds {
		op, isRange := flip[p.op]
		if p.col != col || !isRange {
			continue
		}
		if !descCol {
			op = p.op
		}
		k := encodeKeyPart(append([]byte{}, prefix...), p, descCol)
		switch op {
		case ">=":
			if bytes.Compare(k, path.start) > 0 {
				path.start = k
			}
		case ">":
			if e := keys.PrefixEnd(k); bytes.Compare(e, path.start) > 0 {
				path.start = e
			}
		case "<":
			if bytes.Compare(k, path.end) < 0 {
				path.end = k
			}
		case "<=":
			if e := keys.PrefixEnd(k); bytes.Compare(e, path.end) < 0 {
				path.end = e
			}
		}
		path.ranged = true
		path.desc = joinCond(path.desc, p.txt)
	}
}

// deliversOrder reports whether walking the path (forward, or in
// reverse) yields rows in the wanted order. Keys on columns fixed by
// equality are constant and satisfied either way; the rest must follow
// the index's remaining columns in one direction, with NULLs where the
// index puts them (a NOT NULL column has none to place).
func deliversOrder(t *catalog.Table, path accessPath, want []orderCol) (ok, reverse bool) {
	if path.point || path.single {
		return true, false
	}
	kc := indexKeyCols(t, path.index)
	fixed := map[int]bool{}
	for _, k := range kc[:path.eq] {
		fixed[k.col] = true
	}
	j, dirSet := path.eq, false
	for _, w := range want {
		if fixed[w.col] {
			continue
		}
		if j >= len(kc) || kc[j].col != w.col {
			return false, false
		}
		if !t.Columns[w.col].NotNull && w.nullsFirst != w.desc {
			return false, false
		}
		rev := w.desc != kc[j].desc
		if dirSet && rev != reverse {
			return false, false
		}
		reverse, dirSet = rev, true
		j++
	}
	return true, reverse
}

// pathScore ranks paths: a complete key first, then the longer equality
// prefix, then a range; the primary index wins ties (a secondary entry
// costs an extra Get per row). Delivering the wanted order breaks ties
// further, and makes a full walk of a secondary index worth it only
// when a LIMIT can stop it early. A negative score means "not worth it".
func pathScore(path accessPath, ordered, limited bool) int {
	switch {
	case path.point:
		return 1000
	case path.single:
		return 900
	}
	score := path.eq * 10
	if path.ranged {
		score += 5
	}
	if path.index != nil {
		if score == 0 && !(ordered && limited) {
			return -1
		}
		score--
	}
	if ordered {
		score += 3
	}
	return score
}

// choosePath sets n's access path from the key predicates: the best
// scoring of the primary and secondary indexes. want is the ORDER BY
// over table columns (nil for none); it reports whether the path
// delivers it, in which case the caller drops its sort.
func choosePath(n *scanNode, preds []keyPredicate, want []orderCol, limited bool) bool {
	t := n.table
	best := pathFor(t, nil, preds)
	bestOrdered, bestReverse := deliversOrder(t, best, want)
	bestScore := pathScore(best, bestOrdered && want != nil, limited)
	for i := range t.Indexes {
		p := pathFor(t, &t.Indexes[i], preds)
		ordered, reverse := deliversOrder(t, p, want)
		if s := pathScore(p, ordered && want != nil, limited); s > bestScore {
			best, bestOrdered, bestReverse, bestScore = p, ordered, reverse, s
		}
	}
	n.setPath(best, bestReverse && bestOrdered)
	return bestOrdered
}

// setPath makes the scan read through path.
func (n *scanNode) setPath(path accessPath, reverse bool) {
	n.index, n.start, n.end, n.point, n.single = path.index, path.start, path.end, path.point, path.single
	n.desc, n.reverse, n.narrowed = path.desc, reverse, path.eq > 0 || path.ranged
}

// sortWanted maps sort keys over projected expressions to table columns
// of the scan; ok is false if some key is not a plain column.
func sortWanted(keys []sortKey, exprs []*expr, width int) ([]orderCol, bool) {
	out := make([]orderCol, 0, len(keys))
	for _, k := range keys {
		c := exprs[k.col].col
		if c < 0 || c >= width {
			return nil, false
		}
		out = append(out, orderCol{col: c, desc: k.desc, nullsFirst: k.nullsFirst})
	}
	return out, true
}

// exactKeyValue converts d (of type from) to the key column's type ct,
// and reports false if d is NULL or does not convert exactly (then no key
// of type ct equals it).
func exactKeyValue(d types.Datum, from, ct types.T) (types.Datum, bool) {
	if types.IsNull(d) {
		return nil, false
	}
	v, err := types.Cast(d, from, types.T{OID: ct.OID, Typmod: -1}, types.CastImplicit, nil)
	if err != nil || types.Compare(v, d) != 0 {
		return nil, false
	}
	return v, true
}

// scanUnder finds the table scan a projection reads, directly or through
// the WHERE filter; nil if the input is anything else (a join, an
// aggregate...).
func scanUnder(n node) (*scanNode, *filterNode) {
	if p, ok := n.(*projectNode); ok {
		n = p.in
	}
	switch x := n.(type) {
	case *scanNode:
		return x, nil
	case *filterNode:
		if sc, ok := x.in.(*scanNode); ok {
			return sc, x
		}
	}
	return nil, nil
}

// scanDeliversOrder chooses the scan's path again with the ORDER BY in
// view and reports whether the sort can go.
func scanDeliversOrder(n node, keys []sortKey, exprs []*expr, limited bool) bool {
	sc, _ := scanUnder(n)
	if sc == nil {
		return false
	}
	want, ok := sortWanted(keys, exprs, len(sc.table.Columns))
	if !ok {
		return false
	}
	sc.ordered = choosePath(sc, sc.keyPreds, want, limited)
	return sc.ordered
}

// pushLimit hands LIMIT/OFFSET down to a scan that feeds the limit in
// order (no sort, aggregate or distinct between), with the WHERE filter,
// so the scan stops after the rows the limit keeps instead of reading
// the table. The limit node above still trims exactly.
func pushLimit(n node) {
	ln, ok := n.(*limitNode)
	if !ok || ln.limit == nil {
		return
	}
	sc, f := scanUnder(ln.in)
	if sc == nil {
		return
	}
	sc.limit, sc.offset = ln.limit, ln.offset
	if f != nil {
		sc.filter, f.pushed = f.pred, true
	}
}

// joinCond adds one key predicate to a path's EXPLAIN description.
func joinCond(desc, cond string) string {
	if desc == "" {
		return cond
	}
	return desc + " AND " + cond
}
