package lsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/lineradb/lineradb/diskio"
)

// SSTable layout:
//
//	data block*  filter block  range-del block  properties block  index block  footer
//
// Each block is followed by its CRC32C. The footer (footerLenBytes, fixed)
// is: filter, range-del, properties and index handles as 4×(offset u64,
// length u64), formatVersion u32, CRC32C of the preceding 68 bytes u32,
// tableMagic u64 — all little endian.

const (
	tableMagic         uint64 = 0x4c696e6572614c53 // "LineraLS"
	tableFormatVersion uint32 = 1
	footerLenBytes            = 4*16 + 4 + 4 + 8
	dataBlockSizeBytes        = 4 << 10
	// tableWriteBufferBytesMax bounds the bytes a table writer holds
	// before a write(2): flushes and compactions write in large pieces
	// rather than one call per block. The table is synced before it is
	// installed, so buffering changes nothing about durability.
	tableWriteBufferBytesMax = 256 << 10
)

// tableProps is the properties block: facts about a table that compaction
// picking, metrics and verification use without reading its data.
type tableProps struct {
	numEntries, numDeletes, numRangeDels uint64
	smallestSeq, largestSeq              uint64
	// smallest and largest bound every user key in the table, point keys
	// and range-deletion extents alike (a range end is exclusive, but is
	// stored here as an inclusive bound: conservative).
	smallest, largest []byte
	rawKeyBytes       uint64
	rawValueBytes     uint64
}

func (p *tableProps) encode() []byte {
	var b []byte
	for _, v := range []uint64{p.numEntries, p.numDeletes, p.numRangeDels, p.smallestSeq, p.largestSeq, p.rawKeyBytes, p.rawValueBytes} {
		b = binary.AppendUvarint(b, v)
	}
	b = binary.AppendUvarint(b, uint64(len(p.smallest)))
	b = append(b, p.smallest...)
	b = binary.AppendUvarint(b, uint64(len(p.largest)))
	return append(b, p.largest...)
}

func decodeProps(b []byte) (tableProps, bool) {
	var p tableProps
	d := decoder{b: b}
	for _, v := range []*uint64{&p.numEntries, &p.numDeletes, &p.numRangeDels, &p.smallestSeq, &p.largestSeq, &p.rawKeyBytes, &p.rawValueBytes} {
		*v = d.uvarint()
	}
	p.smallest = d.bytes()
	p.largest = d.bytes()
	return p, !d.failed && len(d.b) == 0
}

// decoder reads varints and length-prefixed byte strings; the first failure
// sticks, so callers check failed once at the end.
type decoder struct {
	b      []byte
	failed bool
}

