package mvcc

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/lineradb/lineradb/node/kv"
)

// Key spaces inside the LSM. Every user key is stored under prefixUser so
// that the store's own bookkeeping (prefixSys) can never collide with it and
// a user scan never sees it.
const (
	prefixUser = 'u'
	prefixSys  = 's'
	// sysApplied holds the index of the last applied entry: written by
	// every applied entry, so the LSM's LastSeq is always the applied index.
	sysApplied = "sa"
	// sysReqPrefix prefixes the dedup records of committed requests:
	// sysReqPrefix | readVersion u64 BE | request id. Ordered by read
	// version so one range deletion forgets every record too old to matter.
	sysReqPrefix = "sr"
	// sysRangeDelPrefix prefixes the range-deletion log:
	// sysRangeDelPrefix | index u64 BE → the user ranges the commit at
	// that index deleted (encodeRanges). A range deletion is one LSM range
	// tombstone, which leaves no per-key version behind, so validation
	// consults this log instead. Records below the horizon are pruned like
	// the dedup records.
	sysRangeDelPrefix = "sd"
)

// Value kinds, the first byte of every stored user value.
const (
	valueLive      byte = 1
	valueTombstone byte = 2
	valueHeaderLen      = 1 + 8
)

// Limits on decoded commit entries: a malformed or hostile entry must not
// make the decoder allocate without bound.
const (
	commitMagic       byte = 0xC1
	commitKeysMax          = 1 << 20
	commitKeyBytesMax      = 1 << 20
)

// Limits on one commit, enforced by the gateway before proposing (with
// kv.ErrTooLarge) and again at apply (OutcomeTooLarge), so that no committed
// entry can make the apply path exceed an LSM limit.
const (
	// lsmBatchOpsMax mirrors the LSM's batchOpsMax (unexported there): an
	// LSM batch with more ops panics. TestLSMBatchHoldsCommitOpsMax proves
	// a batch this large applies.
	lsmBatchOpsMax = 1 << 18
	// batchSysOpsMax bounds the store's own ops in an entry's batch: the
	// applied record, the dedup record, the range-deletion log record and
	// the two pruning range deletions, with room to spare.
	batchSysOpsMax = 8
	// CommitWritesMax bounds the writes of one commit. Each write becomes
	// at most one LSM op, so an entry's batch stays within lsmBatchOpsMax.
	CommitWritesMax = lsmBatchOpsMax - batchSysOpsMax
	// CommitRangeDeletesMax bounds the delete-range writes of one commit:
	// the LSM batch normalises each range deletion against the ops before
	// it, which is quadratic in their number. SQL issues one or two per
	// DROP or TRUNCATE.
	CommitRangeDeletesMax = 1 << 12
)

// ErrCorrupt is wrapped by errors about stored or replicated bytes that do
// not decode.
var ErrCorrupt = errors.New("mvcc: corrupt data")

func userKey(k []byte) []byte {
	out := make([]byte, 0, len(k)+1)
	return append(append(out, prefixUser), k...)
}

// userBounds maps a user range [start, end) (nil end: unbounded) onto the
// LSM's key space.
func userBounds(start, end []byte) (lo, hi []byte) {
	lo = userKey(start)
	if end == nil {
		return lo, []byte{prefixUser + 1}
	}
	return lo, userKey(end)
}

// encodeValue is the stored form: kind | version u64 BE | value.
func encodeValue(version uint64, value []byte, tombstone bool) []byte {
	b := make([]byte, valueHeaderLen, valueHeaderLen+len(value))
	b[0] = valueLive
	if tombstone {
		b[0] = valueTombstone
	}
	binary.BigEndian.PutUint64(b[1:], version)
	return append(b, value...)
}

// stored is one decoded user value.
type stored struct {
	version   uint64
	tombstone bool
	value     []byte
}

func decodeValue(b []byte) (stored, error) {
	if len(b) < valueHeaderLen || (b[0] != valueLive && b[0] != valueTombstone) {
		return stored{}, fmt.Errorf("%w: stored value of %d bytes", ErrCorrupt, len(b))
	}
	s := stored{version: binary.BigEndian.Uint64(b[1:]), tombstone: b[0] == valueTombstone}
	if s.tombstone && len(b) != valueHeaderLen {
		return stored{}, fmt.Errorf("%w: tombstone with a payload", ErrCorrupt)
	}
	s.value = b[valueHeaderLen:]
	return s, nil
}

