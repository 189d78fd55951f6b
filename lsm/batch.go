package lsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// batchOpsMax bounds the ops in one batch: a batch is applied atomically
// at one seq and held in memory whole.
const batchOpsMax = 1 << 18

// Batch is a set of writes applied atomically at one sequence number.
//
// Because every op of a batch carries the same seq, a batch is kept
// normalized as ops are added: a later op on a key replaces an earlier one,
// and a DeleteRange removes the earlier point ops it covers (a range
// tombstone only hides versions with a smaller seq, so without this the
// earlier ops would survive it). The result is what applying the ops one by
// one would give.
//
// The ops are kept as one flat buffer already in the WAL's encoding, with
// room reserved in front for the record header, seq and op count: Apply
// writes the record from it in place and the memtable copies keys and
// values out of it, so nothing is encoded twice. Reset keeps every buffer
// for reuse.
type Batch struct {
	data []byte    // batchHeaderBytesMax reserved bytes, then the ops
	ops  []batchOp // one per op added; removed ones stay until encoding
	// heads maps a point key's hash to its newest op, once the batch has
	// batchLinearOpsMax ops (below that a linear scan is cheaper).
	heads     map[uint64]int32
	indexed   bool // heads covers every op
	removed   int  // ops marked removed, still in data
	sizeBytes int  // key and value bytes of the live ops
}

// batchOp locates one op's entry in Batch.data: the entry starts at off
// (its kind byte), its key is data[keyOff:keyEnd], its value (or range
// end) data[valOff:end].
type batchOp struct {
	kind                             Kind
	removed                          bool
	off, keyOff, keyEnd, valOff, end int
}

const (
	// batchCountBytesMax is the uvarint length of batchOpsMax.
	batchCountBytesMax = 3
	// batchHeaderBytesMax is the room in front of the ops: record header,
	// seq, and the count right-aligned against the first op.
	batchHeaderBytesMax = recordHeaderLenBytes + 8 + batchCountBytesMax
	// batchLinearOpsMax is the op count below which finding a key's earlier
	// op scans the ops instead of hashing.
	batchLinearOpsMax = 16
)

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
		if !op.removed && op.kind != KindRangeDelete {
			if k := b.key(op); bytes.Compare(start, k) <= 0 && bytes.Compare(k, end) < 0 {
				b.remove(i)
			}
		}
	}
	b.append(KindRangeDelete, start, end)
}

func (b *Batch) point(kind Kind, key, value []byte) {
	h := bloomHash(key)
	if i := b.find(key, h); i >= 0 {
		b.remove(i)
	}
	b.append(kind, key, value)
	if b.indexed {
		b.heads[h] = int32(len(b.ops) - 1)
	} else if len(b.ops) >= batchLinearOpsMax {
		b.index()
	}
}

// find returns the index of the live point op on key, or -1.
func (b *Batch) find(key []byte, h uint64) int {
	if b.indexed {
		i, ok := b.heads[h]
		if !ok {
			return -1
		}
		// heads holds the newest op with this hash. If it is on key, any
		// older op on key was replaced already; otherwise two keys share
		// the hash and only a scan can tell.
		if op := &b.ops[i]; bytes.Equal(b.key(op), key) {
			if op.removed {
				return -1
			}
			return int(i)
		}
	}
	for i := range b.ops {
		if op := &b.ops[i]; !op.removed && op.kind != KindRangeDelete && bytes.Equal(b.key(op), key) {
			return i
		}
	}
	return -1
}

// index builds heads over the point ops, oldest first so the newest wins.
func (b *Batch) index() {
	if b.heads == nil {
		b.heads = make(map[uint64]int32, 2*batchLinearOpsMax)
	}
	clear(b.heads)
	for i := range b.ops {
		if op := &b.ops[i]; op.kind != KindRangeDelete {
			b.heads[bloomHash(b.key(op))] = int32(i)
		}
	}
	b.indexed = true
}

func (b *Batch) append(kind Kind, key, value []byte) {
	if len(b.ops) >= batchOpsMax {
		panic(fmt.Sprintf("lsm: batch exceeds batchOpsMax (%d ops)", batchOpsMax))
	}
	if len(b.data) == 0 {
		b.data = append(b.data[:0], make([]byte, batchHeaderBytesMax)...)
	}
	op := batchOp{kind: kind, off: len(b.data)}
	b.data = append(b.data, byte(kind))
	b.data = binary.AppendUvarint(b.data, uint64(len(key)))
	op.keyOff = len(b.data)
	b.data = append(b.data, key...)
	op.keyEnd = len(b.data)
	b.data = binary.AppendUvarint(b.data, uint64(len(value)))
	op.valOff = len(b.data)
	b.data = append(b.data, value...)
	op.end = len(b.data)
	b.ops = append(b.ops, op)
	b.sizeBytes += len(key) + len(value)
}

func (b *Batch) key(op *batchOp) []byte   { return b.data[op.keyOff:op.keyEnd:op.keyEnd] }
func (b *Batch) value(op *batchOp) []byte { return b.data[op.valOff:op.end:op.end] }

func (b *Batch) remove(i int) {
	op := &b.ops[i]
	op.removed = true
	b.removed++
	b.sizeBytes -= (op.keyEnd - op.keyOff) + (op.end - op.valOff)
}

// Len returns the number of live ops.
func (b *Batch) Len() int { return len(b.ops) - b.removed }

// Reset empties the batch for reuse, keeping its buffers.
func (b *Batch) Reset() {
	b.data = b.data[:0]
	b.ops = b.ops[:0]
	if b.indexed {
		clear(b.heads)
	}
	b.indexed, b.removed, b.sizeBytes = false, 0, 0
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// compact drops removed ops from data, sliding live entries down in
// order, so data holds exactly the encoding of the live ops.
func (b *Batch) compact() {
	if b.removed == 0 {
		return
	}
	w, n := batchHeaderBytesMax, 0
	for _, op := range b.ops {
		if op.removed {
			continue
		}
		shift := op.off - w
		w += copy(b.data[w:], b.data[op.off:op.end])
		op.off, op.keyOff, op.keyEnd, op.valOff, op.end = op.off-shift, op.keyOff-shift, op.keyEnd-shift, op.valOff-shift, op.end-shift
		b.ops[n] = op
		n++
	}
	b.data, b.ops, b.removed = b.data[:w], b.ops[:n], 0
	if b.indexed {
		b.index() // op indexes moved
	}
}

// record returns the batch as a complete WAL record at seq: header, then
// the payload seq[u64 LE] count[uvarint] and per op kind[1]
// key[uvarint len + bytes] value[uvarint len + bytes]. It is written in
// place into the reserved front of data and valid until the batch changes.
func (b *Batch) record(seq uint64) []byte {
	b.compact()
	if len(b.data) == 0 {
		b.data = append(b.data[:0], make([]byte, batchHeaderBytesMax)...)
	}
	var cnt [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(cnt[:], uint64(b.Len()))
	if n > batchCountBytesMax {
		panic("lsm: batch count does not fit its reserved bytes")
	}
	countOff := batchHeaderBytesMax - n
	copy(b.data[countOff:], cnt[:n])
	payloadOff := countOff - 8
	binary.LittleEndian.PutUint64(b.data[payloadOff:], seq)
	start := payloadOff - recordHeaderLenBytes
	putRecordHeader(b.data[start:payloadOff], b.data[payloadOff:])
	return b.data[start:]
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
