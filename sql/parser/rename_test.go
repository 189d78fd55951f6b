package parser

import "testing"

func TestRenameColumnRefs(t *testing.T) {
	for _, c := range []struct{ in, old, new, want string }{
		{"v > 0", "v", "val", `"val" > 0`},
		{"V > 0 AND kv.v < 10", "v", "val", `"val" > 0 AND kv."val" < 10`},
		{`"v" <> 'v'`, "v", "x", `"x" <> 'v'`},
		{"length(name) > value", "name", "n", `length("n") > value`},
		{"v(1) > vv", "v", "x", "v(1) > vv"}, // function names and other identifiers stay
		{"v.a > 0", "v", "x", "v.a > 0"},     // a qualifier is not the column
		{`"Mixed" > 0 AND mixed > 1`, "Mixed", "m", `"m" > 0 AND mixed > 1`},
		{"(v)::text <> ''", "v", `we"ird`, `("we""ird")::text <> ''`},
	} {
		got, err := RenameColumnRefs(c.in, c.old, c.new)
		if err != nil || got != c.want {
			t.Errorf("RenameColumnRefs(%q, %q, %q) = %q, %v; want %q", c.in, c.old, c.new, got, err, c.want)
		}
		if _, err := Parse("SELECT " + got); err != nil {
			t.Errorf("rewritten %q does not parse: %v", got, err)
		}
	}
}
