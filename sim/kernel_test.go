package sim

import (
	"errors"
	"testing"
	"time"
)

func TestKernelOrdersByTimeThenSeq(t *testing.T) {
	k := NewKernel(1)
	var got []string
	add := func(d time.Duration, name string) {
		k.Schedule(d, name, func() { got = append(got, name) })
	}
	add(3*time.Millisecond, "c")
	add(time.Millisecond, "a1")
	add(2*time.Millisecond, "b")
	add(time.Millisecond, "a2") // same time as a1, scheduled later: runs after
	add(0, "zero")
	for k.Step() {
	}
	want := []string{"zero", "a1", "a2", "b", "c"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if k.Now() != 3*time.Millisecond {
		t.Fatalf("now = %v, want 3ms", k.Now())
	}
}

func TestKernelEventsScheduledByEventsRunInOrder(t *testing.T) {
	k := NewKernel(1)
	var got []time.Duration
	var tick func()
	tick = func() {
		got = append(got, k.Now())
		if len(got) < 5 {
			k.Schedule(10*time.Millisecond, "tick", tick)
		}
	}
	k.Schedule(0, "tick", tick)
	if err := k.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	for i, at := range got {
		if at != time.Duration(i)*10*time.Millisecond {
			t.Fatalf("tick %d at %v", i, at)
		}
	}
	if len(got) != 5 || k.Now() != time.Second {
		t.Fatalf("ticks=%d now=%v", len(got), k.Now())
	}
}

func TestKernelCancel(t *testing.T) {
	k := NewKernel(1)
	ran := map[string]bool{}
	ids := map[string]EventID{}
	for _, name := range []string{"a", "b", "c", "d"} {
		ids[name] = k.Schedule(time.Millisecond, name, func() { ran[name] = true })
	}
	if !k.Cancel(ids["b"]) {
		t.Fatal("cancel of pending event reported false")
	}
	if k.Cancel(ids["b"]) {
		t.Fatal("second cancel reported true")
	}
	if k.Cancel(EventID(9999)) {
		t.Fatal("cancel of unknown id reported true")
	}
	k.Schedule(0, "cancel-d", func() { k.Cancel(ids["d"]) })
	for k.Step() {
	}
	if !ran["a"] || ran["b"] || !ran["c"] || ran["d"] {
		t.Fatalf("ran = %v, want a and c only", ran)
	}
	if k.Cancel(ids["a"]) {
		t.Fatal("cancel of an event that already ran reported true")
	}
}

func TestKernelRunUntil(t *testing.T) {
	k := NewKernel(1)
	count := 0
	var tick func()
	tick = func() {
		count++
		k.Schedule(time.Millisecond, "tick", tick)
	}
	k.Schedule(time.Millisecond, "tick", tick)
	ok, err := k.RunUntil(time.Second, func() bool { return count == 10 })
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if k.Now() != 10*time.Millisecond {
		t.Fatalf("stopped at %v, want 10ms", k.Now())
	}
	ok, err = k.RunUntil(50*time.Millisecond, func() bool { return count == 1000 })
	if err != nil || ok {
		t.Fatalf("ok=%v err=%v, want deadline", ok, err)
	}
	if k.Now() != 50*time.Millisecond || count != 50 {
		t.Fatalf("now=%v count=%d, want 50ms and 50", k.Now(), count)
	}
	if _, err := k.RunUntil(time.Millisecond, nil); err == nil {
		t.Fatal("deadline in the past accepted")
	}
}

func TestKernelEventLimitCatchesLivelock(t *testing.T) {
	k := NewKernel(1)
	k.EventsPerRunMax = 1000
	var spin func()
	spin = func() { k.Schedule(0, "spin", spin) }
	k.Schedule(0, "spin", spin)
	err := k.RunFor(time.Second)
	if !errors.Is(err, ErrEventLimit) {
		t.Fatalf("err = %v, want ErrEventLimit", err)
	}
}

func TestKernelCheckStopsRun(t *testing.T) {
	k := NewKernel(1)
	n := 0
	for i := 0; i < 10; i++ {
		k.Schedule(time.Duration(i)*time.Millisecond, "inc", func() { n++ })
	}
	boom := errors.New("boom")
	k.AddCheck("n<5", func() error {
		if n >= 5 {
			return boom
		}
		return nil
	})
	err := k.RunFor(time.Second)
	if !errors.Is(err, boom) || n != 5 {
		t.Fatalf("err=%v n=%d, want boom after 5", err, n)
	}
	if k.Step() {
		t.Fatal("failed kernel kept stepping")
	}
}

func TestKernelStreamsAreIndependent(t *testing.T) {
	draw := func(k *Kernel, name string) []uint64 {
		r := k.Rand(name)
		out := make([]uint64, 8)
		for i := range out {
			out[i] = r.Uint64()
		}
		return out
	}
	equal := func(a, b []uint64) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	// Same seed and name: same stream, whatever other streams exist and
	// however much they were drawn from.
	k1 := NewKernel(42)
	a1 := draw(k1, "a")
	k2 := NewKernel(42)
	draw(k2, "b")
	k2.Rand("c").Uint64()
	a2 := draw(k2, "a")
	if !equal(a1, a2) {
		t.Fatal("stream a perturbed by other streams")
	}
	if equal(a1, draw(NewKernel(42), "b")) {
		t.Fatal("streams a and b identical")
	}
	if equal(a1, draw(NewKernel(43), "a")) {
		t.Fatal("seeds 42 and 43 give the same stream")
	}
	if k1.Rand("a") != k1.Rand("a") {
		t.Fatal("same name returned a new stream")
	}
}

func TestKernelTraceHash(t *testing.T) {
	run := func(seed uint64, extra []byte) uint64 {
		k := NewKernel(seed)
		k.Schedule(time.Millisecond, "a", func() { k.Trace(extra) })
		k.Schedule(2*time.Millisecond, "b", func() {})
		for k.Step() {
		}
		return k.TraceHash()
	}
	h := run(1, []byte("x"))
	if h != run(1, []byte("x")) {
		t.Fatal("same run, different hash")
	}
	if h == run(1, []byte("y")) {
		t.Fatal("traced bytes do not reach the hash")
	}
	if h == run(2, []byte("x")) {
		t.Fatal("seed does not reach the hash")
	}
}

func TestKernelRejectsNegativeDelay(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("negative delay accepted")
		}
	}()
	NewKernel(1).Schedule(-1, "bad", func() {})
}

