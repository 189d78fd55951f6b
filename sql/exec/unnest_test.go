package exec

import (
	"testing"

	"github.com/lineradb/lineradb/sql/types"
)

func TestParseArrayText(t *testing.T) {
	ok := map[string][]string{
		"{}":                       nil,
		"{a}":                      {"a"},
		"{fillfactor=100,b}":       {"fillfactor=100", "b"},
		`{"a,b","c \"d\"",NULL,e}`: {"a,b", `c "d"`, "<NULL>", "e"},
		`{"",x}`:                   {"", "x"},
	}
	for in, want := range ok {
		got, err := parseArrayText(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if len(got) != len(want) {
			t.Errorf("%q: %d elements, want %d", in, len(got), len(want))
			continue
		}
		for i, d := range got {
			s := "<NULL>"
			if !types.IsNull(d) {
				s = string(d.(types.DString))
			}
			if s != want[i] {
				t.Errorf("%q[%d] = %q, want %q", in, i, s, want[i])
			}
		}
	}
	// Malformed literals are errors, never panics or silent garbage.
	for _, in := range []string{"", "{", "a,b", "{a,}", "{,a}", `{"a}`, `{"a"b}`, "{{a}}", `{a"b}`, "{a,,b}"} {
		if _, err := parseArrayText(in); err == nil {
			t.Errorf("%q: accepted a malformed array literal", in)
		}
	}
}
