package exec

import (
	"strings"
	"time"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// Array expressions: ARRAY[...], ARRAY(subquery), a[i], op ANY/ALL
// (array), the containment operators and the array functions. Arrays are
// one-dimensional with lower bound 1 (see sql/types).

// arrayBuiltins are the array functions; funcs.go's init adds them to
// builtins (init order across files is by name, so it cannot be here).
var arrayBuiltins = map[string]builtin{
	"array_length": fnArrayLength, "array_upper": fnArrayLength, "array_lower": fnArrayLength,
	"cardinality": fnCardinality, "array_ndims": fnCardinality,
	"array_to_string": fnArrayToString, "array_append": fnArrayAppend, "array_prepend": fnArrayAppend,
	"array_cat": fnArrayCat, "array_position": fnArrayPosition,
}

// arrayTextFallback holds the catalog's versions of array functions,
// called when the argument is text holding an array literal.
var arrayTextFallback = map[string]builtin{}

func init() { aggregateNames["array_agg"] = true }

// errArrayLimit is raised when a built array would exceed the bound.
func errArrayLimit() error {
	return sqlerr.New(sqlerr.ProgramLimitExceeded, "array size exceeds the maximum allowed (%d)", types.ArrayElemsMax)
}

// errArrayKey rejects an array column in a primary key or index: the
// key encoding has no order-preserving form for arrays.
func errArrayKey(col string) error {
	return sqlerr.New(sqlerr.FeatureNotSupported, "column %q is an array: arrays cannot be index or key columns", col)
}

// arrayCtor compiles ARRAY[e1, e2, ...].
func (cp *compiler) arrayCtor(x *ast.Array) (*expr, error) {
	if len(x.Elems) == 0 {
		return nil, sqlerr.New(sqlerr.IndeterminateDatatype, "cannot determine type of empty array").
			WithHint("Explicitly cast to the desired type, for example ARRAY[]::integer[].").At(x.Pos)
	}
	elems, err := cp.compileAll(x.Elems)
	if err != nil {
		return nil, err
	}
	elems, t, err := cp.commonType(elems, "ARRAY")
	if err != nil {
		return nil, sqlerr.Wrap(err).At(x.Pos)
	}
	at, ok := types.ArrayOf(t)
	if !ok {
		if t.IsArray() {
			return nil, sqlerr.Unsupported("multidimensional arrays").At(x.Pos)
		}
		return nil, sqlerr.New(sqlerr.UndefinedObject, "could not find array type for data type %s", t.String()).At(x.Pos)
	}
	evals := make([]evalFn, len(elems))
	texts := make([]string, len(elems))
	for i, e := range elems {
		evals[i], texts[i] = e.eval, e.text
	}
	return &expr{T: at, col: -1, text: "ARRAY[" + strings.Join(texts, ", ") + "]", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		out := &types.DArray{Elems: make([]types.Datum, len(evals))}
		for i, ev := range evals {
			d, err := ev(c, row)
			if err != nil {
				return nil, err
			}
			out.Elems[i] = d
		}
		return out, nil
	}}, nil
}

// emptyArrayCast compiles ARRAY[]::t[], the one way to write an empty
// array constructor; ok is false for every other cast.
func (cp *compiler) emptyArrayCast(x *ast.Cast) (*expr, bool) {
	a, isArr := x.X.(*ast.Array)
	if !isArr || len(a.Elems) > 0 || !x.Type.T.IsArray() {
		return nil, false
	}
	return constExpr(x.Type.T, &types.DArray{}, "'{}'::"+x.Type.T.String()), true
}

