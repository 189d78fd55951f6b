package pgcatalog

import (
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Rewrite turns the catalog queries clients send (psql's \d family, pgx's
// type loading) into the SQL subset the executor implements. It is called
// on a query string before parsing and returns it unchanged when nothing
// applies (or when it does not parse: the real parser reports that).
//
// Rewrites, each preserving the query's meaning on LineraDB's catalog:
//
//  1. Unqualified pg_catalog relations (pg_type) get their schema, as
//     PostgreSQL searches pg_catalog first; CTE names are left alone.
//  2. COLLATE "default"/"C"/"POSIX" is dropped: LineraDB compares text
//     bytewise, which is what those collations mean here.
//  3. The regex operators ~, !~, ~*, !~* become textregexeq & co.
//  4. Casts to regclass, regtype, regnamespace, regrole and regproc
//     become lineradb_<type>_in(text) → oid or lineradb_<type>_out(oid) →
//     text calls; nextval('s'::regclass) keeps its text argument.
//  5. ARRAY(subquery) becomes a scalar subquery building the array's text
//     form ({a,b}) with string_agg.
//  6. A SELECT that inner-joins a catalog LineraDB never fills (policies,
//     publications, inheritance, ...) and computes no aggregate is empty:
//     it is replaced by an empty SELECT with the same column names.
func Rewrite(query string) string {
	if !mayNeedRewrite(query) {
		return query
	}
	tree, err := pg.Parse(query)
	if err != nil {
		return query
	}
	rw := &rewriter{ctes: map[string]bool{}}
	for _, st := range tree.Stmts {
		collectCTEs(st.ProtoReflect(), rw.ctes)
	}
	for _, st := range tree.Stmts {
		rw.walk(st.ProtoReflect())
	}
	if !rw.changed {
		return query
	}
	out, err := pg.Deparse(tree)
	if err != nil {
		return query
	}
	return out
}

// mayNeedRewrite is a cheap filter that keeps ordinary statements (say,
// pgbench's, whose tables start with pg) off the second parse: it looks
// for a ~ or a word that names a catalog table, a reg type, COLLATE or
// ARRAY, without allocating.
func mayNeedRewrite(q string) bool {
	start := -1
	for i := 0; i <= len(q); i++ {
		var c byte
		if i < len(q) {
			c = q[i]
		}
		if c == '~' {
			return true
		}
		word := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			if triggerWord(q[start:i]) {
				return true
			}
			start = -1
		}
	}
	return false
}

// triggerWordLenMax is the longest word triggerWord can match.
const triggerWordLenMax = 32

func triggerWord(w string) bool {
	if len(w) > triggerWordLenMax {
		return false
	}
	var buf [triggerWordLenMax]byte
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	l := string(buf[:len(w)]) // the compiler does not allocate for a map key
	return triggerWords[l] || isCatalogTable(l)
}

var triggerWords = map[string]bool{"collate": true, "array": true, "regclass": true, "regtype": true,
	"regnamespace": true, "regrole": true, "regproc": true, "regprocedure": true}

type rewriter struct {
	ctes    map[string]bool
	changed bool
}

func collectCTEs(m protoreflect.Message, out map[string]bool) {
	if c, ok := m.Interface().(*pg.CommonTableExpr); ok {
		out[c.Ctename] = true
	}
	eachChild(m, func(c protoreflect.Message) { collectCTEs(c, out) })
}

func eachChild(m protoreflect.Message, f func(protoreflect.Message)) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap() || fd.Message() == nil:
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				f(l.Get(i).Message())
			}
		default:
			f(v.Message())
		}
		return true
	})
}

// walk rewrites top-down: a node is rewritten before its children are
// visited, so the children of a replacement are rewritten too.
func (rw *rewriter) walk(m protoreflect.Message) {
	switch x := m.Interface().(type) {
	case *pg.Node:
		rw.node(x)
	case *pg.RangeVar:
		rw.rangeVar(x)
	case *pg.SelectStmt:
		rw.selectStmt(x)
	case *pg.ResTarget:
		rw.resTarget(x)
		return
	}
	eachChild(m, rw.walk)
}

