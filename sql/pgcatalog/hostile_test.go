package pgcatalog_test

import (
	"strings"
	"testing"
)

// TestCatalogFunctionsRejectBadInput feeds the catalog functions hostile
// or nonsensical arguments: each must give PostgreSQL's error or NULL,
// never a panic.
func TestCatalogFunctionsRejectBadInput(t *testing.T) {
	run := lineradbRunner(t)
	for _, c := range []struct{ query, want string }{
		{"SELECT 'a' ~ '('", "ERROR 2201B"},
		{"SELECT 'a' ~ repeat('a', 5000)", "ERROR 2201B"},
		{"SELECT 'nosuch'::regclass::oid", "ERROR 42P01"},
		{"SELECT 'nosuch'::text::regtype::oid", "ERROR 42704"},
		{"SELECT 'other.accounts'::regclass::oid", "ERROR 42P01"},
		{"SELECT pg_catalog.to_regclass('nosuch'), pg_catalog.to_regtype('nosuch')", "NULL|NULL"},
		{"SELECT pg_catalog.format_type(NULL, NULL), pg_catalog.format_type(99999, -1)", "NULL|???"},
		{"SELECT pg_catalog.pg_get_indexdef(0), pg_catalog.pg_get_constraintdef(4294967295)", "NULL|NULL"},
		{"SELECT pg_catalog.pg_get_indexdef(4294967295, 99, true)", "NULL"},
		{"SELECT pg_catalog.array_to_string('not an array', ',')", "ERROR 22P02"},
		{"SELECT pg_catalog.pg_get_userbyid(12345)", "unknown (OID=12345)"},
		{"SELECT pg_catalog.pg_table_is_visible(4294967295)", "NULL"},
		{"SELECT '99999999999'::regclass::oid", "ERROR 42P01"},
	} {
		_, rows, err := run(c.query)
		got := ""
		switch {
		case err != nil:
			got = "ERROR " + strings.SplitN(err.Error(), ":", 2)[0]
		case len(rows) == 1:
			got = strings.Join(rows[0], "|")
		}
		if got != c.want {
			t.Errorf("%s: got %q (%v), want %q", c.query, got, err, c.want)
		}
	}
}
