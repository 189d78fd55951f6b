package checker

import (
	"errors"
	"strings"
	"testing"
)

func mustLinearizable(t *testing.T, h History) LinearizabilityResult {
	t.Helper()
	res, err := Linearizable(h)
	if err != nil {
		t.Fatalf("Linearizable: %v", err)
	}
	return res
}

func TestRegisterAcceptsSequentialHistory(t *testing.T) {
	b := newBuilder(t)
	b.op(0, Get(1), Reply{}, 0, 1)
	b.op(0, Put(1, 5), done(), 2, 3)
	b.op(1, Get(1), got(5), 4, 5)
	b.op(1, CAS(1, 5, 6), swapped(), 6, 7)
	b.op(0, CAS(1, 5, 7), mismatch(), 8, 9)
	b.op(0, Get(1), got(6), 10, 11)
	b.op(0, Get(2), Reply{}, 12, 13)
	if res := mustLinearizable(t, b.history()); !res.OK {
		t.Fatalf("valid history rejected: %s\n%s", res.Verdict, b.history())
	}
}

func TestRegisterAcceptsConcurrentReorder(t *testing.T) {
	// The get overlaps the put, so it may see either value.
	b := newBuilder(t)
	b.op(0, Put(1, 1), done(), 0, 1)
	p := b.invoke(0, Put(1, 2), 2)
	g := b.invoke(1, Get(1), 3)
	b.ok(g, got(1), 4)
	b.ok(p, done(), 5)
	if res := mustLinearizable(t, b.history()); !res.OK {
		t.Fatalf("valid concurrent history rejected")
	}
}

func TestRegisterRejectsStaleRead(t *testing.T) {
	// put 2 completes, then a later get still returns 1.
	b := newBuilder(t)
	b.op(0, Put(1, 1), done(), 0, 1)
	b.op(0, Put(1, 2), done(), 2, 3)
	b.op(1, Get(1), got(1), 4, 5)
	b.op(1, Put(2, 1), done(), 6, 7) // another key, linearizable
	res := mustLinearizable(t, b.history())
	if res.OK {
		t.Fatalf("stale read accepted:\n%s", b.history())
	}
	if len(res.FailedKeys) != 1 || res.FailedKeys[0] != 1 {
		t.Fatalf("FailedKeys = %v, want [1]", res.FailedKeys)
	}
	var html strings.Builder
	if err := res.WriteHTML(&html); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	if !strings.Contains(html.String(), "<html") {
		t.Fatalf("visualization is not HTML: %.200s", html.String())
	}
}

func TestRegisterRejectsLostUpdateViaCAS(t *testing.T) {
	// Two clients both CAS 0->x successfully: one update was lost.
	b := newBuilder(t)
	b.op(0, Put(1, 0), done(), 0, 1)
	c1 := b.invoke(0, CAS(1, 0, 10), 2)
	c2 := b.invoke(1, CAS(1, 0, 20), 2)
	b.ok(c1, swapped(), 3)
	b.ok(c2, swapped(), 3)
	b.op(0, Get(1), got(20), 4, 5)
	if res := mustLinearizable(t, b.history()); res.OK {
		t.Fatalf("lost update accepted:\n%s", b.history())
	}
}

func TestRegisterRejectsNonexistentValue(t *testing.T) {
	b := newBuilder(t)
	b.op(0, Put(1, 1), done(), 0, 1)
	b.op(1, Get(1), got(9), 2, 3)
	if res := mustLinearizable(t, b.history()); res.OK {
		t.Fatalf("read of a never-written value accepted")
	}
}

func TestRegisterUnknownPutThatHappened(t *testing.T) {
	b := newBuilder(t)
	b.op(0, Put(1, 1), done(), 0, 1)
	p := b.invoke(0, Put(1, 2), 2)
	b.unknown(p, 3)
	// Long after the timeout, the write is visible: it took effect late.
	b.op(1, Get(1), got(2), 10, 11)
	if res := mustLinearizable(t, b.history()); !res.OK {
		t.Fatalf("unknown put that happened rejected:\n%s", b.history())
	}
}