// resTarget rewrites a target and, if that changed it, names it as
// PostgreSQL would have named the original expression, so that result
// column names survive the rewrite.
func (rw *rewriter) resTarget(t *pg.ResTarget) {
	before := rw.changed
	rw.changed = false
	name, _ := figureColname(t.Val)
	eachChild(t.ProtoReflect(), rw.walk)
	if rw.changed && t.Name == "" && t.Val != nil {
		t.Name = name
	}
	rw.changed = rw.changed || before
}

// figureColname is PostgreSQL's FigureColnameInternal: an output column's
// default name and the strength of that choice (0 none, 1 from a type or
// keyword, 2 from a column or function name).
func figureColname(n *pg.Node) (string, int) {
	if n == nil {
		return "?column?", 0
	}
	switch x := n.Node.(type) {
	case *pg.Node_ColumnRef:
		if s := lastName(x.ColumnRef.Fields); s != "" {
			return s, 2
		}
	case *pg.Node_FuncCall:
		return lastName(x.FuncCall.Funcname), 2
	case *pg.Node_AExpr:
		if x.AExpr.Kind == pg.A_Expr_Kind_AEXPR_NULLIF {
			return "nullif", 2
		}
	case *pg.Node_TypeCast:
		if name, strength := figureColname(x.TypeCast.Arg); strength > 1 {
			return name, strength
		}
		return lastName(x.TypeCast.TypeName.Names), 1
	case *pg.Node_CollateClause:
		return figureColname(x.CollateClause.Arg)
	case *pg.Node_CaseExpr:
		if name, strength := figureColname(x.CaseExpr.Defresult); strength > 1 {
			return name, strength
		}
		return "case", 1
	case *pg.Node_SubLink:
		switch x.SubLink.SubLinkType {
		case pg.SubLinkType_EXISTS_SUBLINK:
			return "exists", 2
		case pg.SubLinkType_ARRAY_SUBLINK:
			return "array", 2
		case pg.SubLinkType_EXPR_SUBLINK:
			if s := x.SubLink.Subselect.GetSelectStmt(); s != nil && len(s.TargetList) > 0 {
				if t := s.TargetList[0].GetResTarget(); t != nil && t.Name != "" {
					return t.Name, 2
				}
				return figureColname(s.TargetList[0].GetResTarget().Val)
			}
		}
	case *pg.Node_AArrayExpr:
		return "array", 2
	case *pg.Node_CoalesceExpr:
		return "coalesce", 2
	}
	return "?column?", 0
}

func (rw *rewriter) rangeVar(r *pg.RangeVar) {
	if r.Schemaname == "" && r.Catalogname == "" && !rw.ctes[r.Relname] && isCatalogTable(r.Relname) {
		r.Schemaname = schemaCatalog
		rw.changed = true
	}
}

func lastName(ns []*pg.Node) string {
	if len(ns) == 0 {
		return ""
	}
	return ns[len(ns)-1].GetString_().GetSval()
}

var regexFuncs = map[string]string{"~": "textregexeq", "!~": "textregexne", "~*": "texticregexeq", "!~*": "texticregexne"}

