package pgcatalog

import (
	"strconv"
	"strings"

	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/types"
)

func init() {
	define(schemaCatalog, "pg_class", `oid oid, relname name, relnamespace oid, reltype oid, reloftype oid,
		relowner oid, relam oid, relfilenode oid, reltablespace oid, relpages int4, reltuples float4,
		relallvisible int4, reltoastrelid oid, relhasindex bool, relisshared bool, relpersistence text,
		relkind text, relnatts int2, relchecks int2, relhasrules bool, relhastriggers bool,
		relhassubclass bool, relrowsecurity bool, relforcerowsecurity bool, relispopulated bool,
		relreplident text, relispartition bool, relrewrite oid, relfrozenxid int8, relminmxid int8,
		relacl text, reloptions text, relpartbound text`, classRows)
	define(schemaCatalog, "pg_attribute", `attrelid oid, attname name, atttypid oid, attstattarget int4,
		attlen int2, attnum int2, attndims int4, attcacheoff int4, atttypmod int4, attbyval bool,
		attalign text, attstorage text, attcompression text, attnotnull bool, atthasdef bool,
		atthasmissing bool, attidentity text, attgenerated text, attisdropped bool, attislocal bool,
		attinhcount int4, attcollation oid, attacl text, attoptions text, attfdwoptions text,
		attmissingval text`, attributeRows)
	define(schemaCatalog, "pg_index", `indexrelid oid, indrelid oid, indnatts int2, indnkeyatts int2,
		indisunique bool, indnullsnotdistinct bool, indisprimary bool, indisexclusion bool,
		indimmediate bool, indisclustered bool, indisvalid bool, indcheckxmin bool, indisready bool,
		indislive bool, indisreplident bool, indkey text, indcollation text, indclass text,
		indoption text, indexprs text, indpred text`, indexRows)
	define(schemaCatalog, "pg_constraint", `oid oid, conname name, connamespace oid, contype text,
		condeferrable bool, condeferred bool, convalidated bool, conrelid oid, contypid oid,
		conindid oid, conparentid oid, confrelid oid, confupdtype text, confdeltype text,
		confmatchtype text, conislocal bool, coninhcount int4, connoinherit bool, conkey text,
		confkey text, conpfeqop text, conppeqop text, conffeqop text, confdelsetcols text,
		conexclop text, conbin text`, constraintRows)
	define(schemaCatalog, "pg_attrdef", `oid oid, adrelid oid, adnum int2, adbin text`, attrdefRows)
	define(schemaCatalog, "pg_sequence", `seqrelid oid, seqtypid oid, seqstart int8, seqincrement int8,
		seqmax int8, seqmin int8, seqcache int8, seqcycle bool`, sequenceRows)
}

func classRows(c *exec.Ctx) ([]types.Row, error) {
	s, err := load(c)
	if err != nil {
		return nil, err
	}
	out := make([]types.Row, 0, len(s.rels))
	for i := range s.rels {
		out = append(out, classRow(&s.rels[i]))
	}
	return out, nil
}

func classRow(r *rel) types.Row {
	t := r.table
	var relType, am uint32
	natts, checks, replident, hasIndex := 0, 0, "n", false
	switch r.kind {
	case "r":
		relType, am, replident = tableOID(t)+1, oidAmHeap, "d"
		natts, checks, hasIndex = len(visibleColumns(t)), len(t.Checks), len(indexes(t)) > 0
	case "i":
		am, natts = oidAmBtree, len(r.index.Columns)
	case "S":
		natts = 3
	}
	return types.Row{dOID(r.oid), dStr(r.name), dOID(oidNamespacePublic), dOID(relType), dOID(0),
		dOID(oidBootstrapRole), dOID(am), dOID(r.oid), dOID(0), dInt(0), types.DFloat(-1),
		dInt(0), dOID(0), dBool(hasIndex), dBool(false), dStr("p"),
		dStr(r.kind), dInt(natts), dInt(checks), dBool(false), dBool(false),
		dBool(false), dBool(false), dBool(false), dBool(true),
		dStr(replident), dBool(false), dOID(0), dInt(0), dInt(0),
		null, null, null}
}

func attributeRows(c *exec.Ctx) ([]types.Row, error) {
	s, err := load(c)
	if err != nil {
		return nil, err
	}
	var out []types.Row
	for i := range s.rels {
		r := &s.rels[i]
		switch r.kind {
		case "r":
			for _, col := range visibleColumns(r.table) {
				out = append(out, attributeRow(r.oid, col.Name, col.Type, int(col.ID), col.NotNull, col.Default != ""))
			}
		case "i":
			for k, id := range r.index.Columns {
				col := r.table.Columns[r.table.ColumnByID(id)]
				out = append(out, attributeRow(r.oid, col.Name, col.Type, k+1, false, false))
			}
		case "S":
			out = append(out, attributeRow(r.oid, "last_value", types.Int8, 1, true, false),
				attributeRow(r.oid, "log_cnt", types.Int8, 2, true, false),
				attributeRow(r.oid, "is_called", types.Bool, 3, true, false))
		}
	}
	return out, nil
}

