package checker

import (
	"testing"
	"time"
)

// builder records a hand-written history; times are in milliseconds and
// must be given in non-decreasing order, as a simulator would.
type builder struct {
	t testing.TB
	r *Recorder
}

func newBuilder(t testing.TB) *builder {
	t.Helper()
	return &builder{t: t, r: NewRecorder(0)}
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func (b *builder) invoke(client int, op Op, at int) OpID {
	b.t.Helper()
	id, err := b.r.Invoke(client, op, ms(at))
	if err != nil {
		b.t.Fatalf("invoke: %v", err)
	}
	return id
}

func (b *builder) ok(id OpID, reply Reply, at int) {
	b.t.Helper()
	if err := b.r.Return(id, reply, ms(at)); err != nil {
		b.t.Fatalf("return: %v", err)
	}
}

func (b *builder) fail(id OpID, at int) {
	b.t.Helper()
	if err := b.r.Fail(id, ms(at)); err != nil {
		b.t.Fatalf("fail: %v", err)
	}
}

func (b *builder) unknown(id OpID, at int) {
	b.t.Helper()
	if err := b.r.ReturnUnknown(id, ms(at)); err != nil {
		b.t.Fatalf("unknown: %v", err)
	}
}

// op records a whole operation that completed with reply.
func (b *builder) op(client int, op Op, reply Reply, from, to int) OpID {
	b.t.Helper()
	id := b.invoke(client, op, from)
	b.ok(id, reply, to)
	return id
}

func (b *builder) history() History { return b.r.History() }

func got(v int64) Reply { return Reply{Found: true, Value: v} }
func swapped() Reply    { return Reply{Swapped: true} }
func mismatch() Reply   { return Reply{} }
func done() Reply       { return Reply{} }
