package sim

import (
	"fmt"
	"testing"
)

// TestTraceHasherSensitivity: the trace hash must change with every input
// it is fed, with their order, and with how bytes split between writes, or
// a nondeterministic run could hash like a deterministic one.
func TestTraceHasherSensitivity(t *testing.T) {
	sum := func(f func(h *traceHasher)) uint64 {
		h := newTraceHasher(1)
		f(&h)
		return h.final()
	}
	seen := map[uint64]string{}
	add := func(name string, f func(h *traceHasher)) {
		s := sum(f)
		if prev, ok := seen[s]; ok {
			t.Fatalf("%s and %s hash alike (%x)", prev, name, s)
		}
		seen[s] = name
	}
	add("nothing", func(h *traceHasher) {})
	add("u64 0", func(h *traceHasher) { h.writeU64(0) })
	add("u64 0,0", func(h *traceHasher) { h.writeU64(0); h.writeU64(0) })
	add("u64 1,2", func(h *traceHasher) { h.writeU64(1); h.writeU64(2) })
	add("u64 2,1", func(h *traceHasher) { h.writeU64(2); h.writeU64(1) })
	// Writes are not typed: writeString("") is writeU64(0). The trace's
	// fixed structure (time, seq, label per event) disambiguates.
	add("str ab,c", func(h *traceHasher) { h.writeString("ab"); h.writeString("c") })
	add("str a,bc", func(h *traceHasher) { h.writeString("a"); h.writeString("bc") })
	add("bytes xy,z", func(h *traceHasher) { h.writeBytes([]byte("xy")); h.writeBytes([]byte("z")) })
	add("bytes x,yz", func(h *traceHasher) { h.writeBytes([]byte("x")); h.writeBytes([]byte("yz")) })
	add("long label", func(h *traceHasher) { h.writeString("db.client.timeout") })
	add("long label'", func(h *traceHasher) { h.writeString("db.client.timeoun") })
	// Every single-bit flip of a payload changes its digest.
	base := []byte("a payload that spans more than one eight-byte word")
	d0 := payloadDigest(base)
	for i := range base {
		for bit := 0; bit < 8; bit++ {
			b := append([]byte(nil), base...)
			b[i] ^= 1 << bit
			if payloadDigest(b) == d0 {
				t.Fatalf("flipping bit %d of byte %d leaves the digest", bit, i)
			}
		}
	}
	if payloadDigest(base[:len(base)-1]) == d0 {
		t.Fatal("truncation leaves the digest")
	}
	if sum(func(h *traceHasher) { h.writeU64(7) }) == func() uint64 { h := newTraceHasher(2); h.writeU64(7); return h.final() }() {
		t.Fatal("seed does not reach the trace hash")
	}
}

// TestTraceHasherStable pins the hash of fixed input, so a change to the
// function (which would make recorded hashes meaningless across versions)
// is deliberate.
func TestTraceHasherStable(t *testing.T) {
	h := newTraceHasher(42)
	h.writeU64(1_000_000)
	h.writeString("net.deliver")
	h.writeBytes([]byte("payload"))
	h.writeU64(payloadDigest([]byte("another payload")))
	got := fmt.Sprintf("%016x", h.final())
	const want = "bdc545999f430fe8"
	if got != want {
		t.Fatalf("trace hash of fixed input = %s, want %s", got, want)
	}
}

func BenchmarkTraceEvent(b *testing.B) {
	h := newTraceHasher(1)
	for i := 0; i < b.N; i++ {
		h.writeU64(uint64(i))
		h.writeU64(uint64(i))
		h.writeString("net.deliver")
	}
}

func BenchmarkPayloadDigest(b *testing.B) {
	p := make([]byte, 200)
	b.SetBytes(int64(len(p)))
	for i := 0; i < b.N; i++ {
		payloadDigest(p)
	}
}