// ReqID names one commit request: the gateway node, that node's
// incarnation (a durable per-directory counter bumped at every open, so a
// restarted node never reuses an id) and a
// per-incarnation sequence number.
type ReqID struct {
	Node, Incarnation, Seq uint64
}

func (r ReqID) String() string {
	return fmt.Sprintf("%d/%x/%d", r.Node, r.Incarnation, r.Seq)
}

func reqKey(readVersion uint64, id ReqID) []byte {
	b := append([]byte(sysReqPrefix), make([]byte, 32)...)
	binary.BigEndian.PutUint64(b[2:], readVersion)
	binary.BigEndian.PutUint64(b[10:], id.Node)
	binary.BigEndian.PutUint64(b[18:], id.Incarnation)
	binary.BigEndian.PutUint64(b[26:], id.Seq)
	return b
}

// reqKeyBound is the first dedup key with a read version >= rv.
func reqKeyBound(rv uint64) []byte {
	b := append([]byte(sysReqPrefix), make([]byte, 8)...)
	binary.BigEndian.PutUint64(b[2:], rv)
	return b
}

func rangeDelKey(index uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(sysRangeDelPrefix), index)
}

// rangeDelLogEnd bounds the range-deletion log from above.
func rangeDelLogEnd() []byte { return []byte{sysRangeDelPrefix[0], sysRangeDelPrefix[1] + 1} }

// encodeRanges is the stored form of a range-deletion log record:
// count u32 LE | count × (bytes start | optBytes end), as in Encode.
func encodeRanges(rs []Range) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(rs)))
	for _, r := range rs {
		b = appendOpt(appendBytes(b, r.Start), r.End)
	}
	return b
}

func decodeRanges(b []byte) ([]Range, error) {
	d := &decoder{b: b}
	var rs []Range
	for range d.count() {
		rs = append(rs, Range{Start: d.bytes(), End: d.opt()})
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return nil, fmt.Errorf("range-deletion record: %w", d.err)
	}
	return rs, nil
}

// WriteKind says what a buffered write does.
type WriteKind uint8

const (
	WritePut WriteKind = iota + 1
	WriteDelete
	WriteDeleteRange
)

// Write is one buffered mutation. For WriteDeleteRange, Key is the start
// and End the exclusive end (nil: unbounded).
type Write struct {
	Kind  WriteKind
	Key   []byte
	End   []byte
	Value []byte
}

// Range is a read range [Start, End); a nil End is unbounded.
type Range struct {
	Start, End []byte
}

// Commit is the replicated commit entry of one transaction.
type Commit struct {
	ID          ReqID
	ReadVersion uint64
	Isolation   kv.Isolation
	ReadKeys    [][]byte
	ReadRanges  []Range
	// Writes are in program order; later writes to a key win.
	Writes []Write
}

// CheckLimits reports, wrapping kv.ErrTooLarge, a commit that exceeds what
// one entry may carry: more writes or range deletions than the LSM batch
// allows, or more keys or a longer key or value than DecodeCommit accepts.
// A commit that passes applies without hitting an LSM limit.
func (c *Commit) CheckLimits() error {
	switch {
	case len(c.Writes) > CommitWritesMax:
		return fmt.Errorf("%w: %d writes, at most %d", kv.ErrTooLarge, len(c.Writes), CommitWritesMax)
	case len(c.ReadKeys) > commitKeysMax || len(c.ReadRanges) > commitKeysMax:
		return fmt.Errorf("%w: %d read keys and %d read ranges, at most %d each", kv.ErrTooLarge, len(c.ReadKeys), len(c.ReadRanges), commitKeysMax)
	}
	for _, k := range c.ReadKeys {
		if len(k) > commitKeyBytesMax {
			return fmt.Errorf("%w: a read key of %d bytes, at most %d", kv.ErrTooLarge, len(k), commitKeyBytesMax)
		}
	}
	for _, r := range c.ReadRanges {
		if len(r.Start) > commitKeyBytesMax || len(r.End) > commitKeyBytesMax {
			return fmt.Errorf("%w: a read range bound over %d bytes", kv.ErrTooLarge, commitKeyBytesMax)
		}
	}
	ranges := 0
	for _, w := range c.Writes {
		if w.Kind == WriteDeleteRange {
			ranges++
		}
		if len(w.Key) > commitKeyBytesMax || len(w.End) > commitKeyBytesMax || len(w.Value) > commitKeyBytesMax {
			return fmt.Errorf("%w: a written key or value over %d bytes", kv.ErrTooLarge, commitKeyBytesMax)
		}
	}
	if ranges > CommitRangeDeletesMax {
		return fmt.Errorf("%w: %d range deletions, at most %d", kv.ErrTooLarge, ranges, CommitRangeDeletesMax)
	}
	return nil
}

