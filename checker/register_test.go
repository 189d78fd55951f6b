package checker

import (
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
