package exec

import (
	"flag"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lineradb/lineradb/sql/types"
)

var workMemSeed = flag.Uint64("workmem-seed", 0, "seed for TestRowBytesMonotonic (0: from the test's default)")

// randomDatum draws one datum of any family the estimator distinguishes.
func randomDatum(r *rand.Rand) types.Datum {
	switch r.IntN(7) {
	case 0:
		return types.Null
	case 1:
		return types.DInt(r.Int64())
	case 2:
		return types.DString(strings.Repeat("x", r.IntN(200)))
	case 3:
		return types.DBytes(strings.Repeat("y", r.IntN(200)))
	case 4:
		d, _ := types.Cast(types.DString(strings.Repeat("9", 1+r.IntN(60))), types.Text, types.Numeric, types.CastExplicit, nil)
		return d
	case 5:
		a := &types.DArray{}
		for range r.IntN(5) {
			a.Elems = append(a.Elems, types.DInt(r.Int64()))
		}
		return a
	}
	return types.DInterval{Months: 1}
}

// grownDatum is d with a bigger payload (a longer string, a longer
// array, more numeric digits), or d itself when it has no size to grow.
func grownDatum(d types.Datum) types.Datum {
	switch x := d.(type) {
	case types.DString:
		return x + "more"
	case types.DBytes:
		return x + "more"
	case *types.DArray:
		return &types.DArray{Elems: append(append([]types.Datum{}, x.Elems...), types.DInt(1))}
	case *types.DNumeric:
		g, _ := types.Cast(types.DString(x.String()+"00000000000000000000000"), types.Text, types.Numeric, types.CastExplicit, nil)
		return g
	}
	return d
}

// The estimator is monotonic: a row with one more datum, or with one of
// its values grown, never estimates smaller; a grown variable-size value
// estimates strictly bigger.
func TestRowBytesMonotonic(t *testing.T) {
	seed := *workMemSeed
	if seed == 0 {
		seed = 20240611
	}
	t.Logf("seed %d (replay: go test ./sql/exec -run TestRowBytesMonotonic -workmem-seed=%d)", seed, seed)
	r := rand.New(rand.NewPCG(seed, 0))
	for range 2000 {
		row := make(types.Row, r.IntN(8))
		for i := range row {
			row[i] = randomDatum(r)
		}
		base := rowBytes(row)
		if base < rowOverheadBytes+int64(len(row))*datumOverheadBytes {
			t.Fatalf("row %v: %d bytes, below its fixed overhead", row, base)
		}
		if wider := rowBytes(append(append(types.Row{}, row...), randomDatum(r))); wider <= base {
			t.Fatalf("row %v plus a datum: %d bytes, not more than %d", row, wider, base)
		}
		if len(row) == 0 {
			continue
		}
		i := r.IntN(len(row))
		grown := append(types.Row{}, row...)
		grown[i] = grownDatum(row[i])
		got := rowBytes(grown)
		switch row[i].(type) {
		case types.DString, types.DBytes, *types.DArray, *types.DNumeric:
			if got <= base {
				t.Fatalf("row %v with datum %d grown: %d bytes, not more than %d", row, i, got, base)
			}
		default:
			if got != base {
				t.Fatalf("row %v with fixed-size datum %d: %d bytes, want %d", row, i, got, base)
			}
		}
	}
}

// The account refuses the first charge past its budget, naming the
// operator, counts nothing when unlimited, and restores a mark.
func TestWorkMemAccount(t *testing.T) {
	m := workMem{budgetBytes: 1000}
	mark := m.mark()
	if err := m.grow(opSort, 600); err != nil {
		t.Fatal(err)
	}
	if err := m.hold(opCTE, 400); err != nil {
		t.Fatalf("exactly the budget must fit: %v", err)
	}
	err := m.grow(opHashJoin, 1)
	if err == nil || !strings.Contains(err.Error(), "Hash Join") || !strings.Contains(err.Error(), "work_mem") {
		t.Fatalf("one byte over: %v, want a work_mem error naming Hash Join", err)
	}
	m.release(mark)
	if m.transientBytes != 0 || m.heldBytes != 400 || m.peakBytes != 1001 {
		t.Fatalf("after release: %+v", m)
	}
	var unlimited workMem
	if err := unlimited.growRows(opSort, []types.Row{{types.DInt(1)}}); err != nil || unlimited.transientBytes != 0 {
		t.Fatalf("unlimited account: %v %+v", err, unlimited)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("release above the charged level did not panic")
		}
	}()
	m.release(5)
}

func TestFormatWorkMem(t *testing.T) {
	for _, c := range []struct {
		bytes int64
		want  string
	}{{0, "unlimited"}, {64 << 10, "64kB"}, {4 << 20, "4MB"}, {1 << 30, "1GB"}, {1536 << 10, "1536kB"}, {100, "100B"}} {
		if got := FormatWorkMem(c.bytes); got != c.want {
			t.Errorf("FormatWorkMem(%d) = %q, want %q", c.bytes, got, c.want)
		}
	}
}
