package pgcatalog

import (
	"strings"

	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/types"
)

// settingNames are the session settings pg_settings lists, sorted; values
// come from the session (Ctx.Setting), so SET is reflected.
var settingNames = []string{
	"application_name", "client_encoding", "client_min_messages", "datestyle",
	"default_transaction_isolation", "default_transaction_read_only", "extra_float_digits",
	"idle_in_transaction_session_timeout", "integer_datetimes", "intervalstyle", "is_superuser",
	"lock_timeout", "max_identifier_length", "search_path", "server_encoding", "server_version",
	"standard_conforming_strings", "statement_timeout", "timezone", "transaction_isolation",
	"transaction_read_only",
}

func init() {
	define(schemaCatalog, "pg_settings", `name text, setting text, unit text, category text,
		short_desc text, extra_desc text, context text, vartype text, source text, min_val text,
		max_val text, enumvals text, boot_val text, reset_val text, sourcefile text, sourceline int4,
		pending_restart bool`, settingsRows)
	define(schemaCatalog, "pg_proc", `oid oid, proname name, pronamespace oid, proowner oid, prolang oid,
		prokind text, proretset bool, prorettype oid, pronargs int2, proargtypes text`, procRows)
	define(schemaInfo, "schemata", `catalog_name name, schema_name name, schema_owner name,
		default_character_set_catalog name, default_character_set_schema name,
		default_character_set_name name, sql_path text`, schemataRows)
	define(schemaInfo, "tables", `table_catalog name, table_schema name, table_name name,
		table_type varchar, self_referencing_column_name name, reference_generation varchar,
		user_defined_type_catalog name, user_defined_type_schema name, user_defined_type_name name,
		is_insertable_into varchar, is_typed varchar, commit_action varchar`, infoTablesRows)
	define(schemaInfo, "columns", `table_catalog name, table_schema name, table_name name,
		column_name name, ordinal_position int4, column_default varchar, is_nullable varchar,
		data_type varchar, character_maximum_length int4, character_octet_length int4,
		numeric_precision int4, numeric_precision_radix int4, numeric_scale int4,
		datetime_precision int4, interval_type varchar, interval_precision int4,
		collation_catalog name, collation_schema name, collation_name name,
		domain_catalog name, domain_schema name, domain_name name, udt_catalog name, udt_schema name,
		udt_name name, dtd_identifier name, is_self_referencing varchar, is_identity varchar,
		identity_generation varchar, is_generated varchar, generation_expression varchar,
		is_updatable varchar`, infoColumnsRows)
}

func settingsRows(c *exec.Ctx) ([]types.Row, error) {
	var out []types.Row
	for _, n := range settingNames {
		if c.Setting == nil {
			break
		}
		v, ok := c.Setting(n)
		if !ok {
			continue
		}
		out = append(out, types.Row{dStr(n), dStr(v), null, dStr("Client Connection Defaults"),
			dStr(""), null, dStr("user"), dStr("string"), dStr("default"), null,
			null, null, dStr(v), dStr(v), null, null,
			dBool(false)})
	}
	return out, nil
}

func procRows(*exec.Ctx) ([]types.Row, error) {
	var out []types.Row
	for i, f := range procs {
		out = append(out, types.Row{dOID(procOIDFirst + uint32(i)), dStr(f.name), dOID(oidNamespaceCatalog),
			dOID(oidBootstrapRole), dOID(12), dStr("f"), dBool(false), dOID(uint32(f.ret.OID)), dInt(f.nargs),
			dStr(f.argTypes)})
	}
	return out, nil
}

func databaseName(c *exec.Ctx) string {
	if c.Database == "" {
		return "lineradb"
	}
	return c.Database
}

func schemataRows(c *exec.Ctx) ([]types.Row, error) {
	var out []types.Row
	ns, _ := namespaceRows(c)
	for _, n := range ns {
		owner, _ := roleName(c, uint32(n[2].(types.DInt)))
		out = append(out, types.Row{dStr(databaseName(c)), n[1], dStr(owner), null, null, null, null})
	}
	return out, nil
}

func infoTablesRows(c *exec.Ctx) ([]types.Row, error) {
	s, err := load(c)
	if err != nil {
		return nil, err
	}
	var out []types.Row
	for _, t := range s.tables {
		out = append(out, types.Row{dStr(databaseName(c)), dStr("public"), dStr(t.Name),
			dStr("BASE TABLE"), null, null, null, null, null, dStr("YES"), dStr("NO"), null})
	}
	return out, nil
}

func infoColumnsRows(c *exec.Ctx) ([]types.Row, error) {
	s, err := load(c)
	if err != nil {
		return nil, err
	}
	var out []types.Row
	for _, t := range s.tables {
		for _, col := range visibleColumns(t) {
			out = append(out, infoColumnRow(c, t.Name, col.Name, int(col.ID), col.Type, col.NotNull, col.Default))
		}
	}
	return out, nil
}

func infoColumnRow(c *exec.Ctx, table, name string, pos int, t types.T, notNull bool, def string) types.Row {
	nullable := "YES"
	if notNull {
		nullable = "NO"
	}
	dataType := t.String()
	if i := strings.IndexByte(dataType, '('); i > 0 {
		dataType = dataType[:i]
	}
	charMax, octetMax := null, null
	if n := t.CharLen(); n >= 0 && (t.OID == types.OIDVarchar || t.OID == types.OIDBpchar) {
		charMax, octetMax = dInt(n), dInt(n*4)
	} else if t.Family() == types.FamString && t.OID != types.OIDName {
		octetMax = dInt(1 << 30)
	}
	prec, radix, scale := numericShape(t)
	dtPrec := null
	switch t.Family() {
	case types.FamDate:
		dtPrec = dInt(0)
	case types.FamTimestamp, types.FamTimestampTZ, types.FamInterval:
		dtPrec = dInt(6)
	}
	db := dStr(databaseName(c))
	return types.Row{db, dStr("public"), dStr(table),
		dStr(name), dInt(pos), dStrOrNull(def), dStr(nullable),
		dStr(dataType), charMax, octetMax,
		prec, radix, scale,
		dtPrec, null, null,
		null, null, null,
		null, null, null, db, dStr("pg_catalog"),
		dStr(t.TypName()), dStr(itoa(pos)), dStr("NO"), dStr("NO"),
		null, dStr("NEVER"), null,
		dStr("YES")}
}

// numericShape is information_schema's numeric_precision, _radix and
// _scale for t.
func numericShape(t types.T) (types.Datum, types.Datum, types.Datum) {
	switch t.OID {
	case types.OIDInt2:
		return dInt(16), dInt(2), dInt(0)
	case types.OIDInt4:
		return dInt(32), dInt(2), dInt(0)
	case types.OIDInt8:
		return dInt(64), dInt(2), dInt(0)
	case types.OIDFloat4:
		return dInt(24), dInt(2), null
	case types.OIDFloat8:
		return dInt(53), dInt(2), null
	case types.OIDNumeric:
		p, s := t.NumericPrecScale()
		if p < 0 {
			return null, dInt(10), null
		}
		return dInt(p), dInt(10), dInt(s)
	}
	return null, null, null
}
