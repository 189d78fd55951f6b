package lsm

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/lineradb/lineradb/diskio"
)

// batchModelOp is what a normalized batch must hold for one key or range.
type batchModelOp struct {
	kind       Kind
	key, value string
}

// TestBatchNormalizesAndRoundTrips builds batches of random ops (small
// ones scanned linearly, large ones hashed), reusing one Batch through
// Reset, and checks the live ops against a model applied op by op, and
// that the WAL record decodes back to the same ops.
func TestBatchNormalizesAndRoundTrips(t *testing.T) {
	seed := uint64(11)
	rng := rand.New(rand.NewPCG(seed, 1))
	var b Batch
	for round := range 300 {
		b.Reset()
		n := 1 + rng.IntN([]int{4, 40, 400}[round%3])
		var model []batchModelOp
		for range n {
			k := fmt.Sprintf("k%02d", rng.IntN(30))
			switch rng.IntN(8) {
			case 0:
				b.Delete([]byte(k))
				model = modelPoint(model, batchModelOp{KindDelete, k, ""})
			case 1:
				e := fmt.Sprintf("k%02d", rng.IntN(30))
				b.DeleteRange([]byte(k), []byte(e))
				if k < e {
					var kept []batchModelOp
					for _, op := range model {
						if op.kind == KindRangeDelete || op.key < k || op.key >= e {
							kept = append(kept, op)
						}
					}
					model = append(kept, batchModelOp{KindRangeDelete, k, e})
				}
			default:
				v := fmt.Sprintf("v%d", rng.IntN(1000))
				b.Set([]byte(k), []byte(v))
				model = modelPoint(model, batchModelOp{KindSet, k, v})
			}
		}
		got := batchOps(&b)
		if fmt.Sprint(got) != fmt.Sprint(model) || b.Len() != len(model) {
			t.Fatalf("seed %d round %d: batch holds %v (Len %d), want %v", seed, round, got, b.Len(), model)
		}
		rec := b.record(uint64(round + 1))
		payload, next, ok := recordAt(rec, 0)
		if !ok || next != len(rec) {
			t.Fatalf("seed %d round %d: record does not parse", seed, round)
		}
		db, seq, err := decodeBatch(payload)
		if err != nil || seq != uint64(round+1) || fmt.Sprint(batchOps(db)) != fmt.Sprint(model) {
			t.Fatalf("seed %d round %d: decoded seq %d %v (%v), want %v", seed, round, seq, batchOps(db), err, model)
		}
		// Adding after a record was taken keeps normalizing correctly.
		if len(model) > 0 && model[0].kind != KindRangeDelete {
			b.Set([]byte(model[0].key), []byte("again"))
			model = modelPoint(model, batchModelOp{KindSet, model[0].key, "again"})
			if got := batchOps(&b); fmt.Sprint(got) != fmt.Sprint(model) {
				t.Fatalf("seed %d round %d: after record, batch holds %v, want %v", seed, round, got, model)
			}
		}
	}
}

func modelPoint(model []batchModelOp, op batchModelOp) []batchModelOp {
	for i, m := range model {
		if m.kind != KindRangeDelete && m.key == op.key {
			model = append(model[:i:i], model[i+1:]...)
			break
		}
	}
	return append(model, op)
}

func batchOps(b *Batch) []batchModelOp {
	var out []batchModelOp
	for i := range b.ops {
		if op := &b.ops[i]; !op.removed {
			out = append(out, batchModelOp{op.kind, string(b.key(op)), string(b.value(op))})
		}
	}
	return out
}

// TestBatchFindSurvivesHashCollision forces two keys onto one hash slot:
// a later op on the first key must still replace its earlier op.
func TestBatchFindSurvivesHashCollision(t *testing.T) {
	var b Batch
	for i := range batchLinearOpsMax {
		b.Set(fmt.Appendf(nil, "k%02d", i), []byte("v"))
	}
	b.Set([]byte("b"), []byte("1"))
	// Pretend "a" hashes like "b": heads then points at b's op for a's hash.
	b.Set([]byte("a"), []byte("1"))
	b.heads[bloomHash([]byte("a"))] = b.heads[bloomHash([]byte("b"))]
	b.Set([]byte("a"), []byte("2"))
	if b.Len() != batchLinearOpsMax+2 {
		t.Fatalf("Len %d after replacing a: the earlier op on a survived", b.Len())
	}
}

// TestWALBuffered: unsynced batches share write calls; a synced one, and
// everything before it, survives a crash; Close writes what is buffered.
func TestWALBuffered(t *testing.T) {
	fs := diskio.NewMemFS(2)
	d := mustOpen(t, fs, Options{})
	w0 := fs.Calls(diskio.OpWrite)
	want := map[string]string{}
	for i := range 200 {
		k, v := fmt.Sprintf("k%03d", i), fmt.Sprintf("v%d", i)
		if err := d.Set([]byte(k), []byte(v), WriteOptions{Sync: i == 99}); err != nil {
			t.Fatal(err)
		}
		if i <= 99 {
			want[k] = v
		}
	}
	if writes := fs.Calls(diskio.OpWrite) - w0; writes > 5 {
		t.Fatalf("200 small batches took %d writes: the WAL is not buffered", writes)
	}
	fs.Crash()
	d = mustOpen(t, fs, Options{})
	if err := compareContents(d, want); err != nil {
		t.Fatalf("after a crash: %v", err)
	}
	for i := range 10 {
		k := fmt.Sprintf("n%d", i)
		if err := d.Set([]byte(k), []byte("x"), WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		want[k] = "x"
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d = mustOpen(t, fs, Options{})
	defer d.Close()
	if err := compareContents(d, maps.Clone(want)); err != nil {
		t.Fatalf("after Close and reopen: %v", err)
	}
}