func TestRegisterUnknownPutThatDidNotHappen(t *testing.T) {
	b := newBuilder(t)
	b.op(0, Put(1, 1), done(), 0, 1)
	p := b.invoke(0, Put(1, 2), 2)
	b.unknown(p, 3)
	b.op(1, Get(1), got(1), 10, 11)
	if res := mustLinearizable(t, b.history()); !res.OK {
		t.Fatalf("unknown put that did not happen rejected:\n%s", b.history())
	}
}

func TestRegisterUnknownCASBothWays(t *testing.T) {
	for _, seen := range []int64{1, 2} {
		b := newBuilder(t)
		b.op(0, Put(1, 1), done(), 0, 1)
		c := b.invoke(0, CAS(1, 1, 2), 2)
		b.unknown(c, 3)
		b.op(1, Get(1), got(seen), 10, 11)
		if res := mustLinearizable(t, b.history()); !res.OK {
			t.Fatalf("unknown cas, later read %d: rejected", seen)
		}
	}
}

func TestRegisterUnknownPutCannotTimeTravel(t *testing.T) {
	// An ambiguous put may take effect late but never before it was invoked.
	b := newBuilder(t)
	b.op(0, Put(1, 1), done(), 0, 1)
	b.op(1, Get(1), got(2), 2, 3)
	p := b.invoke(0, Put(1, 2), 4)
	b.unknown(p, 5)
	if res := mustLinearizable(t, b.history()); res.OK {
		t.Fatalf("read of a value before its (ambiguous) write accepted")
	}
}

func TestRegisterFailedAndPendingOps(t *testing.T) {
	b := newBuilder(t)
	b.op(0, Put(1, 1), done(), 0, 1)
	f := b.invoke(0, Put(1, 2), 2)
	b.fail(f, 3)
	g := b.invoke(2, Get(1), 4) // pending forever: dropped
	_ = g
	b.invoke(3, Put(1, 3), 4) // pending: may happen at any time after 4
	b.op(1, Get(1), got(1), 5, 6)
	b.op(1, Get(1), got(3), 7, 8)
	if res := mustLinearizable(t, b.history()); !res.OK {
		t.Fatalf("history with failed and pending ops rejected:\n%s", b.history())
	}
	// A failed put definitely did not happen: seeing its value is a bug.
	b2 := newBuilder(t)
	f = b2.invoke(0, Put(1, 2), 0)
	b2.fail(f, 1)
	b2.op(1, Get(1), got(2), 2, 3)
	if res := mustLinearizable(t, b2.history()); res.OK {
		t.Fatalf("read of a failed put accepted")
	}
}

func TestRegisterHandBuiltHistoryWithoutEvents(t *testing.T) {
	// Decoded histories may carry records only; an ambiguous put invoked
	// after every return must still get a return time after its call.
	h := History{Records: []Record{
		{ID: 0, Op: Put(1, 1), Status: StatusOK, InvokeTime: 0, ReturnTime: 1},
		{ID: 1, Op: Put(1, 2), Status: StatusUnknown, InvokeTime: 50, ReturnTime: 50},
		{ID: 2, Op: Put(1, 3), Status: StatusPending, InvokeTime: 60},
	}}
	if res := mustLinearizable(t, h); !res.OK {
		t.Fatalf("hand-built history rejected")
	}
}

func TestRegisterAcceptsDeletes(t *testing.T) {
	b := newBuilder(t)
	b.op(0, Put(1, 5), done(), 0, 1)
	b.op(0, Delete(1), done(), 2, 3)
	b.op(1, Get(1), Reply{}, 4, 5)
	b.op(1, CAS(1, 5, 6), mismatch(), 6, 7) // absent: cas fails
	b.op(0, Delete(1), done(), 8, 9)        // deleting nothing is fine
	b.op(0, Put(1, 7), done(), 10, 11)
	b.op(1, Get(1), got(7), 12, 13)
	b.op(1, CAS(1, 7, 8), swapped(), 14, 15)
	b.op(0, Get(1), got(8), 16, 17)
	if res := mustLinearizable(t, b.history()); !res.OK {
		t.Fatalf("valid history with deletes rejected:\n%s", b.history())
	}
}

