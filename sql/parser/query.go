package parser

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
)

func (t *translator) selectStmt(s *pg.SelectStmt) *ast.Select {
	t.enter()
	defer t.leave()
	if s.IntoClause != nil {
		unsupported("SELECT INTO")
	}
	if len(s.LockingClause) > 0 {
		unsupported("SELECT FOR UPDATE/SHARE")
	}
	if len(s.WindowClause) > 0 {
		unsupported("window functions")
	}
	if s.LimitOption == pg.LimitOption_LIMIT_OPTION_WITH_TIES {
		unsupported("FETCH ... WITH TIES")
	}
	out := &ast.Select{}
	if s.WithClause != nil {
		out.With = t.with(s.WithClause)
	}
	switch s.Op {
	case pg.SetOperation_SETOP_UNION, pg.SetOperation_SETOP_INTERSECT, pg.SetOperation_SETOP_EXCEPT:
		out.Op = map[pg.SetOperation]ast.SetOp{pg.SetOperation_SETOP_UNION: ast.SetUnion,
			pg.SetOperation_SETOP_INTERSECT: ast.SetIntersect, pg.SetOperation_SETOP_EXCEPT: ast.SetExcept}[s.Op]
		out.All = s.All
		out.Left = t.selectStmt(s.Larg)
		out.Right = t.selectStmt(s.Rarg)
	default:
		if len(s.ValuesLists) > 0 {
			for _, l := range s.ValuesLists {
				out.Values = append(out.Values, t.exprList(l.GetList().GetItems()))
			}
		} else {
			t.selectBlock(s, out)
		}
	}
	for _, sb := range s.SortClause {
		out.OrderBy = append(out.OrderBy, t.orderItem(sb.GetSortBy()))
	}
	out.Limit = t.optExpr(s.LimitCount)
	out.Offset = t.optExpr(s.LimitOffset)
	return out
}

func (t *translator) selectBlock(s *pg.SelectStmt, out *ast.Select) {
	if len(s.DistinctClause) > 0 {
		out.Distinct = true
		for _, d := range s.DistinctClause {
			if d != nil && d.GetNode() != nil {
				out.DistinctOn = append(out.DistinctOn, t.expr(d))
			}
		}
	}
	out.Targets = t.targets(s.TargetList)
	for _, f := range s.FromClause {
		out.From = append(out.From, t.tableExpr(f))
	}
	out.Where = t.optExpr(s.WhereClause)
	for _, g := range s.GroupClause {
		if g.GetGroupingSet() != nil {
			unsupported("GROUPING SETS, ROLLUP and CUBE")
		}
		out.GroupBy = append(out.GroupBy, t.expr(g))
	}
	if s.GroupDistinct {
		unsupported("GROUP BY DISTINCT")
	}
	out.Having = t.optExpr(s.HavingClause)
}

func (t *translator) with(w *pg.WithClause) []ast.CTE {
	var out []ast.CTE
	for _, c := range w.Ctes {
		cte := c.GetCommonTableExpr()
		if cte.SearchClause != nil || cte.CycleClause != nil {
			unsupported("SEARCH and CYCLE clauses")
		}
		q := cte.Ctequery.GetSelectStmt()
		if q == nil {
			unsupported("data-modifying statements in WITH")
		}
		out = append(out, ast.CTE{Name: cte.Ctename, Cols: strList(cte.Aliascolnames), Query: t.selectStmt(q),
			Recursive: w.Recursive})
	}
	return out
}

func (t *translator) targets(list []*pg.Node) []ast.Target {
	var out []ast.Target
	for _, n := range list {
		rt := n.GetResTarget()
		if rt == nil {
			continue
		}
		if len(rt.Indirection) > 0 {
			unsupported("assignment indirection")
		}
		out = append(out, ast.Target{Expr: t.expr(rt.Val), Alias: rt.Name, Pos: int(rt.Location)})
	}
	return out
}

func (t *translator) orderItem(sb *pg.SortBy) ast.OrderItem {
	if sb.SortbyDir == pg.SortByDir_SORTBY_USING {
		unsupported("ORDER BY ... USING")
	}
	o := ast.OrderItem{Expr: t.expr(sb.Node), Desc: sb.SortbyDir == pg.SortByDir_SORTBY_DESC}
	switch sb.SortbyNulls {
	case pg.SortByNulls_SORTBY_NULLS_FIRST:
		o.Nulls = ast.NullsFirst
	case pg.SortByNulls_SORTBY_NULLS_LAST:
		o.Nulls = ast.NullsLast
	}
	return o
}

func alias(a *pg.Alias) (string, []string) {
	if a == nil {
		return "", nil
	}
	return a.Aliasname, strList(a.Colnames)
}

func (t *translator) tableName(rv *pg.RangeVar) ast.TableName {
	if rv.Catalogname != "" {
		unsupported("cross-database references")
	}
	name, cols := alias(rv.Alias)
	return ast.TableName{Schema: rv.Schemaname, Name: rv.Relname, Alias: name, ColAliases: cols, Pos: int(rv.Location)}
}

func (t *translator) tableExpr(n *pg.Node) ast.TableExpr {
	t.enter()
	defer t.leave()
	switch {
	case n.GetRangeVar() != nil:
		tn := t.tableName(n.GetRangeVar())
		return &tn
	case n.GetRangeSubselect() != nil:
		rs := n.GetRangeSubselect()
		if rs.Lateral {
			unsupported("LATERAL")
		}
		q := rs.Subquery.GetSelectStmt()
		if q == nil {
			unsupported("this subquery in FROM")
		}
		a, cols := alias(rs.Alias)
		return &ast.Subquery{Select: t.selectStmt(q), Alias: a, ColAliases: cols}
	case n.GetRangeFunction() != nil:
		return t.rangeFunction(n.GetRangeFunction())
	case n.GetJoinExpr() != nil:
		return t.join(n.GetJoinExpr())
	}
	unsupported("FROM item %s", nodeName(n))
	return nil
}

