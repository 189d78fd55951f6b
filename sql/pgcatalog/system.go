package pgcatalog

import (
	"github.com/lineradb/lineradb/sql/exec"
	"github.com/lineradb/lineradb/sql/types"
)

func init() {
	define(schemaCatalog, "pg_namespace", `oid oid, nspname name, nspowner oid, nspacl text`, namespaceRows)
	define(schemaCatalog, "pg_type", `oid oid, typname name, typnamespace oid, typowner oid, typlen int2,
		typbyval bool, typtype text, typcategory text, typispreferred bool, typisdefined bool,
		typdelim text, typrelid oid, typsubscript text, typelem oid, typarray oid, typinput text,
		typoutput text, typreceive text, typsend text, typmodin text, typmodout text, typanalyze text,
		typalign text, typstorage text, typnotnull bool, typbasetype oid, typtypmod int4, typndims int4,
		typcollation oid, typdefaultbin text, typdefault text, typacl text`, typeRows)
	define(schemaCatalog, "pg_am", `oid oid, amname name, amhandler text, amtype text`, amRows)
	define(schemaCatalog, "pg_database", `oid oid, datname name, datdba oid, encoding int4,
		datlocprovider text, datistemplate bool, datallowconn bool, datconnlimit int4, datfrozenxid int8,
		datminmxid int8, dattablespace oid, datcollate text, datctype text, daticulocale text,
		datcollversion text, datacl text`, databaseRows)
	define(schemaCatalog, "pg_roles", `rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool,
		rolcreatedb bool, rolcanlogin bool, rolreplication bool, rolconnlimit int4, rolpassword text,
		rolvaliduntil timestamptz, rolbypassrls bool, rolconfig text, oid oid`, rolesRows)
	define(schemaCatalog, "pg_authid", `oid oid, rolname name, rolsuper bool, rolinherit bool,
		rolcreaterole bool, rolcreatedb bool, rolcanlogin bool, rolreplication bool, rolbypassrls bool,
		rolconnlimit int4, rolpassword text, rolvaliduntil timestamptz`, authidRows)
	define(schemaCatalog, "pg_user", `usename name, usesysid oid, usecreatedb bool, usesuper bool,
		userepl bool, usebypassrls bool, passwd text, valuntil timestamptz, useconfig text`, userRows)
	define(schemaCatalog, "pg_auth_members", `roleid oid, member oid, grantor oid, admin_option bool`, empty)
	define(schemaCatalog, "pg_tablespace", `oid oid, spcname name, spcowner oid, spcacl text, spcoptions text`,
		tablespaceRows)
	define(schemaCatalog, "pg_collation", `oid oid, collname name, collnamespace oid, collowner oid,
		collprovider text, collisdeterministic bool, collencoding int4, collcollate text, collctype text,
		colliculocale text, collversion text`, collationRows)
	define(schemaCatalog, "pg_description", `objoid oid, classoid oid, objsubid int4, description text`, empty)
	define(schemaCatalog, "pg_shdescription", `objoid oid, classoid oid, description text`, empty)
	define(schemaCatalog, "pg_inherits", `inhrelid oid, inhparent oid, inhseqno int4, inhdetachpending bool`, empty)
	define(schemaCatalog, "pg_policy", `oid oid, polname name, polrelid oid, polcmd text, polpermissive bool,
		polroles text, polqual text, polwithcheck text`, empty)
	define(schemaCatalog, "pg_statistic_ext", `oid oid, stxrelid oid, stxname name, stxnamespace oid,
		stxowner oid, stxstattarget int4, stxkeys text, stxkind text, stxexprs text`, empty)
	define(schemaCatalog, "pg_publication", `oid oid, pubname name, pubowner oid, puballtables bool,
		pubinsert bool, pubupdate bool, pubdelete bool, pubtruncate bool, pubviaroot bool`, empty)
	define(schemaCatalog, "pg_publication_rel", `oid oid, prpubid oid, prrelid oid, prqual text, prattrs text`, empty)
	define(schemaCatalog, "pg_publication_namespace", `oid oid, pnpubid oid, pnnspid oid`, empty)
	define(schemaCatalog, "pg_range", `rngtypid oid, rngsubtype oid, rngmultitypid oid, rngcollation oid,
		rngsubopc oid, rngcanonical text, rngsubdiff text`, empty)
	define(schemaCatalog, "pg_enum", `oid oid, enumtypid oid, enumsortorder float4, enumlabel name`, empty)
	define(schemaCatalog, "pg_trigger", `oid oid, tgrelid oid, tgparentid oid, tgname name, tgfoid oid,
		tgtype int2, tgenabled text, tgisinternal bool`, empty)
	define(schemaCatalog, "pg_rewrite", `oid oid, rulename name, ev_class oid, ev_type text, ev_enabled text,
		is_instead bool`, empty)
	define(schemaCatalog, "pg_extension", `oid oid, extname name, extowner oid, extnamespace oid,
		extrelocatable bool, extversion text`, empty)
	define(schemaCatalog, "pg_foreign_table", `ftrelid oid, ftserver oid, ftoptions text`, empty)
	define(schemaCatalog, "pg_partitioned_table", `partrelid oid, partstrat text, partnatts int2,
		partdefid oid`, empty)
}

func namespaceRows(*exec.Ctx) ([]types.Row, error) {
	return []types.Row{
		{dOID(oidNamespaceCatalog), dStr("pg_catalog"), dOID(oidBootstrapRole), null},
		{dOID(oidNamespacePublic), dStr("public"), dOID(oidDatabaseOwner), null},
		{dOID(oidNamespaceInfo), dStr("information_schema"), dOID(oidBootstrapRole), null},
	}, nil
}