func TestRegisterConcurrentDeleteEitherWay(t *testing.T) {
	// Two gets overlap the delete: one saw the value, one did not.
	b := newBuilder(t)
	b.op(0, Put(1, 5), done(), 0, 1)
	d := b.invoke(0, Delete(1), 2)
	g1 := b.invoke(1, Get(1), 3)
	g2 := b.invoke(2, Get(1), 3)
	b.ok(g1, got(5), 4)
	b.ok(g2, Reply{}, 5)
	b.ok(d, done(), 6)
	if res := mustLinearizable(t, b.history()); !res.OK {
		t.Fatalf("concurrent delete rejected:\n%s", b.history())
	}
}

func TestRegisterRejectsReadAfterDelete(t *testing.T) {
	// The delete completed and no put followed, yet the value came back.
	b := newBuilder(t)
	b.op(0, Put(1, 5), done(), 0, 1)
	b.op(0, Delete(1), done(), 2, 3)
	b.op(1, Get(1), got(5), 4, 5)
	res := mustLinearizable(t, b.history())
	if res.OK {
		t.Fatalf("read of a deleted value accepted:\n%s", b.history())
	}
	if len(res.FailedKeys) != 1 || res.FailedKeys[0] != 1 {
		t.Fatalf("FailedKeys = %v, want [1]", res.FailedKeys)
	}
}

func TestRegisterRejectsCASOnDeletedKey(t *testing.T) {
	b := newBuilder(t)
	b.op(0, Put(1, 5), done(), 0, 1)
	b.op(0, Delete(1), done(), 2, 3)
	b.op(1, CAS(1, 5, 6), swapped(), 4, 5)
	if res := mustLinearizable(t, b.history()); res.OK {
		t.Fatalf("cas on a deleted key swapped, accepted:\n%s", b.history())
	}
}

func TestRegisterRejectsReadOfAbsentBeforeDelete(t *testing.T) {
	// The get completed before the delete was invoked: it must see 5.
	b := newBuilder(t)
	b.op(0, Put(1, 5), done(), 0, 1)
	b.op(1, Get(1), Reply{}, 2, 3)
	b.op(0, Delete(1), done(), 4, 5)
	if res := mustLinearizable(t, b.history()); res.OK {
		t.Fatalf("absent read before the delete accepted:\n%s", b.history())
	}
}

func TestRegisterUnknownDeleteBothWays(t *testing.T) {
	for _, later := range []Reply{got(5), {}} {
		b := newBuilder(t)
		b.op(0, Put(1, 5), done(), 0, 1)
		d := b.invoke(0, Delete(1), 2)
		b.unknown(d, 3)
		b.op(1, Get(1), later, 10, 11)
		if res := mustLinearizable(t, b.history()); !res.OK {
			t.Fatalf("unknown delete, later get %+v, rejected:\n%s", later, b.history())
		}
	}
}

func TestRegisterUnknownDeleteCannotTimeTravel(t *testing.T) {
	// An ambiguous delete may happen late, never before its invocation.
	b := newBuilder(t)
	b.op(0, Put(1, 5), done(), 0, 1)
	b.op(1, Get(1), Reply{}, 2, 3)
	d := b.invoke(0, Delete(1), 4)
	b.unknown(d, 5)
	if res := mustLinearizable(t, b.history()); res.OK {
		t.Fatalf("get saw the effect of a later delete, accepted:\n%s", b.history())
	}
}

func TestRegisterFailedDeleteHadNoEffect(t *testing.T) {
	b := newBuilder(t)
	b.op(0, Put(1, 5), done(), 0, 1)
	d := b.invoke(0, Delete(1), 2)
	b.fail(d, 3)
	b.op(1, Get(1), got(5), 4, 5)
	if res := mustLinearizable(t, b.history()); !res.OK {
		t.Fatalf("failed delete treated as applied:\n%s", b.history())
	}
	b.op(1, Get(1), Reply{}, 6, 7)
	if res := mustLinearizable(t, b.history()); res.OK {
		t.Fatalf("value vanished after only a failed delete, accepted:\n%s", b.history())
	}
}