// subscript compiles a[i]: NULL when i is outside the array.
func (cp *compiler) subscript(x *ast.Subscript) (*expr, error) {
	a, err := cp.compile(x.X)
	if err != nil {
		return nil, err
	}
	if !a.T.IsArray() {
		return nil, sqlerr.New(sqlerr.DatatypeMismatch, "cannot subscript type %s because it does not support subscripting", a.T.String()).At(x.Pos)
	}
	idx, err := cp.compile(x.Index)
	if err != nil {
		return nil, err
	}
	if idx.T.Family() != types.FamInt && !idx.isUnknown() {
		return nil, sqlerr.New(sqlerr.DatatypeMismatch, "array subscript must have type integer").At(x.Pos)
	}
	if idx, err = cp.coerce(idx, types.Int8, types.CastImplicit, ""); err != nil {
		return nil, err
	}
	return strict(a.T.Elem(), a.text+"["+idx.text+"]", []*expr{a, idx}, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		elems := ds[0].(*types.DArray).Elems
		i := int64(ds[1].(types.DInt))
		if i < 1 || i > int64(len(elems)) {
			return types.Null, nil
		}
		return elems[i-1], nil
	}), nil
}

// asArray makes e an array: an untyped literal takes the array type of
// like (or text[]); other non-array types are an error naming what.
func (cp *compiler) asArray(e *expr, like types.T, what string) (*expr, error) {
	if e.isUnknown() {
		at, ok := types.ArrayOf(like)
		if !ok {
			at, _ = types.ArrayOf(types.Text)
		}
		return cp.coerce(e, at, types.CastImplicit, "")
	}
	if !e.T.IsArray() {
		return nil, sqlerr.New(sqlerr.WrongObjectType, "%s requires array on right side", what)
	}
	return e, nil
}

// anyArray compiles x op ANY/ALL (array) with PostgreSQL's three-valued
// result: ANY is true if some comparison is true, else NULL if some was
// NULL, else false (an empty array gives false); ALL is the dual.
func (cp *compiler) anyArray(x *ast.AnyArray) (*expr, error) {
	l, err := cp.compile(x.X)
	if err != nil {
		return nil, err
	}
	r, err := cp.compile(x.Array)
	if err != nil {
		return nil, err
	}
	q := "ANY"
	if x.All {
		q = "ALL"
	}
	if r, err = cp.asArray(r, l.T, "op "+q+"/ALL (array)"); err != nil {
		return nil, sqlerr.Wrap(err).At(x.Pos)
	}
	if l.isUnknown() {
		if l, err = cp.coerce(l, r.T.Elem(), types.CastImplicit, ""); err != nil {
			return nil, err
		}
	}
	// The comparison reads its operands from a two-slot row, so the
	// compiled expression holds no per-evaluation state.
	slotL := &expr{T: l.T, col: -1, text: l.text, eval: func(_ *Ctx, row types.Row) (types.Datum, error) { return row[0], nil }}
	slotR := &expr{T: r.T.Elem(), col: -1, text: "elem", eval: func(_ *Ctx, row types.Row) (types.Datum, error) { return row[1], nil }}
	op := x.Op
	if op == "!=" {
		op = "<>"
	}
	cmp, err := cp.comparison(op, slotL, slotR, x.Pos)
	if err != nil {
		return nil, err
	}
	le, re, all := l.eval, r.eval, x.All
	text := "(" + l.text + " " + op + " " + q + " (" + r.text + "))"
	return &expr{T: types.Bool, col: -1, text: text, eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		a, err := le(c, row)
		if err != nil {
			return nil, err
		}
		arr, err := re(c, row)
		if err != nil || types.IsNull(arr) {
			return types.Null, err
		}
		return quantify(c, cmp, a, arr.(*types.DArray).Elems, all)
	}}, nil
}

func quantify(c *Ctx, cmp *expr, a types.Datum, elems []types.Datum, all bool) (types.Datum, error) {
	sawNull := false
	for _, e := range elems {
		d, err := cmp.eval(c, types.Row{a, e})
		if err != nil {
			return nil, err
		}
		switch {
		case types.IsNull(d):
			sawNull = true
		case bool(d.(types.DBool)) != all:
			return types.DBool(!all), nil
		}
	}
	if sawNull {
		return types.Null, nil
	}
	return types.DBool(all), nil
}