func typeRows(c *exec.Ctx) ([]types.Row, error) {
	var out []types.Row
	for i := range builtinTypes {
		ti := &builtinTypes[i]
		elem := uint32(0)
		if ti.oid == uint32(types.OIDName) {
			elem = 18 // name subscripts as "char"[], as in PostgreSQL
		}
		out = append(out, typeRow(ti, elem, 0, ","))
		if ti.array != 0 {
			a := arrayInfo(ti)
			out = append(out, typeRow(&a, ti.oid, 0, ","))
		}
	}
	s, err := load(c)
	if err != nil {
		return nil, err
	}
	for _, t := range s.tables {
		base := tableOID(t)
		row := typeInfo{oid: base + 1, name: t.Name, length: -1, typType: "c", category: "C",
			align: "d", storage: "x", array: base + 2, in: "record_in", out: "record_out"}
		arr := arrayInfo(&row)
		out = append(out, typeRow(&row, 0, base, ","), typeRow(&arr, row.oid, 0, ","))
	}
	return out, nil
}

func typeRow(ti *typeInfo, elem, relid uint32, delim string) types.Row {
	nsp := uint32(oidNamespaceCatalog)
	if ti.oid >= oidUserMin { // table row types and their arrays
		nsp = oidNamespacePublic
	}
	subscript := "-"
	if ti.category == "A" {
		subscript = "array_subscript_handler"
	}
	return types.Row{dOID(ti.oid), dStr(ti.name), dOID(nsp), dOID(oidBootstrapRole), dInt(int(ti.length)),
		dBool(ti.byVal), dStr(ti.typType), dStr(ti.category), dBool(ti.preferred), dBool(true),
		dStr(delim), dOID(relid), dStr(subscript), dOID(elem), dOID(ti.array), dStr(ti.in),
		dStr(ti.out), dStr("-"), dStr("-"), dStr("-"), dStr("-"), dStr("-"),
		dStr(ti.align), dStr(ti.storage), dBool(false), dOID(0), dInt(-1), dInt(0),
		dOID(ti.collation), null, null, null}
}

func amRows(*exec.Ctx) ([]types.Row, error) {
	return []types.Row{
		{dOID(oidAmHeap), dStr("heap"), dStr("heap_tableam_handler"), dStr("t")},
		{dOID(oidAmBtree), dStr("btree"), dStr("bthandler"), dStr("i")},
	}, nil
}

func databaseRows(c *exec.Ctx) ([]types.Row, error) {
	name := c.Database
	if name == "" {
		name = "lineradb"
	}
	return []types.Row{{dOID(oidDatabase), dStr(name), dOID(oidBootstrapRole), dInt(encodingUTF8),
		dStr("c"), dBool(false), dBool(true), dInt(-1), dInt(0),
		dInt(1), dOID(oidTablespace), dStr("C"), dStr("C"), null,
		null, null}}, nil
}

func rolesRows(c *exec.Ctx) ([]types.Row, error) {
	var out []types.Row
	for _, r := range roles(c) {
		out = append(out, types.Row{dStr(r.Name), dBool(r.Superuser), dBool(r.Inherit), dBool(r.CreateRole),
			dBool(r.CreateDB), dBool(r.CanLogin), dBool(r.Replication), dInt(r.ConnLimit), dStr("********"),
			null, dBool(r.BypassRLS), null, dOID(r.OID)})
	}
	return out, nil
}

func authidRows(c *exec.Ctx) ([]types.Row, error) {
	var out []types.Row
	for _, r := range roles(c) {
		out = append(out, types.Row{dOID(r.OID), dStr(r.Name), dBool(r.Superuser), dBool(r.Inherit),
			dBool(r.CreateRole), dBool(r.CreateDB), dBool(r.CanLogin), dBool(r.Replication), dBool(r.BypassRLS),
			dInt(r.ConnLimit), dStrOrNull(r.Password), null})
	}
	return out, nil
}

func userRows(c *exec.Ctx) ([]types.Row, error) {
	var out []types.Row
	for _, r := range roles(c) {
		if r.CanLogin {
			out = append(out, types.Row{dStr(r.Name), dOID(r.OID), dBool(r.CreateDB), dBool(r.Superuser),
				dBool(r.Replication), dBool(r.BypassRLS), dStr("********"), null, null})
		}
	}
	return out, nil
}

func tablespaceRows(*exec.Ctx) ([]types.Row, error) {
	return []types.Row{
		{dOID(oidTablespace), dStr("pg_default"), dOID(oidBootstrapRole), null, null},
		{dOID(oidTablespaceGlobal), dStr("pg_global"), dOID(oidBootstrapRole), null, null},
	}, nil
}

func collationRows(*exec.Ctx) ([]types.Row, error) {
	row := func(oid uint32, name, provider string, enc int, locale types.Datum) types.Row {
		return types.Row{dOID(oid), dStr(name), dOID(oidNamespaceCatalog), dOID(oidBootstrapRole),
			dStr(provider), dBool(true), dInt(enc), locale, locale, null, null}
	}
	return []types.Row{
		row(oidCollDefault, "default", "d", -1, null),
		row(oidCollC, "C", "c", -1, dStr("C")),
		row(oidCollPOSIX, "POSIX", "c", -1, dStr("POSIX")),
	}, nil
}
