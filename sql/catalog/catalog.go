package catalog

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/sql/keys"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// Limits on schema size.
const (
	ColumnsMax = 1600 // PostgreSQL's MaxHeapAttributeNumber
	IndexesMax = 64
	NameLenMax = 63 // NAMEDATALEN-1: longer names are truncated
)

// PrimaryIndexID is the ID of every table's primary index.
const PrimaryIndexID = 1

// RowIDColumn is the hidden column of tables without a primary key.
const RowIDColumn = "rowid"

// Column is a table column.
type Column struct {
	ID      uint32  `json:"id"`
	Name    string  `json:"name"`
	Type    types.T `json:"type"`
	NotNull bool    `json:"not_null,omitempty"`
	Default string  `json:"default,omitempty"` // SQL text, "" for none
	Hidden  bool    `json:"hidden,omitempty"`
}

// Index is the primary index or a secondary index.
type Index struct {
	ID         uint32   `json:"id"`
	Name       string   `json:"name"`
	Unique     bool     `json:"unique,omitempty"`
	Columns    []uint32 `json:"columns"`
	Desc       []bool   `json:"desc"`
	Constraint bool     `json:"constraint,omitempty"` // created by PRIMARY KEY/UNIQUE
}

// Check is a CHECK constraint.
type Check struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
}

// Table is a table descriptor.
type Table struct {
	ID         uint32   `json:"id"`
	Name       string   `json:"name"`
	Columns    []Column `json:"columns"`
	Primary    Index    `json:"primary"`
	Indexes    []Index  `json:"indexes,omitempty"`
	Checks     []Check  `json:"checks,omitempty"`
	Sequences  []string `json:"sequences,omitempty"` // owned (serial) sequences
	NextColumn uint32   `json:"next_column"`
	NextIndex  uint32   `json:"next_index"`
	HasRowID   bool     `json:"has_rowid,omitempty"`
}

// Column returns the column with the given name.
func (t *Table) Column(name string) (*Column, int) {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i], i
		}
	}
	return nil, -1
}

// ColumnByID returns the position of the column with the given ID.
func (t *Table) ColumnByID(id uint32) int {
	for i := range t.Columns {
		if t.Columns[i].ID == id {
			return i
		}
	}
	return -1
}

// ColumnIDs and ColumnTypes describe the row layout.
func (t *Table) ColumnIDs() []uint32 {
	out := make([]uint32, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.ID
	}
	return out
}

// ColumnTypes lists the columns' types in order.
func (t *Table) ColumnTypes() []types.T {
	out := make([]types.T, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Type
	}
	return out
}

// Index returns the secondary index with the given name.
func (t *Table) Index(name string) *Index {
	for i := range t.Indexes {
		if t.Indexes[i].Name == name {
			return &t.Indexes[i]
		}
	}
	return nil
}

// nameEntry is what a relation name maps to.
type nameEntry struct {
	Kind    string `json:"kind"` // "table", "index", "sequence"
	Table   uint32 `json:"table,omitempty"`
	IndexID uint32 `json:"index,omitempty"`
}

func nameKey(name string) []byte { return append([]byte("/meta/name/"), name...) }

func tableKey(id uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte("/meta/table/"), id)
}

func seqKey(name string) []byte { return append([]byte("/meta/seq/"), name...) }

var nextIDKey = []byte("/meta/nextid")

// firstTableID leaves room below for system objects.
const firstTableID = 100

// Truncate shortens a name to NameLenMax bytes as PostgreSQL does.
func Truncate(name string) string {
	if len(name) <= NameLenMax {
		return name
	}
	return name[:NameLenMax]
}

func getJSON(txn kv.Txn, key []byte, v any) (bool, error) {
	b, ok, err := txn.Get(key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("catalog: corrupt descriptor at %q: %w", key, err)
	}
	return true, nil
}

// putJSON writes a name entry or a table descriptor, bumping the
// catalog version in the same transaction.
func putJSON(txn kv.Txn, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := bumpVersion(txn); err != nil {
		return err
	}
	return txn.Put(key, b)
}

// AllocID returns a fresh descriptor ID.
func AllocID(txn kv.Txn) (uint32, error) {
	b, ok, err := txn.Get(nextIDKey)
	if err != nil {
		return 0, err
	}
	id := uint64(firstTableID)
	if ok {
		if id, err = strconv.ParseUint(string(b), 10, 32); err != nil {
			return 0, fmt.Errorf("catalog: corrupt id counter: %w", err)
		}
	}
	return uint32(id), txn.Put(nextIDKey, []byte(strconv.FormatUint(id+1, 10)))
}

// lookupName resolves a relation name.
func lookupName(txn kv.Txn, name string) (*nameEntry, error) {
	var e nameEntry
	ok, err := getJSON(txn, nameKey(name), &e)
	if err != nil || !ok {
		return nil, err
	}
	return &e, nil
}

// RelationExists reports whether a table, index or sequence has the name.
func RelationExists(txn kv.Txn, name string) (string, error) {
	e, err := lookupName(txn, name)
	if err != nil || e == nil {
		return "", err
	}
	return e.Kind, nil
}

// GetTable returns the table named name, or nil if there is none.
func GetTable(txn kv.Txn, name string) (*Table, error) {
	e, err := lookupName(txn, name)
	if err != nil || e == nil || e.Kind != "table" {
		return nil, err
	}
	return GetTableByID(txn, e.Table)
}

// GetTableByID returns a table by ID, or nil.
func GetTableByID(txn kv.Txn, id uint32) (*Table, error) {
	var t Table
	ok, err := getJSON(txn, tableKey(id), &t)
	if err != nil || !ok {
		return nil, err
	}
	return &t, nil
}

