package kvbuf

import (
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/node/kv/memkv"
)

var seedFlag = flag.Uint64("seed", 0, "replay one seed of TestBufferMatchesModel")

// model is the reference: the whole visible key space, one copy per
// open savepoint level (index 0 = before the first savepoint).
type model struct{ levels []map[string]string }

func (m *model) top() map[string]string { return m.levels[len(m.levels)-1] }

const keySpace = 12

func key(i int) []byte { return []byte(fmt.Sprintf("k%02d", i)) }

// TestBufferMatchesModel drives a Buffer over a memkv transaction with
// random writes, range deletions, savepoints, rollbacks and releases, and
// compares every read (Get, Scan with limits, both directions) and the
// committed result with a model that copies the whole state per level.
func TestBufferMatchesModel(t *testing.T) {
	seeds := []uint64{*seedFlag}
	if *seedFlag == 0 {
		base := uint64(time.Now().UnixNano())
		for i := uint64(0); i < 200; i++ {
			seeds = append(seeds[:i], base+i)
		}
		t.Logf("seeds %d..%d", base, base+199)
	}
	for _, seed := range seeds {
		if err := runModel(seed); err != nil {
			t.Fatalf("seed %d: %v (replay: go test ./sql/kvbuf -run TestBufferMatchesModel -seed=%d)", seed, err, seed)
		}
	}
}

func runModel(seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	store := memkv.New()
	m := &model{levels: []map[string]string{{}}}
	// Committed data under the buffer.
	setup, _ := store.Begin(kv.TxnOptions{})
	for i := 0; i < keySpace; i += 1 + rng.IntN(3) {
		v := fmt.Sprintf("base%d", i)
		_ = setup.Put(key(i), []byte(v))
		m.top()[string(key(i))] = v
	}
	if _, err := store.Commit(setup); err != nil {
		return err
	}
	txn, _ := store.Begin(kv.TxnOptions{})
	b := New(txn, false)
	var depths []int // Savepoint() results, oldest first
	for step := 0; step < 60; step++ {
		if err := modelStep(rng, b, m, &depths, step); err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
	}
	if err := b.Flush(); err != nil {
		return err
	}
	if _, err := store.Commit(txn); err != nil {
		return err
	}
	check, _ := store.Begin(kv.TxnOptions{ReadOnly: true})
	defer store.Abort(check)
	kvs, err := check.Scan(nil, nil, 0, false)
	if err != nil {
		return err
	}
	got := map[string]string{}
	for _, kvp := range kvs {
		got[string(kvp.Key)] = string(kvp.Value)
	}
	if !maps.Equal(got, m.top()) {
		return fmt.Errorf("committed %v, model %v", got, m.top())
	}
	return nil
}

func modelStep(rng *rand.Rand, b *Buffer, m *model, depths *[]int, step int) error {
	k := rng.IntN(keySpace)
	switch op := rng.IntN(10); {
	case op < 3:
		v := fmt.Sprintf("v%d", step)
		m.top()[string(key(k))] = v
		return b.Put(key(k), []byte(v))
	case op < 4:
		delete(m.top(), string(key(k)))
		return b.Delete(key(k))
	case op < 5:
		hi := k + rng.IntN(4)
		for i := k; i < hi; i++ {
			delete(m.top(), string(key(i)))
		}
		return b.DeleteRange(key(k), key(hi))
	case op < 6:
		*depths = append(*depths, b.Savepoint())
		m.levels = append(m.levels, maps.Clone(m.top()))
	case op < 7 && len(*depths) > 0:
		i := rng.IntN(len(*depths))
		b.Rollback((*depths)[i])
		// ROLLBACK TO keeps the savepoint itself: state as when it was set.
		m.levels = append(m.levels[:i+1], maps.Clone(m.levels[i]))
		*depths = (*depths)[:i+1]
	case op < 8 && len(*depths) > 0:
		i := rng.IntN(len(*depths))
		b.Release((*depths)[i])
		m.levels = append(m.levels[:i], m.top())
		*depths = (*depths)[:i]
	default:
		return checkReads(rng, b, m)
	}
	return nil
}

func checkReads(rng *rand.Rand, b *Buffer, m *model) error {
	for i := 0; i < keySpace; i++ {
		v, ok, err := b.Get(key(i))
		want, wantOK := m.top()[string(key(i))]
		if err != nil || ok != wantOK || string(v) != want {
			return fmt.Errorf("Get(%s) = %q %v %v, model %q %v", key(i), v, ok, err, want, wantOK)
		}
	}
	lo, hi := rng.IntN(keySpace), rng.IntN(keySpace+1)
	limit, reverse := rng.IntN(4), rng.IntN(2) == 0
	kvs, err := b.Scan(key(lo), key(hi), limit, reverse)
	if err != nil {
		return err
	}
	var want []string
	for _, k := range slices.Sorted(maps.Keys(m.top())) {
		if k >= string(key(lo)) && k < string(key(hi)) {
			want = append(want, k+"="+m.top()[k])
		}
	}
	if reverse {
		slices.Reverse(want)
	}
	if limit > 0 && len(want) > limit {
		want = want[:limit]
	}
	var got []string
	for _, kvp := range kvs {
		got = append(got, string(kvp.Key)+"="+string(kvp.Value))
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("Scan(%d, %d, limit %d, reverse %v) = %v, model %v", lo, hi, limit, reverse, got, want)
	}
	return nil
}

func TestReadOnlyBufferRejectsWrites(t *testing.T) {
	store := memkv.New()
	txn, _ := store.Begin(kv.TxnOptions{ReadOnly: true})
	b := New(txn, true)
	for _, err := range []error{b.Put(key(1), nil), b.Delete(key(1)), b.DeleteRange(key(1), key(2))} {
		if err != kv.ErrReadOnly {
			t.Fatalf("write in a read-only buffer: %v", err)
		}
	}
}

// TestModelCatchesBrokenRollback proves the model test can fail: a
// Rollback that forgets to drop the layers above must be caught.
func TestModelCatchesBrokenRollback(t *testing.T) {
	store := memkv.New()
	txn, _ := store.Begin(kv.TxnOptions{})
	b := New(txn, false)
	m := &model{levels: []map[string]string{{}}}
	sp := b.Savepoint()
	m.levels = append(m.levels, maps.Clone(m.top()))
	_ = b.Put(key(1), []byte("x"))
	m.top()[string(key(1))] = "x"
	// Broken: the model rolls back, the buffer does not.
	m.levels = append(m.levels[:1], maps.Clone(m.levels[0]))
	_ = sp
	if err := checkReads(rand.New(rand.NewPCG(1, 2)), b, m); err == nil {
		t.Fatal("the read check accepted a buffer that kept a rolled-back write")
	}
}