// unifyArrays gives two array operands one array type, casting elements
// as unify would cast scalars (int4[] = int8[] compares as int8[]).
func (cp *compiler) unifyArrays(l, r *expr, op string, pos int) (*expr, *expr, error) {
	le, re := l.T.Elem(), r.T.Elem()
	if le.OID == re.OID {
		return l, r, nil
	}
	var common types.T
	switch {
	case numericFamily(le.Family()) && numericFamily(re.Family()):
		common = types.Promote(le, re)
	case le.Family() == types.FamString && re.Family() == types.FamString:
		common = types.Text
	default:
		return nil, nil, opMissing(op, l, r, pos)
	}
	at, _ := types.ArrayOf(common)
	l, err := cp.coerce(l, at, types.CastImplicit, "")
	if err != nil {
		return nil, nil, err
	}
	r, err = cp.coerce(r, at, types.CastImplicit, "")
	return l, r, err
}

// arrayBinOp compiles the operators with an array operand: || (concat
// and append), @>, <@ and &&; ok is false when neither side is an array
// and the operator is not one of the containment operators.
func (cp *compiler) arrayBinOp(op string, l, r *expr, pos int) (*expr, bool, error) {
	switch op {
	case "@>", "<@", "&&":
	case "||":
		if !l.T.IsArray() && !r.T.IsArray() {
			return nil, false, nil
		}
		out, err := cp.arrayConcat(l, r, pos)
		return out, true, err
	default:
		return nil, false, nil
	}
	var err error
	if !l.T.IsArray() && !r.T.IsArray() {
		return nil, true, opMissing(op, l, r, pos)
	}
	if l, err = cp.asArray(l, r.T.Elem(), op); err != nil {
		return nil, true, opMissing(op, l, r, pos)
	}
	if r, err = cp.asArray(r, l.T.Elem(), op); err != nil {
		return nil, true, opMissing(op, l, r, pos)
	}
	if l, r, err = cp.unifyArrays(l, r, op, pos); err != nil {
		return nil, true, err
	}
	out := strict(types.Bool, "("+l.text+" "+op+" "+r.text+")", []*expr{l, r}, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		a, b := ds[0].(*types.DArray).Elems, ds[1].(*types.DArray).Elems
		switch op {
		case "@>":
			return types.DBool(containsAll(a, b)), nil
		case "<@":
			return types.DBool(containsAll(b, a)), nil
		}
		return types.DBool(overlaps(a, b)), nil
	})
	return out, true, nil
}

// containsAll reports whether every element of b equals some element of
// a; NULL elements never match, as in PostgreSQL's arraycontains.
func containsAll(a, b []types.Datum) bool {
	have := make(map[string]bool, len(a))
	for _, d := range a {
		if !types.IsNull(d) {
			have[types.HashKey(d)] = true
		}
	}
	for _, d := range b {
		if types.IsNull(d) || !have[types.HashKey(d)] {
			return false
		}
	}
	return true
}

func overlaps(a, b []types.Datum) bool {
	for _, d := range b {
		if !types.IsNull(d) && containsAll(a, []types.Datum{d}) {
			return true
		}
	}
	return false
}