func attributeRow(rel uint32, name string, t types.T, num int, notNull, hasDef bool) types.Row {
	ti := builtinType(uint32(t.OID))
	return types.Row{dOID(rel), dStr(name), dOID(uint32(t.OID)), dInt(-1),
		dInt(int(ti.length)), dInt(num), dInt(0), dInt(-1), dInt(int(t.Typmod)), dBool(ti.byVal),
		dStr(ti.align), dStr(ti.storage), dStr(""), dBool(notNull), dBool(hasDef),
		dBool(false), dStr(""), dStr(""), dBool(false), dBool(true),
		dInt(0), dOID(ti.collation), null, null, null,
		null}
}

func indexRows(c *exec.Ctx) ([]types.Row, error) {
	s, err := load(c)
	if err != nil {
		return nil, err
	}
	var out []types.Row
	for _, t := range s.tables {
		for _, ix := range indexes(t) {
			n := len(ix.Columns)
			keys, opts, colls, classes := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			for k, id := range ix.Columns {
				keys[k], opts[k], classes[k] = strconv.Itoa(int(id)), "0", "0"
				colls[k] = "0"
				if col := t.Columns[t.ColumnByID(id)]; builtinType(uint32(col.Type.OID)).collation != 0 {
					colls[k] = strconv.Itoa(oidCollDefault)
				}
				if k < len(ix.Desc) && ix.Desc[k] {
					opts[k] = "3" // INDOPTION_DESC | INDOPTION_NULLS_FIRST
				}
			}
			out = append(out, types.Row{dOID(indexOID(t, ix.ID)), dOID(tableOID(t)), dInt(n), dInt(n),
				dBool(ix.Unique), dBool(false), dBool(ix.ID == catalog.PrimaryIndexID), dBool(false),
				dBool(true), dBool(false), dBool(true), dBool(false), dBool(true),
				dBool(true), dBool(false), dStr(strings.Join(keys, " ")), dStr(strings.Join(colls, " ")), dStr(strings.Join(classes, " ")),
				dStr(strings.Join(opts, " ")), null, null})
		}
	}
	return out, nil
}

func constraintRows(c *exec.Ctx) ([]types.Row, error) {
	s, err := load(c)
	if err != nil {
		return nil, err
	}
	var out []types.Row
	for _, t := range s.tables {
		for _, ix := range indexes(t) {
			if !ix.Constraint {
				continue
			}
			typ := "u"
			if ix.ID == catalog.PrimaryIndexID {
				typ = "p"
			}
			keys := make([]string, len(ix.Columns))
			for k, id := range ix.Columns {
				keys[k] = strconv.Itoa(int(id))
			}
			out = append(out, constraintRow(t, conOID(t, ix.ID), ix.Name, typ, indexOID(t, ix.ID),
				"{"+strings.Join(keys, ",")+"}", null))
		}
		for k, ch := range t.Checks {
			out = append(out, constraintRow(t, checkOID(t, k), ch.Name, "c", 0, checkColumns(t, ch.Expr),
				dStr(prettyExpr(ch.Expr, t))))
		}
	}
	return out, nil
}

func constraintRow(t *catalog.Table, oid uint32, name, typ string, index uint32, conkey string, bin types.Datum) types.Row {
	return types.Row{dOID(oid), dStr(name), dOID(oidNamespacePublic), dStr(typ),
		dBool(false), dBool(false), dBool(true), dOID(tableOID(t)), dOID(0),
		dOID(index), dOID(0), dOID(0), dStr(" "), dStr(" "),
		dStr(" "), dBool(true), dInt(0), dBool(false), dStrOrNull(conkey),
		null, null, null, null, null,
		null, bin}
}

// checkColumns is conkey of a CHECK constraint: the IDs of the columns its
// expression mentions, in column order.
func checkColumns(t *catalog.Table, expr string) string {
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(expr, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		words[w] = true
	}
	var ids []string
	for _, col := range visibleColumns(t) {
		if words[col.Name] {
			ids = append(ids, strconv.Itoa(int(col.ID)))
		}
	}
	if len(ids) == 0 {
		return ""
	}
	return "{" + strings.Join(ids, ",") + "}"
}

func attrdefRows(c *exec.Ctx) ([]types.Row, error) {
	s, err := load(c)
	if err != nil {
		return nil, err
	}
	var out []types.Row
	for _, t := range s.tables {
		for _, col := range visibleColumns(t) {
			if col.Default != "" {
				out = append(out, types.Row{dOID(attrDefOID(t, col.ID)), dOID(tableOID(t)), dInt(int(col.ID)),
					dStr(prettyDefault(col.Default, col.Type))})
			}
		}
	}
	return out, nil
}

func sequenceRows(c *exec.Ctx) ([]types.Row, error) {
	s, err := load(c)
	if err != nil {
		return nil, err
	}
	var out []types.Row
	for _, r := range s.rels {
		if r.kind == "S" {
			out = append(out, types.Row{dOID(r.oid), dOID(uint32(types.OIDInt8)), dInt(1), dInt(1),
				types.DInt(1<<63 - 1), dInt(1), dInt(1), dBool(false)})
		}
	}
	return out, nil
}