func (d *decoder) uvarint() uint64 {
	if d.failed {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.failed = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.failed || n > uint64(len(d.b)) {
		d.failed = true
		return nil
	}
	v := append([]byte(nil), d.b[:n]...)
	d.b = d.b[n:]
	return v
}

// tableWriter writes one SSTable. Keys must be added in strictly increasing
// internal-key order.
type tableWriter struct {
	f          diskio.File
	bitsPerKey int
	offset     uint64
	data       blockBuilder
	index      blockBuilder
	lastKey    []byte
	hashes     []uint64
	lastHashed []byte
	rangeDels  []rangeTombstone
	props      tableProps
	hasBounds  bool   // props' key and seq bounds hold something
	buf        []byte // written bytes not yet handed to f; tableWriteBufferBytesMax
	err        error
}

func newTableWriter(f diskio.File, bitsPerKey int) *tableWriter {
	return &tableWriter{f: f, bitsPerKey: bitsPerKey}
}

func (w *tableWriter) add(ikey, value []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.lastKey != nil && compareInternal(w.lastKey, ikey) >= 0 {
		panic(fmt.Sprintf("lsm: table keys out of order: %s then %s", formatKey(w.lastKey), formatKey(ikey)))
	}
	uk := userKeyOf(ikey)
	if !bytes.Equal(uk, w.lastHashed) || w.props.numEntries == 0 {
		w.hashes = append(w.hashes, bloomHash(uk))
		w.lastHashed = append(w.lastHashed[:0], uk...)
	}
	w.noteKey(uk, seqOf(ikey))
	if kindOf(ikey) == KindDelete {
		w.props.numDeletes++
	}
	w.props.numEntries++
	w.props.rawKeyBytes += uint64(len(ikey))
	w.props.rawValueBytes += uint64(len(value))
	w.data.add(ikey, value)
	w.lastKey = append(w.lastKey[:0], ikey...)
	if w.data.estimatedSizeBytes() >= dataBlockSizeBytes {
		w.flushData()
	}
	return w.err
}

// addRangeDel records a range tombstone [start, end) at seq.
func (w *tableWriter) addRangeDel(t rangeTombstone) {
	if bytes.Compare(t.start, t.end) >= 0 {
		panic("lsm: empty range tombstone")
	}
	w.rangeDels = append(w.rangeDels, t)
	w.noteKey(t.start, t.seq)
	w.noteKey(t.end, t.seq)
	w.props.numRangeDels++
}

func (w *tableWriter) noteKey(uk []byte, seq uint64) {
	first := !w.hasBounds
	w.hasBounds = true
	if first || bytes.Compare(uk, w.props.smallest) < 0 {
		w.props.smallest = append([]byte(nil), uk...)
	}
	if first || bytes.Compare(uk, w.props.largest) > 0 {
		w.props.largest = append([]byte(nil), uk...)
	}
	if first || seq < w.props.smallestSeq {
		w.props.smallestSeq = seq
	}
	if first || seq > w.props.largestSeq {
		w.props.largestSeq = seq
	}
}

func (w *tableWriter) empty() bool { return w.props.numEntries == 0 && w.props.numRangeDels == 0 }

func (w *tableWriter) estimatedSizeBytes() uint64 {
	return w.offset + uint64(w.data.estimatedSizeBytes())
}

func (w *tableWriter) flushData() {
	if w.data.empty() {
		return
	}
	h := w.writeBlock(w.data.finish())
	w.index.add(w.lastKey, h.append(nil))
	w.data.reset()
}

func (w *tableWriter) writeBlock(b []byte) blockHandle {
	h := blockHandle{offset: w.offset, length: uint64(len(b))}
	if w.err != nil {
		return h
	}
	w.write(binary.LittleEndian.AppendUint32(b, crc32c(b)))
	return h
}

// write appends p to the buffer, handing the buffer to the file when full.
// p may be reused by the caller afterwards.
func (w *tableWriter) write(p []byte) {
	w.offset += uint64(len(p))
	if w.err != nil {
		return
	}
	w.buf = append(w.buf, p...)
	if len(w.buf) >= tableWriteBufferBytesMax {
		w.flushBuf()
	}
}

func (w *tableWriter) flushBuf() {
	if w.err != nil || len(w.buf) == 0 {
		return
	}
	if _, err := w.f.Write(w.buf); err != nil {
		w.err = fmt.Errorf("lsm: write %s: %w", w.f.Name(), err)
	}
	w.buf = w.buf[:0]
}

// finish writes the filter, range-del, properties and index blocks and the
// footer. It does not sync: the caller syncs before installing the table.
func (w *tableWriter) finish() (tableProps, uint64, error) {
	w.flushData()
	filterH := w.writeBlock(buildBloom(w.hashes, w.bitsPerKey))
	var rd blockBuilder
	sortTombstones(w.rangeDels)
	for _, t := range w.rangeDels {
		rd.add(makeInternalKey(nil, t.start, t.seq, KindRangeDelete), t.end)
	}
	rdH := w.writeBlock(rd.finish())
	propsH := w.writeBlock(w.props.encode())
	indexH := w.writeBlock(w.index.finish())
	var footer []byte
	for _, h := range []blockHandle{filterH, rdH, propsH, indexH} {
		footer = binary.LittleEndian.AppendUint64(footer, h.offset)
		footer = binary.LittleEndian.AppendUint64(footer, h.length)
	}
	footer = binary.LittleEndian.AppendUint32(footer, tableFormatVersion)
	footer = binary.LittleEndian.AppendUint32(footer, crc32c(footer))
	footer = binary.LittleEndian.AppendUint64(footer, tableMagic)
	w.write(footer)
	w.flushBuf()
	return w.props, w.offset, w.err
}

func sortTombstones(ts []rangeTombstone) {
	sort.Slice(ts, func(i, j int) bool {
		if c := bytes.Compare(ts[i].start, ts[j].start); c != 0 {
			return c < 0
		}
		return ts[i].seq > ts[j].seq
	})
}