// GetIndexTable resolves an index name to its table and index ID.
func GetIndexTable(txn kv.Txn, name string) (*Table, uint32, error) {
	e, err := lookupName(txn, name)
	if err != nil || e == nil || e.Kind != "index" {
		return nil, 0, err
	}
	t, err := GetTableByID(txn, e.Table)
	return t, e.IndexID, err
}

// ListTables returns every table, ordered by name.
func ListTables(txn kv.Txn) ([]*Table, error) {
	prefix := []byte("/meta/table/")
	kvs, err := txn.Scan(prefix, keys.PrefixEnd(prefix), 0, false)
	if err != nil {
		return nil, err
	}
	var out []*Table
	for _, p := range kvs {
		var t Table
		if err := json.Unmarshal(p.Value, &t); err != nil {
			return nil, fmt.Errorf("catalog: corrupt descriptor: %w", err)
		}
		out = append(out, &t)
	}
	sortTables(out)
	return out, nil
}

func sortTables(ts []*Table) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && strings.Compare(ts[j-1].Name, ts[j].Name) > 0; j-- {
			ts[j-1], ts[j] = ts[j], ts[j-1]
		}
	}
}

// claimName reserves a relation name or reports 42P07.
func claimName(txn kv.Txn, name string, e nameEntry) error {
	kind, err := RelationExists(txn, name)
	if err != nil {
		return err
	}
	if kind != "" {
		return sqlerr.New(sqlerr.DuplicateTable, "relation %q already exists", name)
	}
	return putJSON(txn, nameKey(name), e)
}

// CreateTable stores a new table (ID assigned by the caller via AllocID)
// with its index names and owned sequences.
func CreateTable(txn kv.Txn, t *Table) error {
	if err := claimName(txn, t.Name, nameEntry{Kind: "table", Table: t.ID}); err != nil {
		return err
	}
	for _, idx := range append([]Index{t.Primary}, t.Indexes...) {
		if idx.Name == "" {
			continue
		}
		if err := claimName(txn, idx.Name, nameEntry{Kind: "index", Table: t.ID, IndexID: idx.ID}); err != nil {
			return err
		}
	}
	for _, s := range t.Sequences {
		if err := CreateSequence(txn, s, t.ID); err != nil {
			return err
		}
	}
	return putJSON(txn, tableKey(t.ID), t)
}

// PutTable stores an updated descriptor.
func PutTable(txn kv.Txn, t *Table) error {
	if len(t.Columns) > ColumnsMax {
		return sqlerr.New(sqlerr.TooManyColumns, "tables can have at most %d columns", ColumnsMax)
	}
	return putJSON(txn, tableKey(t.ID), t)
}

// AddIndexName claims an index name for table t.
func AddIndexName(txn kv.Txn, name string, tableID, indexID uint32) error {
	return claimName(txn, name, nameEntry{Kind: "index", Table: tableID, IndexID: indexID})
}

// RemoveName frees a relation name.
func RemoveName(txn kv.Txn, name string) error {
	if err := bumpVersion(txn); err != nil {
		return err
	}
	return txn.Delete(nameKey(name))
}

// RenameRelation moves a name entry.
func RenameRelation(txn kv.Txn, from, to string) error {
	e, err := lookupName(txn, from)
	if err != nil {
		return err
	}
	if e == nil {
		return sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", from)
	}
	if err := claimName(txn, to, *e); err != nil {
		return err
	}
	return RemoveName(txn, from)
}

// DropTable removes a table's descriptor, names, sequences, rows and index
// entries.
func DropTable(txn kv.Txn, t *Table) error {
	for _, n := range append([]string{t.Name, t.Primary.Name}, t.Sequences...) {
		if n != "" {
			if err := RemoveName(txn, n); err != nil {
				return err
			}
		}
	}
	for _, idx := range t.Indexes {
		if err := RemoveName(txn, idx.Name); err != nil {
			return err
		}
	}
	for _, s := range t.Sequences {
		if err := txn.Delete(seqKey(s)); err != nil {
			return err
		}
	}
	if err := bumpVersion(txn); err != nil {
		return err
	}
	if err := txn.Delete(tableKey(t.ID)); err != nil {
		return err
	}
	rows := keys.RowPrefix(t.ID)
	if err := txn.DeleteRange(rows, keys.PrefixEnd(rows)); err != nil {
		return err
	}
	idx := keys.IndexTablePrefix(t.ID)
	return txn.DeleteRange(idx, keys.PrefixEnd(idx))
}

// CreateSequence creates a sequence starting at 1.
func CreateSequence(txn kv.Txn, name string, owner uint32) error {
	if err := claimName(txn, name, nameEntry{Kind: "sequence", Table: owner}); err != nil {
		return err
	}
	return txn.Put(seqKey(name), []byte("0"))
}

// DropSequence removes a sequence and frees its name.
func DropSequence(txn kv.Txn, name string) error {
	if err := RemoveName(txn, name); err != nil {
		return err
	}
	return txn.Delete(seqKey(name))
}

// NextVal advances a sequence and returns its new value.
func NextVal(txn kv.Txn, name string) (int64, error) {
	b, ok, err := txn.Get(seqKey(name))
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", name)
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("catalog: corrupt sequence %q: %w", name, err)
	}
	v++
	return v, txn.Put(seqKey(name), []byte(strconv.FormatInt(v, 10)))
}

// ResetSequence sets a sequence back to its start (TRUNCATE ... RESTART
// IDENTITY).
func ResetSequence(txn kv.Txn, name string) error {
	return txn.Put(seqKey(name), []byte("0"))
}
