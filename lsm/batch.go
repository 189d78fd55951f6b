package lsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// batchOpsMax bounds the ops in one batch: a batch is applied atomically
// at one seq and held in memory whole.
const batchOpsMax = 1 << 16

// Batch is a set of writes applied atomically at one sequence number.
//
// Because every op of a batch carries the same seq, a batch is kept
// normalized as ops are added: a later op on a key replaces an earlier one,
// and a DeleteRange removes the earlier point ops it covers (a range
// tombstone only hides versions with a smaller seq, so without this the
// earlier ops would survive it). The result is what applying the ops one by
// one would give.
type Batch struct {
	ops       []batchOp
	points    map[string]int // user key -> index in ops of its live point op
	sizeBytes int
}

type batchOp struct {
	kind    Kind
	key     []byte
	value   []byte // the value for KindSet, the end key for KindRangeDelete
	removed bool
}

// Set stores value under key.
func (b *Batch) Set(key, value []byte) { b.point(KindSet, key, value) }

// Delete removes key.
func (b *Batch) Delete(key []byte) { b.point(KindDelete, key, nil) }

// DeleteRange removes every key in [start, end). An empty range is a no-op.
func (b *Batch) DeleteRange(start, end []byte) {
	if bytes.Compare(start, end) >= 0 {
		return
	}
	for i := range b.ops {
		op := &b.ops[i]
		if !op.removed && op.kind != KindRangeDelete && bytes.Compare(start, op.key) <= 0 && bytes.Compare(op.key, end) < 0 {
			b.remove(i)
		}
	}
	b.append(batchOp{kind: KindRangeDelete, key: clone(start), value: clone(end)})
}

func (b *Batch) point(kind Kind, key, value []byte) {
	if b.points == nil {
		b.points = make(map[string]int)
	}
	if i, ok := b.points[string(key)]; ok {
		b.remove(i)
	}
	b.points[string(key)] = len(b.ops)
	b.append(batchOp{kind: kind, key: clone(key), value: clone(value)})
}

func (b *Batch) append(op batchOp) {
	if len(b.ops) >= batchOpsMax {
		panic(fmt.Sprintf("lsm: batch exceeds batchOpsMax (%d ops)", batchOpsMax))
	}
	b.ops = append(b.ops, op)
	b.sizeBytes += len(op.key) + len(op.value)
}

func (b *Batch) remove(i int) {
	op := &b.ops[i]
	op.removed = true
	b.sizeBytes -= len(op.key) + len(op.value)
	if op.kind != KindRangeDelete {
		delete(b.points, string(op.key))
	}
}

// Len returns the number of live ops.
func (b *Batch) Len() int {
	n := 0
	for _, op := range b.ops {
		if !op.removed {
			n++
		}
	}
	return n
}

// Reset empties the batch for reuse.
func (b *Batch) Reset() { *b = Batch{} }

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// encode is the WAL payload: seq[u64 LE] count[uvarint] then per op
// kind[1] key[uvarint len + bytes] value[uvarint len + bytes].
func (b *Batch) encode(seq uint64) []byte {
	buf := binary.LittleEndian.AppendUint64(nil, seq)
	buf = binary.AppendUvarint(buf, uint64(b.Len()))
	for _, op := range b.ops {
		if op.removed {
			continue
		}
		buf = append(buf, byte(op.kind))
		buf = binary.AppendUvarint(buf, uint64(len(op.key)))
		buf = append(buf, op.key...)
		buf = binary.AppendUvarint(buf, uint64(len(op.value)))
		buf = append(buf, op.value...)
	}
	return buf
}

// decodeBatch parses a WAL payload; errors describe malformed input.
func decodeBatch(p []byte) (*Batch, uint64, error) {
	if len(p) < 8 {
		return nil, 0, fmt.Errorf("batch shorter than its header")
	}
	seq := binary.LittleEndian.Uint64(p)
	d := decoder{b: p[8:]}
	n := d.uvarint()
	if n > batchOpsMax {
		return nil, 0, fmt.Errorf("batch claims %d ops", n)
	}
	b := &Batch{}
	for range n {
		if len(d.b) == 0 {
			return nil, 0, fmt.Errorf("batch truncated")
		}
		kind := Kind(d.b[0])
		d.b = d.b[1:]
		key, val := d.bytes(), d.bytes()
		if d.failed {
			return nil, 0, fmt.Errorf("batch truncated")
		}
		switch kind {
		case KindSet:
			b.Set(key, val)
		case KindDelete:
			b.Delete(key)
		case KindRangeDelete:
			b.DeleteRange(key, val)
		default:
			return nil, 0, fmt.Errorf("unknown op kind %d", kind)
		}
	}
	if d.failed || len(d.b) != 0 {
		return nil, 0, fmt.Errorf("batch has trailing bytes")
	}
	return b, seq, nil
}