// arrayConcat compiles array || array, array || element and element ||
// array; a NULL array operand acts as an empty array.
func (cp *compiler) arrayConcat(l, r *expr, pos int) (*expr, error) {
	var err error
	lArr, rArr := l.T.IsArray(), r.T.IsArray()
	switch {
	case lArr && (rArr || r.isUnknown()):
		if r, err = cp.asArray(r, l.T.Elem(), "||"); err == nil {
			l, r, err = cp.unifyArrays(l, r, "||", pos)
		}
	case rArr && l.isUnknown():
		l, err = cp.asArray(l, r.T.Elem(), "||")
	case lArr:
		r, err = cp.coerce(r, l.T.Elem(), types.CastImplicit, "")
	default:
		l, err = cp.coerce(l, r.T.Elem(), types.CastImplicit, "")
	}
	if err != nil {
		return nil, err
	}
	t := l.T
	if !t.IsArray() {
		t = r.T
	}
	lArr, rArr = l.T.IsArray(), r.T.IsArray()
	le, re := l.eval, r.eval
	return &expr{T: types.T{OID: t.OID, Typmod: -1}, col: -1, text: "(" + l.text + " || " + r.text + ")", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		a, err := le(c, row)
		if err != nil {
			return nil, err
		}
		b, err := re(c, row)
		if err != nil {
			return nil, err
		}
		if lArr && rArr && types.IsNull(a) && types.IsNull(b) {
			return types.Null, nil
		}
		out := append(append([]types.Datum{}, arrayPart(a, lArr)...), arrayPart(b, rArr)...)
		if len(out) > types.ArrayElemsMax {
			return nil, errArrayLimit()
		}
		return &types.DArray{Elems: out}, nil
	}}, nil
}

// arrayPart is an operand of || as elements: an array's elements (none
// for NULL), or the single element.
func arrayPart(d types.Datum, isArray bool) []types.Datum {
	if !isArray {
		return []types.Datum{d}
	}
	if types.IsNull(d) {
		return nil
	}
	return d.(*types.DArray).Elems
}

// arraySubquery compiles ARRAY(SELECT x ...): the column's values in the
// subquery's order, an empty array when it returns no rows.
func arraySubquery(x *ast.SubqueryExpr, cols []scopeCol, runSub func(*Ctx, types.Row) ([]types.Row, error)) (*expr, error) {
	if len(cols) != 1 {
		return nil, sqlerr.New(sqlerr.SyntaxError, "subquery must return only one column").At(x.Pos)
	}
	t := cols[0].T
	if t.Family() == types.FamUnknown {
		t = types.Text
	}
	at, ok := types.ArrayOf(t)
	if !ok {
		return nil, sqlerr.New(sqlerr.UndefinedObject, "could not find array type for data type %s", t.String()).At(x.Pos)
	}
	return &expr{T: at, col: -1, text: "ARRAY(SubPlan)", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		rows, err := runSub(c, row)
		if err != nil {
			return nil, err
		}
		if len(rows) > types.ArrayElemsMax {
			return nil, errArrayLimit()
		}
		out := &types.DArray{Elems: make([]types.Datum, len(rows))}
		for i, r := range rows {
			out.Elems[i] = r[0]
		}
		return out, nil
	}}, nil
}

// arrayArg checks that args[i] is an array; an untyped literal is not
// (PostgreSQL cannot resolve anyarray from unknown either).
func arrayArg(f *ast.Func, args []*expr, i int) error {
	if i >= len(args) || !args[i].T.IsArray() {
		return noFunc(f, args)
	}
	return nil
}

// fnArrayLength is array_length/array_upper (the length, lower bound 1)
// and array_lower (1) for dimension 1; NULL for other dimensions and for
// empty arrays.
func fnArrayLength(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 2 || arrayArg(f, args, 0) != nil {
		return nil, noFunc(f, args)
	}
	dim, err := cp.coerce(args[1], types.Int4, types.CastImplicit, "")
	if err != nil {
		return nil, noFunc(f, args)
	}
	lower := f.Name == "array_lower"
	return strict(types.Int4, f.Name+"(...)", []*expr{args[0], dim}, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		n := len(ds[0].(*types.DArray).Elems)
		if ds[1].(types.DInt) != 1 || n == 0 {
			return types.Null, nil
		}
		if lower {
			return types.DInt(1), nil
		}
		return types.DInt(n), nil
	}), nil
}

// fnCardinality is cardinality (element count, 0 for empty) and
// array_ndims (1, NULL for empty).
func fnCardinality(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 1 || arrayArg(f, args, 0) != nil {
		return nil, noFunc(f, args)
	}
	ndims := f.Name == "array_ndims"
	return strict(types.Int4, f.Name+"(...)", args, func(_ *Ctx, ds []types.Datum) (types.Datum, error) {
		n := len(ds[0].(*types.DArray).Elems)
		if ndims {
			if n == 0 {
				return types.Null, nil
			}
			return types.DInt(1), nil
		}
		return types.DInt(n), nil
	}), nil
}

