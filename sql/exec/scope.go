package exec

import (
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// scopeCol is a column visible to expressions.
type scopeCol struct {
	Table  string
	Name   string
	T      types.T
	Hidden bool // not expanded by *
	// merged marks the right-hand copy of a USING/NATURAL join column:
	// only a qualified reference reaches it.
	merged bool
	// ungrouped marks an input column of a grouped query as seen from a
	// subquery (subquery_grouped.go): referring to it is an error.
	ungrouped bool
}

// scope is the set of columns of one query level's input row.
type scope struct {
	cols   []scopeCol
	parent *scope
	// usedOuter is set when an expression at this level (or below)
	// resolved a column in an enclosing level: the subquery is correlated.
	usedOuter bool
}

// resolve finds a column: its position and how many levels up.
func (s *scope) resolve(parts []string, pos int) (int, int, types.T, error) {
	table, name := "", parts[len(parts)-1]
	if len(parts) >= 2 {
		table = parts[len(parts)-2]
	}
	depth := 0
	for sc := s; sc != nil; sc = sc.parent {
		idx, err := sc.find(table, name, pos)
		if err != nil {
			return 0, 0, types.T{}, err
		}
		if idx >= 0 {
			if c := sc.cols[idx]; c.ungrouped {
				return 0, 0, types.T{}, sqlerr.New(sqlerr.GroupingError, "subquery uses ungrouped column \"%s.%s\" from outer query", c.Table, c.Name).At(pos)
			}
			if depth > 0 {
				for up := s; up != nil; up = up.parent {
					up.usedOuter = true
					if up == sc {
						break
					}
				}
			}
			return idx, depth, sc.cols[idx].T, nil
		}
		depth++
	}
	if table != "" {
		if !s.hasTable(table) {
			return 0, 0, types.T{}, sqlerr.New(sqlerr.UndefinedTable, "missing FROM-clause entry for table %q", table).At(pos)
		}
		return 0, 0, types.T{}, sqlerr.New(sqlerr.UndefinedColumn, "column %s.%s does not exist", table, name).At(pos)
	}
	return 0, 0, types.T{}, sqlerr.New(sqlerr.UndefinedColumn, "column %q does not exist", name).At(pos)
}

func (s *scope) hasTable(table string) bool {
	for sc := s; sc != nil; sc = sc.parent {
		for _, c := range sc.cols {
			if c.Table == table {
				return true
			}
		}
	}
	return false
}

func (s *scope) find(table, name string, pos int) (int, error) {
	found := -1
	for i, c := range s.cols {
		if c.Name != name || (table != "" && c.Table != table) || (table == "" && c.merged) {
			continue
		}
		if found >= 0 {
			return 0, sqlerr.New(sqlerr.AmbiguousColumn, "column reference %q is ambiguous", name).At(pos)
		}
		found = i
	}
	return found, nil
}
