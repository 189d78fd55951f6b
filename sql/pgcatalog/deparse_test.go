package pgcatalog

import (
	"testing"

	"github.com/lineradb/lineradb/sql/catalog"
	"github.com/lineradb/lineradb/sql/types"
)

func TestPrettyExpr(t *testing.T) {
	tbl := &catalog.Table{Name: "t", Columns: []catalog.Column{
		{ID: 1, Name: "balance", Type: types.T{OID: types.OIDNumeric, Typmod: 786438}},
		{ID: 2, Name: "price", Type: types.Float8},
		{ID: 3, Name: "name", Type: types.Text},
		{ID: 4, Name: "n", Type: types.Int4},
	}}
	for _, c := range []struct{ in, want string }{
		{"balance >= 0", "balance >= 0::numeric"},
		{"price > 0", "price > 0::double precision"},
		{"name <> ''", "name <> ''::text"},
		{"n > 0 AND n < 10", "n > 0 AND n < 10"},
		{"balance >= 0 AND price < 1.5", "balance >= 0::numeric AND price < 1.5::double precision"},
		{"not valid sql (", "not valid sql ("},
	} {
		if got := prettyExpr(c.in, tbl); got != c.want {
			t.Errorf("prettyExpr(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		t    types.T
		want string
	}{
		{"'abc'", types.Text, "'abc'::text"},
		{"0", types.Numeric, "0"},
		{"true", types.Bool, "true"},
		{"nextval('s'::regclass)", types.Int4, "nextval('s'::regclass)"},
	} {
		if got := prettyDefault(c.in, c.t); got != c.want {
			t.Errorf("prettyDefault(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