func TestRegisterDeleteRange(t *testing.T) {
	b := newBuilder(t)
	for k := int64(1); k <= 4; k++ {
		b.op(0, Put(k, 10*k), done(), int(2*k), int(2*k+1))
	}
	b.op(0, DeleteRange(2, 4), done(), 10, 11)
	b.op(1, Get(1), got(10), 12, 13)
	b.op(1, Get(2), Reply{}, 14, 15)
	b.op(1, Get(3), Reply{}, 16, 17)
	b.op(1, Get(4), got(40), 18, 19) // the end is exclusive
	if res := mustLinearizable(t, b.history()); !res.OK {
		t.Fatalf("valid delete-range history rejected:\n%s", b.history())
	}
	if res, _ := Linearizable(b.history()); res.Ops != 4+4+2 {
		t.Fatalf("Ops = %d, want 10 (the range counts once per key)", res.Ops)
	}
	b.op(1, Get(3), got(30), 20, 21)
	res := mustLinearizable(t, b.history())
	if res.OK {
		t.Fatalf("key resurrected after a delete-range, accepted:\n%s", b.history())
	}
	if len(res.FailedKeys) != 1 || res.FailedKeys[0] != 3 {
		t.Fatalf("FailedKeys = %v, want [3]", res.FailedKeys)
	}
	var html strings.Builder
	if err := res.WriteHTML(&html); err != nil || !strings.Contains(html.String(), "delete-range") {
		t.Fatalf("visualization lacks the delete-range (err %v)", err)
	}
}

func TestRegisterUnknownDeleteRange(t *testing.T) {
	// Ambiguous: it may land late (k2 absent later) or never (k3 kept).
	b := newBuilder(t)
	b.op(0, Put(2, 2), done(), 0, 1)
	b.op(0, Put(3, 3), done(), 2, 3)
	d := b.invoke(0, DeleteRange(2, 4), 4)
	b.unknown(d, 5)
	b.op(1, Get(2), Reply{}, 10, 11)
	b.op(1, Get(3), Reply{}, 12, 13)
	if res := mustLinearizable(t, b.history()); !res.OK {
		t.Fatalf("unknown delete-range that happened rejected:\n%s", b.history())
	}
}

func TestRecorderRejectsBadDeleteRange(t *testing.T) {
	bad := []Op{
		DeleteRange(3, 3),
		DeleteRange(4, 3),
		DeleteRange(0, DeleteRangeKeysMax+1),
		DeleteRange(-1<<63, 1<<63-1), // the span overflows int64
	}
	for _, op := range bad {
		if _, err := NewRecorder(0).Invoke(0, op, 0); !errors.Is(err, ErrBadOp) {
			t.Errorf("Invoke(%s) = %v, want ErrBadOp", op, err)
		}
		h := History{Records: []Record{{Op: op}}}
		if err := h.Validate(); !errors.Is(err, ErrBadOp) {
			t.Errorf("Validate(%s) = %v, want ErrBadOp", op, err)
		}
	}
	if _, err := NewRecorder(0).Invoke(0, DeleteRange(0, DeleteRangeKeysMax), 0); err != nil {
		t.Errorf("largest delete-range refused: %v", err)
	}
}

func TestDumpDeletes(t *testing.T) {
	b := newBuilder(t)
	b.op(0, Delete(4), done(), 0, 1)
	b.op(0, DeleteRange(1, 3), done(), 2, 3)
	want := "" +
		"   0.000000s c0 #0 invoke  delete k4\n" +
		"   0.001000s c0 #0 ok      delete k4\n" +
		"   0.002000s c0 #1 invoke  delete-range [k1,k3)\n" +
		"   0.003000s c0 #1 ok      delete-range [k1,k3)\n"
	if got := b.history().String(); got != want {
		t.Fatalf("dump:\n%s\nwant:\n%s", got, want)
	}
}
