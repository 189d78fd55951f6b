package pgcatalog

import (
	"math/rand/v2"
	"testing"

	"github.com/lineradb/lineradb/sql/catalog"
)

// TestOIDBlocksRoundTrip checks that every kind of OID a table derives
// maps back to the table, its kind and its sub-index, and that no two
// objects share an OID.
func TestOIDBlocksRoundTrip(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	seen := map[uint32]string{}
	for range 200 {
		tb := &catalog.Table{ID: 100 + uint32(rng.IntN(tableIDMax-100))}
		sub := uint32(rng.IntN(subPerKindMax))
		for _, c := range []struct {
			oid  uint32
			kind oidKind
			sub  uint32
		}{
			{tableOID(tb), kindTable, 0},
			{tableOID(tb) + 1, kindRowType, 0},
			{tableOID(tb) + 2, kindRowArray, 0},
			{indexOID(tb, sub), kindIndex, sub},
			{conOID(tb, sub), kindConstraint, sub},
			{checkOID(tb, int(sub)), kindCheck, sub},
			{seqOID(tb, int(sub)), kindSequence, sub},
			{attrDefOID(tb, sub), kindAttrDef, sub},
		} {
			id, kind, s := splitOID(c.oid)
			if id != tb.ID || kind != c.kind || s != c.sub {
				t.Fatalf("seed %d: splitOID(%d) = (%d, %d, %d), want (%d, %d, %d)", seed, c.oid, id, kind, s, tb.ID, c.kind, c.sub)
			}
			key := string(rune(c.kind)) + string(rune(c.sub))
			if prev, dup := seen[c.oid]; dup && prev != key+string(rune(tb.ID)) {
				t.Fatalf("seed %d: OID %d reused", seed, c.oid)
			}
			seen[c.oid] = key + string(rune(tb.ID))
		}
	}
	if _, err := tableBase(tableIDMax); err == nil {
		t.Fatal("a table ID past the last OID block got an OID")
	}
	if id, kind, _ := splitOID(oidNamespacePublic); id != 0 || kind != kindNone {
		t.Fatal("a system OID mapped to a user object")
	}
	if indexOID(&catalog.Table{ID: 100}, subPerKindMax) != 0 {
		t.Fatal("an index ID past the block's range got an OID")
	}
}