func (rw *rewriter) node(n *pg.Node) {
	switch x := n.Node.(type) {
	case *pg.Node_CollateClause:
		switch lastName(x.CollateClause.Collname) {
		case "default", "C", "POSIX":
			n.Node = x.CollateClause.Arg.Node
			rw.changed = true
			rw.node(n)
		}
	case *pg.Node_AExpr:
		a := x.AExpr
		if f, ok := regexFuncs[lastName(a.Name)]; ok && a.Kind == pg.A_Expr_Kind_AEXPR_OP && a.Lexpr != nil {
			n.Node = funcCall(f, a.Lexpr, a.Rexpr).Node
			rw.changed = true
		}
	case *pg.Node_FuncCall:
		switch lastName(x.FuncCall.Funcname) {
		case "nextval", "currval", "setval":
			if len(x.FuncCall.Args) > 0 {
				if tc := x.FuncCall.Args[0].GetTypeCast(); tc != nil && lastName(tc.TypeName.Names) == "regclass" {
					x.FuncCall.Args[0] = tc.Arg
					rw.changed = true
				}
			}
		}
	case *pg.Node_TypeCast:
		rw.typeCast(n, x.TypeCast)
	case *pg.Node_SubLink:
		if x.SubLink.SubLinkType == pg.SubLinkType_ARRAY_SUBLINK {
			n.Node = arrayAsText(x.SubLink.Subselect).Node
			rw.changed = true
		}
	}
}

func regCast(n *pg.Node) (string, *pg.TypeCast) {
	tc := n.GetTypeCast()
	if tc == nil || len(tc.TypeName.ArrayBounds) > 0 {
		return "", nil
	}
	name := lastName(tc.TypeName.Names)
	if _, ok := regTypes[name]; !ok {
		return "", nil
	}
	return name, tc
}

// textish reports whether n is surely a name rather than an OID: a string
// literal, a parameter, or a cast to a string type.
func textish(n *pg.Node) bool {
	switch x := n.Node.(type) {
	case *pg.Node_AConst:
		_, ok := x.AConst.Val.(*pg.A_Const_Sval)
		return ok
	case *pg.Node_ParamRef:
		return true
	case *pg.Node_TypeCast:
		switch lastName(x.TypeCast.TypeName.Names) {
		case "text", "varchar", "name", "bpchar":
			return true
		}
	}
	return false
}

func (rw *rewriter) typeCast(n *pg.Node, tc *pg.TypeCast) {
	switch lastName(tc.TypeName.Names) {
	case "oid", "int4", "int8":
		// X::regtype::oid: the OID of the name X, or X itself if it is
		// an OID already.
		if reg, inner := regCast(tc.Arg); inner != nil {
			if textish(inner.Arg) {
				tc.Arg = funcCall(regFuncPrefix+reg+"_in", inner.Arg)
			} else {
				tc.Arg = inner.Arg
			}
			rw.changed = true
		}
		return
	}
	reg, _ := regCast(n)
	if reg == "" {
		return
	}
	dir := "_out"
	if textish(tc.Arg) {
		dir = "_in"
	}
	n.Node = funcCall(regFuncPrefix+reg+dir, tc.Arg).Node
	rw.changed = true
}

func funcCall(name string, args ...*pg.Node) *pg.Node {
	return pg.MakeFuncCallNode([]*pg.Node{pg.MakeStrNode(schemaCatalog), pg.MakeStrNode(name)}, args, -1)
}

// arrayTemplate is the scalar subquery ARRAY(sub) becomes; the derived
// table's subquery is replaced by sub.
const arrayTemplate = `SELECT (SELECT '{' || COALESCE(string_agg(lineradb_elem::text, ','), '') || '}'
	FROM (SELECT 1) AS lineradb_array(lineradb_elem))`

func arrayAsText(sub *pg.Node) *pg.Node {
	tree, err := pg.Parse(arrayTemplate)
	if err != nil {
		panic("pgcatalog: array template does not parse: " + err.Error())
	}
	outer := tree.Stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val
	inner := outer.GetSubLink().Subselect.GetSelectStmt()
	inner.FromClause[0].GetRangeSubselect().Subquery = sub
	return outer
}