func (t *translator) rangeFunction(rf *pg.RangeFunction) ast.TableExpr {
	if rf.Lateral || rf.Ordinality || rf.IsRowsfrom || len(rf.Functions) != 1 || len(rf.Coldeflist) > 0 {
		unsupported("this form of function in FROM")
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 {
		unsupported("this form of function in FROM")
	}
	f, ok := t.expr(items[0]).(*ast.Func)
	if !ok {
		unsupported("this form of function in FROM")
	}
	a, cols := alias(rf.Alias)
	return &ast.FuncTable{Func: f, Alias: a, ColAliases: cols}
}

func (t *translator) join(j *pg.JoinExpr) ast.TableExpr {
	out := &ast.Join{Left: t.tableExpr(j.Larg), Right: t.tableExpr(j.Rarg), Natural: j.IsNatural}
	switch j.Jointype {
	case pg.JoinType_JOIN_INNER:
		out.Kind = ast.JoinInner
		if j.Quals == nil && len(j.UsingClause) == 0 && !j.IsNatural {
			out.Kind = ast.JoinCross
		}
	case pg.JoinType_JOIN_LEFT:
		out.Kind = ast.JoinLeft
	case pg.JoinType_JOIN_RIGHT:
		out.Kind = ast.JoinRight
	case pg.JoinType_JOIN_FULL:
		out.Kind = ast.JoinFull
	default:
		unsupported("join type %s", j.Jointype)
	}
	out.On = t.optExpr(j.Quals)
	out.Using = strList(j.UsingClause)
	if j.Alias != nil {
		unsupported("aliases on joins")
	}
	return out
}

func (t *translator) insert(s *pg.InsertStmt) ast.Stmt {
	out := &ast.Insert{Table: t.tableName(s.Relation)}
	if s.WithClause != nil {
		out.With = t.with(s.WithClause)
	}
	if s.Override != pg.OverridingKind_OVERRIDING_NOT_SET && s.Override != pg.OverridingKind_OVERRIDING_KIND_UNDEFINED {
		unsupported("OVERRIDING")
	}
	for _, c := range s.Cols {
		rt := c.GetResTarget()
		if len(rt.Indirection) > 0 {
			unsupported("assignment indirection")
		}
		out.Columns = append(out.Columns, rt.Name)
	}
	if s.SelectStmt != nil {
		out.Source = t.selectStmt(s.SelectStmt.GetSelectStmt())
	}
	if oc := s.OnConflictClause; oc != nil {
		out.OnConflict = t.onConflict(oc)
	}
	out.Returning = t.targets(s.ReturningList)
	return out
}

func (t *translator) onConflict(oc *pg.OnConflictClause) *ast.OnConflict {
	out := &ast.OnConflict{DoUpdate: oc.Action == pg.OnConflictAction_ONCONFLICT_UPDATE}
	if oc.Infer != nil {
		if oc.Infer.Conname != "" {
			unsupported("ON CONFLICT ON CONSTRAINT")
		}
		if oc.Infer.WhereClause != nil {
			unsupported("ON CONFLICT with a WHERE on the target")
		}
		for _, e := range oc.Infer.IndexElems {
			ie := e.GetIndexElem()
			if ie.Name == "" {
				unsupported("ON CONFLICT on expressions")
			}
			out.Columns = append(out.Columns, ie.Name)
		}
	}
	if out.DoUpdate && len(out.Columns) == 0 {
		fail(sqlerr.SyntaxError, "ON CONFLICT DO UPDATE requires inference specification or constraint name")
	}
	out.Set = t.setClauses(oc.TargetList)
	out.Where = t.optExpr(oc.WhereClause)
	return out
}

func (t *translator) setClauses(list []*pg.Node) []ast.SetClause {
	var out []ast.SetClause
	for _, n := range list {
		rt := n.GetResTarget()
		if len(rt.Indirection) > 0 {
			unsupported("assignment indirection")
		}
		if rt.Val.GetMultiAssignRef() != nil {
			unsupported("multiple-column assignment")
		}
		out = append(out, ast.SetClause{Column: rt.Name, Value: t.expr(rt.Val), Pos: int(rt.Location)})
	}
	return out
}

func (t *translator) update(s *pg.UpdateStmt) ast.Stmt {
	out := &ast.Update{Table: t.tableName(s.Relation), Set: t.setClauses(s.TargetList)}
	if s.WithClause != nil {
		out.With = t.with(s.WithClause)
	}
	for _, f := range s.FromClause {
		out.From = append(out.From, t.tableExpr(f))
	}
	out.Where = t.optExpr(s.WhereClause)
	out.Returning = t.targets(s.ReturningList)
	return out
}

func (t *translator) delete(s *pg.DeleteStmt) ast.Stmt {
	out := &ast.Delete{Table: t.tableName(s.Relation)}
	if s.WithClause != nil {
		out.With = t.with(s.WithClause)
	}
	for _, f := range s.UsingClause {
		out.Using = append(out.Using, t.tableExpr(f))
	}
	out.Where = t.optExpr(s.WhereClause)
	out.Returning = t.targets(s.ReturningList)
	return out
}

// lower folds an unquoted identifier; pg_query already folds, so this only
// normalises names we compare with keywords.
func lower(s string) string { return strings.ToLower(s) }
