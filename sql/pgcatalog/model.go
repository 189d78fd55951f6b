package pgcatalog

import (
	"slices"
	"strings"

	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/exec"
)

// rel is one pg_class row: a table, an index or a sequence.
type rel struct {
	oid   uint32
	name  string
	kind  string // "r" table, "i" index, "S" sequence
	table *catalog.Table
	index *catalog.Index // kind "i"
}

// snapshot is the user schema as one statement sees it: every table of
// the catalog read through the statement's transaction, ordered by name.
type snapshot struct {
	tables []*catalog.Table
	rels   []rel // ordered by OID
}

func load(c *exec.Ctx) (*snapshot, error) {
	ts, err := catalog.ListTables(c.Txn)
	if err != nil {
		return nil, err
	}
	s := &snapshot{}
	for _, t := range ts {
		if _, err := tableBase(t.ID); err != nil {
			return nil, err
		}
		s.tables = append(s.tables, t)
		s.rels = append(s.rels, tableRels(t)...)
	}
	slices.SortFunc(s.rels, func(a, b rel) int { return int(int64(a.oid) - int64(b.oid)) })
	return s, nil
}

func tableRels(t *catalog.Table) []rel {
	out := []rel{{oid: tableOID(t), name: t.Name, kind: "r", table: t}}
	for _, ix := range indexes(t) {
		out = append(out, rel{oid: indexOID(t, ix.ID), name: ix.Name, kind: "i", table: t, index: ix})
	}
	for k, sq := range t.Sequences {
		if !hiddenSequence(t, sq) {
			out = append(out, rel{oid: seqOID(t, k), name: sq, kind: "S", table: t})
		}
	}
	return out
}

// indexes lists the indexes PostgreSQL would show: the primary index
// unless it is the hidden rowid one, then the secondary indexes.
func indexes(t *catalog.Table) []*catalog.Index {
	var out []*catalog.Index
	if !t.HasRowID && t.Primary.Name != "" {
		out = append(out, &t.Primary)
	}
	for i := range t.Indexes {
		out = append(out, &t.Indexes[i])
	}
	return out
}

// hiddenSequence reports whether sequence sq backs the hidden rowid
// column, which PostgreSQL has no counterpart for.
func hiddenSequence(t *catalog.Table, sq string) bool {
	for _, c := range t.Columns {
		if c.Hidden && strings.Contains(c.Default, "'"+sq+"'") {
			return true
		}
	}
	return false
}

// visibleColumns are the columns PostgreSQL's pg_attribute would list.
func visibleColumns(t *catalog.Table) []catalog.Column {
	var out []catalog.Column
	for _, c := range t.Columns {
		if !c.Hidden {
			out = append(out, c)
		}
	}
	return out
}

func (s *snapshot) rel(oid uint32) *rel {
	i, ok := slices.BinarySearchFunc(s.rels, oid, func(r rel, o uint32) int { return int(int64(r.oid) - int64(o)) })
	if !ok {
		return nil
	}
	return &s.rels[i]
}

func (s *snapshot) relByName(name string) *rel {
	for i := range s.rels {
		if s.rels[i].name == name {
			return &s.rels[i]
		}
	}
	return nil
}

func (s *snapshot) table(id uint32) *catalog.Table {
	for _, t := range s.tables {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// columnName is the name of the column with the given ID ("" if none).
func columnName(t *catalog.Table, id uint32) string {
	if i := t.ColumnByID(id); i >= 0 {
		return t.Columns[i].Name
	}
	return ""
}