// fnArrayToString joins the non-NULL elements' text (or the NULL
// replacement when given).
func fnArrayToString(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if fb := arrayTextFallback[f.Name]; fb != nil && len(args) > 0 && !args[0].T.IsArray() {
		return fb(cp, f, args)
	}
	if len(args) < 2 || len(args) > 3 || arrayArg(f, args, 0) != nil {
		return nil, noFunc(f, args)
	}
	want := []types.T{types.Text, types.Text}[:len(args)-1]
	rest, err := cp.coerceArgs(f, args[1:], want...)
	if err != nil {
		return nil, err
	}
	elemT, loc := args[0].T.Elem(), cp.env.Loc
	arr, sep := args[0].eval, rest[0].eval
	var nullRep evalFn
	if len(rest) == 2 {
		nullRep = rest[1].eval
	}
	return &expr{T: types.Text, col: -1, text: "array_to_string(...)", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		a, err := arr(c, row)
		if err != nil || types.IsNull(a) {
			return types.Null, err
		}
		s, err := sep(c, row)
		if err != nil || types.IsNull(s) {
			return types.Null, err
		}
		var rep types.Datum = types.Null
		if nullRep != nil {
			if rep, err = nullRep(c, row); err != nil {
				return nil, err
			}
		}
		var parts []string
		for _, d := range a.(*types.DArray).Elems {
			switch {
			case !types.IsNull(d):
				parts = append(parts, elemTextOf(elemT, d, loc))
			case !types.IsNull(rep):
				parts = append(parts, string(rep.(types.DString)))
			}
		}
		return types.DString(strings.Join(parts, string(s.(types.DString)))), nil
	}}, nil
}

// fnArrayAppend is array_append(a, e) and array_prepend(e, a).
func fnArrayAppend(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 2 {
		return nil, noFunc(f, args)
	}
	ai := 0
	if f.Name == "array_prepend" {
		ai = 1
	}
	if arrayArg(f, args, ai) != nil {
		return nil, noFunc(f, args)
	}
	return cp.arrayConcat(args[0], args[1], f.Pos)
}

// fnArrayCat is array_cat(a, b), the same as a || b.
func fnArrayCat(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 2 || arrayArg(f, args, 0) != nil || arrayArg(f, args, 1) != nil {
		return nil, noFunc(f, args)
	}
	return cp.arrayConcat(args[0], args[1], f.Pos)
}

// fnArrayPosition is array_position(a, e): the first 1-based position of
// an element not distinct from e, or NULL.
func fnArrayPosition(cp *compiler, f *ast.Func, args []*expr) (*expr, error) {
	if len(args) != 2 || arrayArg(f, args, 0) != nil {
		return nil, noFunc(f, args)
	}
	e, err := cp.coerce(args[1], args[0].T.Elem(), types.CastImplicit, "")
	if err != nil {
		return nil, noFunc(f, args)
	}
	arr, ev := args[0].eval, e.eval
	return &expr{T: types.Int4, col: -1, text: "array_position(...)", eval: func(c *Ctx, row types.Row) (types.Datum, error) {
		a, err := arr(c, row)
		if err != nil || types.IsNull(a) {
			return types.Null, err
		}
		x, err := ev(c, row)
		if err != nil {
			return nil, err
		}
		for i, d := range a.(*types.DArray).Elems {
			if types.CompareNullable(d, x) == 0 {
				return types.DInt(i + 1), nil
			}
		}
		return types.Null, nil
	}}, nil
}

// elemTextOf is an element's text as array_to_string prints it.
func elemTextOf(t types.T, d types.Datum, loc *time.Location) string {
	if b, ok := d.(types.DBool); ok {
		if b {
			return "t"
		}
		return "f"
	}
	return types.Format(t, d, loc)
}
