package checker

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// txn records a committed transaction: ops are as observed (reads filled
// in); the request is the same with the reads blanked.
func (b *builder) txn(client, from, to int, ops ...Micro) OpID {
	b.t.Helper()
	id := b.invoke(client, Txn(request(ops)...), from)
	b.ok(id, Reply{Txn: ops}, to)
	return id
}

// concurrent records transactions all invoked at from and all committed
// at to, in argument order.
func (b *builder) concurrent(from, to int, txns ...[]Micro) []OpID {
	b.t.Helper()
	ids := make([]OpID, len(txns))
	for i, ops := range txns {
		ids[i] = b.invoke(i, Txn(request(ops)...), from)
	}
	for i, ops := range txns {
		b.ok(ids[i], Reply{Txn: ops}, to)
	}
	return ids
}

func ops(ms ...Micro) []Micro { return ms }

func request(ops []Micro) []Micro {
	req := make([]Micro, len(ops))
	for i, m := range ops {
		req[i] = Micro{Kind: m.Kind, Key: m.Key, Value: m.Value}
	}
	return req
}

var (
	ap = Append
	rd = ReadResult
)

func mustListAppend(t *testing.T, h History, opts ListAppendOptions) Result {
	t.Helper()
	res, err := CheckListAppend(h, opts)
	if err != nil {
		t.Fatalf("CheckListAppend: %v", err)
	}
	return res
}

func expectValid(t *testing.T, h History, opts ListAppendOptions) Result {
	t.Helper()
	res := mustListAppend(t, h, opts)
	if !res.Valid {
		t.Fatalf("valid history rejected (strict=%v): %s\n%s", opts.Strict, describe(res), h)
	}
	return res
}

// expectAnomaly checks the history is rejected with exactly one anomaly of
// the given kind, and returns it.
func expectAnomaly(t *testing.T, h History, opts ListAppendOptions, kind AnomalyKind) Anomaly {
	t.Helper()
	res := mustListAppend(t, h, opts)
	if res.Valid || len(res.Anomalies) != 1 || res.Anomalies[0].Kind != kind {
		t.Fatalf("want exactly one %s, got valid=%v: %s\n%s", kind, res.Valid, describe(res), h)
	}
	return res.Anomalies[0]
}

// expectKinds checks the anomalies found are exactly kinds, in order.
func expectKinds(t *testing.T, h History, opts ListAppendOptions, kinds ...AnomalyKind) {
	t.Helper()
	res := mustListAppend(t, h, opts)
	var got []AnomalyKind
	for _, a := range res.Anomalies {
		got = append(got, a.Kind)
	}
	if fmt.Sprint(got) != fmt.Sprint(kinds) || res.Valid != (len(kinds) == 0) {
		t.Fatalf("anomalies %v, want %v: %s\n%s", got, kinds, describe(res), h)
	}
}

func describe(res Result) string {
	var parts []string
	for _, a := range res.Anomalies {
		parts = append(parts, string(a.Kind)+": "+a.Explanation)
	}
	return strings.Join(parts, "\n")
}

func cycleIDs(a Anomaly) []OpID {
	var ids []OpID
	for _, s := range a.Cycle {
		ids = append(ids, s.From)
	}
	return ids
}