// Encode returns the entry payload. Layout (integers little-endian):
//
//	magic u8 | node u64 | incarnation u64 | seq u64 | read version u64 |
//	isolation u8 | nkeys u32 | nkeys × bytes | nranges u32 |
//	nranges × (bytes start | optBytes end) | nwrites u32 |
//	nwrites × (kind u8 | bytes key | optBytes end-or-value)
//
// bytes is u32 length | data; optBytes is u8 present | bytes if present.
func (c *Commit) Encode() []byte {
	b := []byte{commitMagic}
	for _, v := range []uint64{c.ID.Node, c.ID.Incarnation, c.ID.Seq, c.ReadVersion} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	b = append(b, byte(c.Isolation))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(c.ReadKeys)))
	for _, k := range c.ReadKeys {
		b = appendBytes(b, k)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(c.ReadRanges)))
	for _, r := range c.ReadRanges {
		b = appendOpt(appendBytes(b, r.Start), r.End)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(c.Writes)))
	for _, w := range c.Writes {
		b = append(b, byte(w.Kind))
		b = appendBytes(b, w.Key)
		switch w.Kind {
		case WritePut:
			b = appendOpt(b, nonNil(w.Value))
		case WriteDeleteRange:
			b = appendOpt(b, w.End)
		default:
			b = appendOpt(b, nil)
		}
	}
	return b
}

func nonNil(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}

func appendBytes(b, v []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

func appendOpt(b, v []byte) []byte {
	if v == nil {
		return append(b, 0)
	}
	return appendBytes(append(b, 1), v)
}

// decoder reads an encoded commit; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: commit entry: %s", ErrCorrupt, what)
	}
}

func (d *decoder) u8() byte {
	if d.err != nil || len(d.b) < 1 {
		d.fail("short u8")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) u32() uint32 {
	if d.err != nil || len(d.b) < 4 {
		d.fail("short u32")
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *decoder) u64() uint64 {
	if d.err != nil || len(d.b) < 8 {
		d.fail("short u64")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.u32()
	if d.err != nil || n > commitKeyBytesMax || uint64(n) > uint64(len(d.b)) {
		d.fail("bad byte string length")
		return nil
	}
	v := append([]byte{}, d.b[:n]...)
	d.b = d.b[n:]
	return v
}

func (d *decoder) opt() []byte {
	switch d.u8() {
	case 0:
		return nil
	case 1:
		return d.bytes()
	}
	d.fail("bad presence byte")
	return nil
}

func (d *decoder) count() int {
	n := d.u32()
	// Every element takes at least 4 bytes, which bounds a hostile count.
	if n > commitKeysMax || uint64(n)*4 > uint64(len(d.b)) {
		d.fail("bad element count")
		return 0
	}
	return int(n)
}

// DecodeCommit parses an entry payload produced by Encode. Malformed input
// returns an error wrapping ErrCorrupt; it never panics.
func DecodeCommit(b []byte) (*Commit, error) {
	d := &decoder{b: b}
	if d.u8() != commitMagic {
		return nil, fmt.Errorf("%w: commit entry: bad magic", ErrCorrupt)
	}
	c := &Commit{}
	c.ID = ReqID{Node: d.u64(), Incarnation: d.u64(), Seq: d.u64()}
	c.ReadVersion = d.u64()
	c.Isolation = kv.Isolation(d.u8())
	if c.Isolation != kv.Serializable && c.Isolation != kv.SnapshotIsolation {
		d.fail("bad isolation")
	}
	for range d.count() {
		c.ReadKeys = append(c.ReadKeys, d.bytes())
	}
	for range d.count() {
		c.ReadRanges = append(c.ReadRanges, Range{Start: d.bytes(), End: d.opt()})
	}
	for range d.count() {
		w := Write{Kind: WriteKind(d.u8()), Key: d.bytes()}
		v := d.opt()
		switch w.Kind {
		case WritePut:
			w.Value = v
			if v == nil {
				d.fail("put without a value")
			}
		case WriteDeleteRange:
			w.End = v
		case WriteDelete:
		default:
			d.fail("bad write kind")
		}
		c.Writes = append(c.Writes, w)
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return nil, d.err
	}
	return c, nil
}
