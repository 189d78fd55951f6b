package exec

// subqueryOuterScope is the scope a subquery resolves outer references
// in. Above a GROUP BY the row a correlated subquery is run with is the
// aggregation's output (group keys, then aggregates), not the input row:
// a grouped column is found at its group key's position, and an
// ungrouped column is PostgreSQL's 42803 error, "subquery uses ungrouped
// column ... from outer query".
func (cp *compiler) subqueryOuterScope() *scope {
	if cp.agg == nil {
		return &scope{cols: cp.scope.cols, parent: cp.scope.parent}
	}
	in := cp.agg.in
	cols := make([]scopeCol, 0, len(cp.agg.groups)+len(in.cols))
	grouped := map[int]bool{}
	for _, g := range cp.agg.groups {
		if g.col >= 0 && g.col < len(in.cols) {
			grouped[g.col] = true
			cols = append(cols, in.cols[g.col])
		} else {
			cols = append(cols, scopeCol{}) // an expression key: no name reaches it
		}
	}
	for i, c := range in.cols {
		if !grouped[i] {
			c.ungrouped = true
			cols = append(cols, c)
		}
	}
	return &scope{cols: cols, parent: in.parent}
}
