package exec

import (
	"strings"

	"github.com/lineradb/lineradb/sql/ast"
	"github.com/lineradb/lineradb/sql/sqlerr"
	"github.com/lineradb/lineradb/sql/types"
)

// unnest(array) in FROM: over a real array it yields the elements with
// the element type; over text (catalog columns that still hold an
// array's literal form, as psql's \d+ unnests reloptions) it yields text
// elements.

// unnestElemsMax bounds the elements of one array literal, as seriesMax
// bounds generate_series.
const unnestElemsMax = workRowsMax

type unnestNode struct{ arg *expr }

func (n *unnestNode) explain() (string, []node) { return "Function Scan on unnest", nil }

func (n *unnestNode) run(c *Ctx) ([]types.Row, error) {
	d, err := n.arg.eval(c, nil)
	if err != nil || types.IsNull(d) {
		return nil, err
	}
	var elems []types.Datum
	if a, ok := d.(*types.DArray); ok {
		elems = a.Elems
	} else if elems, err = parseArrayText(string(d.(types.DString))); err != nil {
		return nil, err
	}
	out := make([]types.Row, len(elems))
	for i, e := range elems {
		out[i] = types.Row{e}
	}
	return out, nil
}

func (e *Env) planUnnest(x *ast.FuncTable, parent *scope) (node, []scopeCol, error) {
	cp := &compiler{env: e, scope: &scope{parent: parent}, noAggs: "functions in FROM"}
	args, err := cp.compileAll(x.Func.Args)
	if err != nil {
		return nil, nil, err
	}
	if len(args) != 1 {
		return nil, nil, sqlerr.Unsupported("unnest with more than one array")
	}
	elemT := types.Text
	if args[0].T.IsArray() {
		elemT = args[0].T.Elem()
	} else if args[0], err = cp.coerce(args[0], types.Text, types.CastImplicit, ""); err != nil {
		return nil, nil, noFunc(x.Func, args)
	}
	alias, name := x.Alias, x.Alias
	if alias == "" {
		alias, name = "unnest", "unnest"
	}
	cols, err := renameCols([]scopeCol{{Name: name, T: elemT}}, alias, x.ColAliases)
	return &unnestNode{arg: args[0]}, cols, err
}

// parseArrayText splits a one-dimensional array literal into its
// elements: double-quoted elements may hold commas, braces and
// backslash escapes; an unquoted NULL is NULL.
func parseArrayText(s string) ([]types.Datum, error) {
	bad := func() error {
		return sqlerr.New(sqlerr.InvalidTextRepresentation, "malformed array literal: %q", s)
	}
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, bad()
	}
	body := s[1 : len(s)-1]
	var out []types.Datum
	for i := 0; i < len(body); {
		if len(out) >= unnestElemsMax {
			return nil, checkRows(unnestElemsMax + 1)
		}
		d, next, ok := arrayElem(body, i)
		if !ok {
			return nil, bad()
		}
		out = append(out, d)
		if next < len(body) && body[next] != ',' || next == len(body)-1 {
			return nil, bad()
		}
		i = next + 1
	}
	return out, nil
}

// arrayElem reads the element starting at body[i]; next is the index of
// the comma after it (or len(body)).
func arrayElem(body string, i int) (types.Datum, int, bool) {
	if body[i] != '"' {
		j := strings.IndexByte(body[i:], ',')
		if j < 0 {
			j = len(body) - i
		}
		raw := strings.TrimSpace(body[i : i+j])
		if raw == "" || strings.ContainsAny(raw, `{}"\`) {
			return nil, 0, false
		}
		if strings.EqualFold(raw, "NULL") {
			return types.Null, i + j, true
		}
		return types.DString(raw), i + j, true
	}
	var b strings.Builder
	for j := i + 1; j < len(body); j++ {
		switch c := body[j]; {
		case c == '\\' && j+1 < len(body):
			j++
			b.WriteByte(body[j])
		case c == '"':
			return types.DString(b.String()), j + 1, true
		default:
			b.WriteByte(c)
		}
	}
	return nil, 0, false
}