func sameIDs(a, b []OpID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var (
	plain  = ListAppendOptions{}
	strict = ListAppendOptions{Strict: true}
)

func TestListAppendAcceptsSerialHistory(t *testing.T) {
	b := newBuilder(t)
	b.txn(0, 0, 1, ap(1, 1), rd(2))
	b.txn(1, 2, 3, rd(1, 1), ap(1, 2), rd(1, 1, 2), ap(2, 1))
	b.txn(0, 4, 5, rd(1, 1, 2), rd(2, 1), ap(2, 2))
	res := expectValid(t, b.history(), strict)
	if res.Stats.Committed != 3 || res.Stats.Edges == 0 {
		t.Fatalf("stats = %+v", res.Stats)
	}
	expectValid(t, b.history(), plain)
}

func TestListAppendG0(t *testing.T) {
	b := newBuilder(t)
	ids := b.concurrent(0, 5, ops(ap(1, 1), ap(2, 1)), ops(ap(1, 2), ap(2, 2)))
	t1, t2 := ids[0], ids[1]
	b.txn(2, 6, 7, rd(1, 1, 2), rd(2, 2, 1))
	a := expectAnomaly(t, b.history(), plain, AnomalyG0)
	if !sameIDs(cycleIDs(a), []OpID{t1, t2}) {
		t.Fatalf("cycle %v, want [%d %d]", cycleIDs(a), t1, t2)
	}
	for _, s := range a.Cycle {
		if s.Kind != EdgeWW {
			t.Fatalf("G0 step %+v is not ww", s)
		}
	}
	want := "T1 appended 2 to key 1 right after T0 appended 1"
	if !strings.Contains(a.Explanation, want) {
		t.Fatalf("explanation lacks %q:\n%s", want, a.Explanation)
	}
}

func TestListAppendG1c(t *testing.T) {
	b := newBuilder(t)
	b.concurrent(0, 5, ops(ap(1, 1), rd(2, 1)), ops(ap(2, 1), rd(1, 1)))
	a := expectAnomaly(t, b.history(), plain, AnomalyG1c)
	want := "G1c cycle: T0 -wr-> T1 -wr-> T0"
	if !strings.HasPrefix(a.Explanation, want) {
		t.Fatalf("explanation:\n%s\nwant prefix %q", a.Explanation, want)
	}
}

func TestListAppendGSingleReadSkew(t *testing.T) {
	b := newBuilder(t)
	b.txn(0, 0, 1, ap(1, 1), ap(2, 1))
	// T1 sees x before T2 and y after T2: read skew.
	b.concurrent(2, 5, ops(rd(1, 1), rd(2, 1, 2)), ops(ap(1, 2), ap(2, 2)))
	b.txn(0, 6, 7, rd(1, 1, 2))
	a := expectAnomaly(t, b.history(), plain, AnomalyGSingle)
	if !strings.Contains(a.Explanation, "T1 read key 1 = [1], missing T2's append of 2, which came next") {
		t.Fatalf("explanation:\n%s", a.Explanation)
	}
}

func TestListAppendG2WriteSkew(t *testing.T) {
	b := newBuilder(t)
	b.concurrent(0, 5, ops(rd(1), rd(2), ap(1, 1)), ops(rd(1), rd(2), ap(2, 1)))
	// No later read: the order of each key comes from its one unread append.
	a := expectAnomaly(t, b.history(), plain, AnomalyG2)
	if len(a.Cycle) != 2 || a.Cycle[0].Kind != EdgeRW || a.Cycle[1].Kind != EdgeRW {
		t.Fatalf("G2 cycle %+v", a.Cycle)
	}
	b.txn(2, 6, 7, rd(1, 1), rd(2, 1))
	expectAnomaly(t, b.history(), plain, AnomalyG2)
}

func TestListAppendG1aAbortedRead(t *testing.T) {
	b := newBuilder(t)
	t1 := b.invoke(0, Txn(ap(1, 1)), 0)
	b.fail(t1, 1)
	b.txn(1, 2, 3, rd(1, 1))
	a := expectAnomaly(t, b.history(), plain, AnomalyG1a)
	if !strings.Contains(a.Explanation, "appended by T0, which aborted") {
		t.Fatalf("explanation: %s", a.Explanation)
	}
}

func TestListAppendG1bIntermediateRead(t *testing.T) {
	b := newBuilder(t)
	b.txn(0, 0, 1, ap(1, 1), ap(1, 2))
	b.txn(1, 2, 3, rd(1, 1))
	expectAnomaly(t, b.history(), plain, AnomalyG1b)
}

func TestListAppendReadsPastOwnAppends(t *testing.T) {
	// T1 reads key 1 after its own append: the wr dependency on T0 is the
	// last element that is not its own.
	b := newBuilder(t)
	b.concurrent(0, 5, ops(ap(1, 1), ap(3, 9)), ops(rd(3), ap(1, 2), rd(1, 1, 2)))
	expectAnomaly(t, b.history(), plain, AnomalyGSingle)
	b2 := newBuilder(t)
	b2.concurrent(0, 5, ops(ap(1, 1), ap(1, 3)), ops(ap(1, 2), rd(1, 1, 2)))
	// T1's append landed between T0's two: an intermediate read, and a
	// write cycle once T0's unread 3 is placed after everything seen.
	expectKinds(t, b2.history(), plain, AnomalyG1b, AnomalyG0)
}

func TestListAppendIncompatibleOrder(t *testing.T) {
	b := newBuilder(t)
	b.concurrent(0, 1, ops(ap(1, 1)), ops(ap(1, 2)))
	b.concurrent(2, 3, ops(rd(1, 1, 2)), ops(rd(1, 2, 1)))
	expectAnomaly(t, b.history(), plain, AnomalyIncompatibleOrder)
}

func TestListAppendRealtimeOnlyWithStrict(t *testing.T) {
	b := newBuilder(t)
	b.txn(0, 0, 1, ap(1, 1))
	// Begins after T0 committed, yet does not see its append: serializable
	// (order T1, T0) but not strictly serializable.
	b.txn(1, 2, 3, rd(1))
	expectValid(t, b.history(), plain)
	a := expectAnomaly(t, b.history(), strict, AnomalyGSingle+realtimeSuffix)
	if !strings.Contains(a.Explanation, "T0 returned at 0.001000s, before T1 was invoked at 0.002000s") {
		t.Fatalf("explanation:\n%s", a.Explanation)
	}
}

func TestListAppendGarbageRead(t *testing.T) {
	b := newBuilder(t)
	b.txn(0, 0, 1, ap(1, 1))
	b.txn(1, 2, 3, rd(1, 1, 9))
	expectAnomaly(t, b.history(), plain, AnomalyGarbageRead)
}

func TestListAppendDuplicateElements(t *testing.T) {
	b := newBuilder(t)
	b.txn(0, 0, 1, ap(1, 1))
	b.txn(1, 2, 3, rd(1, 1, 1))
	expectAnomaly(t, b.history(), plain, AnomalyDuplicateElements)
}

func TestListAppendInternal(t *testing.T) {
	b := newBuilder(t)
	b.txn(0, 0, 1, ap(1, 1), rd(1))
	expectAnomaly(t, b.history(), plain, AnomalyInternal)
	b2 := newBuilder(t)
	b2.txn(0, 0, 1, ap(1, 5))
	b2.txn(1, 2, 3, rd(1, 5), ap(1, 6), rd(1, 5, 6), rd(1, 5, 6))
	expectValid(t, b2.history(), strict)
}

func TestListAppendUnknownTxnThatHappened(t *testing.T) {
	b := newBuilder(t)
	u := b.invoke(0, Txn(ap(1, 1), ap(2, 1)), 0)
	b.unknown(u, 1)
	b.txn(1, 5, 6, rd(1, 1))
	res := expectValid(t, b.history(), strict)
	if res.Stats.Promoted != 1 || res.Stats.Unknown != 1 {
		t.Fatalf("stats = %+v", res.Stats)
	}
	// Promoted, it is a writer like any other: a later reader that misses
	// its other append while seeing this one reads a torn transaction.
	b.txn(2, 7, 8, rd(1, 1), rd(2))
	expectAnomaly(t, b.history(), plain, AnomalyGSingle)
}

func TestListAppendUnknownTxnThatDidNotHappen(t *testing.T) {
	b := newBuilder(t)
	u := b.invoke(0, Txn(ap(1, 1)), 0)
	b.unknown(u, 1)
	b.invoke(2, Txn(ap(1, 3)), 1) // never returns: pending
	b.txn(1, 5, 6, rd(1))
	b.txn(1, 7, 8, ap(1, 2), rd(1, 2))
	res := expectValid(t, b.history(), strict)
	if res.Stats.Promoted != 0 || res.Stats.Aborted != 0 || res.Stats.Unknown != 2 {
		t.Fatalf("stats = %+v", res.Stats)
	}
}

func TestListAppendBadInput(t *testing.T) {
	b := newBuilder(t)
	b.txn(0, 0, 1, ap(1, 1))
	b.txn(1, 2, 3, ap(1, 1))
	if _, err := CheckListAppend(b.history(), plain); !errors.Is(err, ErrBadListAppendHistory) {
		t.Fatalf("duplicate append: err = %v", err)
	}
	b2 := newBuilder(t)
	id := b2.invoke(0, Txn(Read(1)), 0)
	b2.ok(id, Reply{Txn: []Micro{ap(1, 1)}}, 1)
	if _, err := CheckListAppend(b2.history(), plain); !errors.Is(err, ErrBadListAppendHistory) {
		t.Fatalf("mismatched reply: err = %v", err)
	}
	b3 := newBuilder(t)
	b3.txn(0, 0, 1, Micro{Kind: 9, Key: 1})
	if _, err := CheckListAppend(b3.history(), plain); !errors.Is(err, ErrBadListAppendHistory) {
		t.Fatalf("unknown micro-op kind: err = %v", err)
	}
}

func TestListAppendDeterministicReport(t *testing.T) {
	// Six concurrent txns each append to keys i and i+1 (mod 6); the read
	// orders them in a ring, T0 < T1 < ... < T5 < T0, plus a wr cycle.
	build := func() History {
		b := newBuilder(t)
		var txns [][]Micro
		for i := int64(0); i < 6; i++ {
			txns = append(txns, ops(ap(i, 1+10*i), ap((i+1)%6, 2+10*i)))
		}
		txns = append(txns, ops(ap(10, 1), rd(11, 1)), ops(ap(11, 1), rd(10, 1)))
		b.concurrent(0, 5, txns...)
		var reads []Micro
		for i := int64(0); i < 6; i++ {
			reads = append(reads, rd(i, 2+10*((i+5)%6), 1+10*i))
		}
		b.txn(9, 6, 7, reads...)
		return b.history()
	}
	res := mustListAppend(t, build(), strict)
	first := describe(res)
	for i := 0; i < 20; i++ {
		if got := describe(mustListAppend(t, build(), strict)); got != first {
			t.Fatalf("report changed between runs:\n%s\n---\n%s", first, got)
		}
	}
	if len(res.Anomalies) != 2 || res.Anomalies[0].Kind != AnomalyG0 || res.Anomalies[1].Kind != AnomalyG1c {
		t.Fatalf("want G0 then G1c:\n%s", first)
	}
	if !sameIDs(cycleIDs(res.Anomalies[0]), []OpID{0, 1, 2, 3, 4, 5}) {
		t.Fatalf("G0 cycle %v", cycleIDs(res.Anomalies[0]))
	}
}