// alwaysEmpty are the catalogs LineraDB never fills.
var alwaysEmpty = map[string]bool{
	"pg_policy": true, "pg_statistic_ext": true, "pg_publication": true, "pg_publication_rel": true,
	"pg_publication_namespace": true, "pg_inherits": true, "pg_auth_members": true,
	"pg_trigger": true, "pg_rewrite": true, "pg_range": true, "pg_enum": true,
	"pg_foreign_table": true, "pg_partitioned_table": true, "pg_description": true, "pg_shdescription": true,
}

var aggregates = map[string]bool{"count": true, "sum": true, "avg": true, "min": true, "max": true,
	"bool_and": true, "bool_or": true, "every": true, "string_agg": true, "array_agg": true,
	"json_agg": true, "jsonb_agg": true}

func (rw *rewriter) selectStmt(s *pg.SelectStmt) {
	if s.Op != pg.SetOperation_SETOP_NONE || len(s.FromClause) == 0 || len(s.GroupClause) > 0 ||
		s.HavingClause != nil || hasAggregate(s) {
		return
	}
	empty := false
	for _, f := range s.FromClause {
		empty = empty || rw.emptySide(f)
	}
	if !empty {
		return
	}
	targets := make([]*pg.Node, len(s.TargetList))
	for i, t := range s.TargetList {
		null := &pg.Node{Node: &pg.Node_AConst{AConst: &pg.A_Const{Isnull: true, Location: -1}}}
		targets[i] = pg.MakeResTargetNodeWithNameAndVal(targetName(t.GetResTarget()), null, -1)
	}
	// Field by field: a protobuf message must not be copied whole.
	s.TargetList, s.FromClause, s.SortClause, s.DistinctClause = targets, nil, nil, nil
	s.LimitCount, s.LimitOffset, s.WithClause, s.WindowClause = nil, nil, nil, nil
	s.WhereClause = &pg.Node{Node: &pg.Node_AConst{AConst: &pg.A_Const{
		Val: &pg.A_Const_Boolval{Boolval: &pg.Boolean{Boolval: false}}, Location: -1}}}
	rw.changed = true
}

// emptySide reports whether FROM item n produces no rows whatever the
// rest of the query: an always-empty catalog on a non-nullable side.
func (rw *rewriter) emptySide(n *pg.Node) bool {
	switch x := n.Node.(type) {
	case *pg.Node_RangeVar:
		r := x.RangeVar
		return (r.Schemaname == "" || r.Schemaname == schemaCatalog) && !rw.ctes[r.Relname] && alwaysEmpty[r.Relname]
	case *pg.Node_JoinExpr:
		j := x.JoinExpr
		l, r := rw.emptySide(j.Larg), rw.emptySide(j.Rarg)
		switch j.Jointype {
		case pg.JoinType_JOIN_INNER:
			return l || r
		case pg.JoinType_JOIN_LEFT:
			return l
		case pg.JoinType_JOIN_RIGHT:
			return r
		case pg.JoinType_JOIN_FULL:
			return l && r
		}
	}
	return false
}

func hasAggregate(s *pg.SelectStmt) bool {
	found := false
	var visit func(m protoreflect.Message)
	visit = func(m protoreflect.Message) {
		switch x := m.Interface().(type) {
		case *pg.FuncCall:
			found = found || aggregates[lastName(x.Funcname)]
		case *pg.SubLink:
			return // aggregates of subqueries do not aggregate this level
		}
		eachChild(m, visit)
	}
	for _, t := range s.TargetList {
		visit(t.ProtoReflect())
	}
	return found
}

// targetName is the output column name PostgreSQL would give a target.
func targetName(t *pg.ResTarget) string {
	if t == nil {
		return "?column?"
	}
	if t.Name != "" {
		return t.Name
	}
	switch x := t.Val.Node.(type) {
	case *pg.Node_ColumnRef:
		if s := lastName(x.ColumnRef.Fields); s != "" {
			return s
		}
	case *pg.Node_FuncCall:
		return lastName(x.FuncCall.Funcname)
	}
	return "?column?"
}