// BenchmarkKernelStep measures the event loop alone: schedule and run one
// event with a hundred others pending.
func BenchmarkKernelStep(b *testing.B) {
	k := NewKernel(1)
	var fn func()
	fn = func() { k.Schedule(time.Duration(1+k.Processed()%100)*time.Microsecond, "bench", fn) }
	for i := 0; i < 100; i++ {
		k.Schedule(time.Duration(i)*time.Microsecond, "bench", fn)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k.Step()
	}
}

// BenchmarkToySeed measures one whole toy seed, faults and checks included.
func BenchmarkToySeed(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if r := RunToy(uint64(i), ToyOptions{}); r.Failed != nil {
			b.Fatal(r.Failed)
		}
	}
}

// TestKernelCancelStaleID: an event's slot is reused once it has run, so
// an old ID must not cancel the event that now holds its slot.
func TestKernelCancelStaleID(t *testing.T) {
	k := NewKernel(1)
	ran := 0
	old := k.Schedule(time.Millisecond, "old", func() { ran++ })
	if !k.Step() {
		t.Fatal("nothing ran")
	}
	fresh := k.Schedule(time.Millisecond, "fresh", func() { ran++ })
	if fresh.slot() != old.slot() {
		t.Fatalf("slot not reused: old %d, fresh %d", old.slot(), fresh.slot())
	}
	if k.Cancel(old) {
		t.Fatal("a spent ID cancelled something")
	}
	if k.Cancel(0) {
		t.Fatal("ID zero cancelled something")
	}
	for k.Step() {
	}
	if ran != 2 {
		t.Fatalf("ran %d events, want 2: the stale cancel hit the fresh event", ran)
	}
	if !k.Cancel(k.Schedule(time.Millisecond, "again", func() {})) {
		t.Fatal("a pending event could not be cancelled")
	}
	if k.Pending() != 0 {
		t.Fatalf("pending = %d after cancel", k.Pending())
	}
}
