package lsm

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/lineradb/lineradb/diskio"
)

type indexEntry struct {
	lastKey []byte // last internal key of the data block
	h       blockHandle
}

// tableReader reads one SSTable. Opening it verifies the footer, the index,
// the filter and the properties; data blocks are verified as they are read.
// Every error about bad bytes is a *CorruptionError naming the file and the
// block offset.
type tableReader struct {
	f       diskio.File
	name    string
	fileNum uint64
	cache   *blockCache
	index   []indexEntry
	filter  []byte
	props   tableProps
	rdH     blockHandle
	handles [4]blockHandle // filter, range-del, properties, index
	dataEnd uint64         // data blocks live in [0, dataEnd)
	metaEnd uint64         // every block lives in [0, metaEnd), the footer after
	rd      []rangeTombstone
	rdDone  bool
}

func openTable(f diskio.File, fileNum uint64, cache *blockCache) (*tableReader, error) {
	r := &tableReader{f: f, name: f.Name(), fileNum: fileNum, cache: cache}
	size, err := f.Size()
	if err != nil {
		return nil, fmt.Errorf("lsm: stat %s: %w", r.name, err)
	}
	hs, err := r.readFooter(size)
	if err != nil {
		return nil, err
	}
	r.handles = hs
	filterH, rdH, propsH, indexH := hs[0], hs[1], hs[2], hs[3]
	r.dataEnd, r.rdH = filterH.offset, rdH
	if r.filter, err = r.readBlock(filterH, "filter"); err != nil {
		return nil, err
	}
	pb, err := r.readBlock(propsH, "properties")
	if err != nil {
		return nil, err
	}
	var ok bool
	if r.props, ok = decodeProps(pb); !ok {
		return nil, corruptf(r.name, int64(propsH.offset), "malformed properties block")
	}
	if err := r.loadIndex(indexH); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *tableReader) readFooter(size int64) ([4]blockHandle, error) {
	var hs [4]blockHandle
	if size < footerLenBytes {
		return hs, corruptf(r.name, 0, "file of %d bytes is shorter than a footer", size)
	}
	off := size - footerLenBytes
	buf := make([]byte, footerLenBytes)
	if err := r.readAt(buf, off); err != nil {
		return hs, err
	}
	if binary.LittleEndian.Uint64(buf[footerLenBytes-8:]) != tableMagic {
		return hs, corruptf(r.name, off, "bad footer magic")
	}
	if crc32c(buf[:68]) != binary.LittleEndian.Uint32(buf[68:72]) {
		return hs, corruptf(r.name, off, "footer checksum mismatch")
	}
	if v := binary.LittleEndian.Uint32(buf[64:68]); v != tableFormatVersion {
		return hs, corruptf(r.name, off, "unknown table format version %d", v)
	}
	r.metaEnd = uint64(off)
	for i := range hs {
		hs[i] = blockHandle{binary.LittleEndian.Uint64(buf[16*i:]), binary.LittleEndian.Uint64(buf[16*i+8:])}
		if !r.handleInRange(hs[i], r.metaEnd) {
			return hs, corruptf(r.name, off, "footer handle %d out of range", i)
		}
	}
	return hs, nil
}

func (r *tableReader) handleInRange(h blockHandle, end uint64) bool {
	return h.offset <= end && h.length <= end-h.offset && blockTrailerLenBytes <= end-h.offset-h.length
}

func (r *tableReader) readAt(buf []byte, off int64) error {
	if _, err := r.f.ReadAt(buf, off); err != nil {
		return fmt.Errorf("lsm: read %s at offset %d: %w", r.name, off, err)
	}
	return nil
}

// readBlock reads a block and verifies its checksum.
func (r *tableReader) readBlock(h blockHandle, what string) ([]byte, error) {
	if !r.handleInRange(h, r.metaEnd) {
		return nil, corruptf(r.name, int64(h.offset), "%s block handle out of range", what)
	}
	buf := make([]byte, h.length+blockTrailerLenBytes)
	if err := r.readAt(buf, int64(h.offset)); err != nil {
		return nil, err
	}
	data := buf[:h.length]
	if crc32c(data) != binary.LittleEndian.Uint32(buf[h.length:]) {
		return nil, corruptf(r.name, int64(h.offset), "%s block checksum mismatch", what)
	}
	return data, nil
}

func (r *tableReader) loadIndex(h blockHandle) error {
	raw, err := r.readBlock(h, "index")
	if err != nil {
		return err
	}
	d, err := decodeBlock(raw)
	if err != nil {
		return corruptf(r.name, int64(h.offset), "index block: %v", err)
	}
	r.index = make([]indexEntry, len(d.keys))
	for i, k := range d.keys {
		bh, n, ok := decodeHandle(d.vals[i])
		if _, _, _, kok := decodeInternalKey(k); !ok || !kok || n != len(d.vals[i]) {
			return corruptf(r.name, int64(h.offset), "index entry %d malformed", i)
		}
		if !r.handleInRange(bh, r.dataEnd) {
			return corruptf(r.name, int64(h.offset), "index entry %d points outside the data region", i)
		}
		if i > 0 && compareInternal(r.index[i-1].lastKey, k) >= 0 {
			return corruptf(r.name, int64(h.offset), "index keys out of order at entry %d", i)
		}
		r.index[i] = indexEntry{lastKey: k, h: bh}
	}
	return nil
}

// dataBlock returns the i-th data block, checksum verified and its
// restart array checked, from the cache if present (and cached after a
// read). Key order is not re-checked on every load: the checksum guards
// the bytes, the writer asserts the order, VerifySSTables checks it, and
// builds with -tags invariants check it on every read from disk.
func (r *tableReader) dataBlock(i int) (*rawBlock, error) {
	h := r.index[i].h
	k := cacheKey{r.fileNum, h.offset}
	if b := r.cache.get(k); b != nil {
		return b, nil
	}
	raw, err := r.readBlock(h, "data")
	if err != nil {
		return nil, err
	}
	b := &rawBlock{}
	if err := r.parseDataBlock(b, raw, i); err != nil {
		return nil, err
	}
	r.cache.put(k, b)
	return b, nil
}

// parseDataBlock checks a data block read from disk into b; with
// invariants on it also checks every key (see checkDataBlock).
func (r *tableReader) parseDataBlock(b *rawBlock, raw []byte, i int) error {
	if err := b.parse(raw); err != nil {
		return corruptf(r.name, int64(r.index[i].h.offset), "data block: %v", err)
	}
	if invariantsOn {
		return r.checkDataBlock(b, i)
	}
	return nil
}

// checkDataBlock decodes every entry: keys well formed and strictly
// increasing, and the block ending with the key the index promised.
func (r *tableReader) checkDataBlock(b *rawBlock, i int) error {
	off := int64(r.index[i].h.offset)
	var it blockIter
	it.init(b)
	var prev []byte
	n := 0
	for ok := it.first(); ok; ok = it.next() {
		if n > 0 && compareInternal(prev, it.key) >= 0 {
			return corruptf(r.name, off, "data block keys out of order at entry %d", n)
		}
		prev = append(prev[:0], it.key...)
		n++
	}
	if it.err != nil {
		return corruptf(r.name, off, "data block entry %d: %v", n, it.err)
	}
	if n == 0 {
		return corruptf(r.name, off, "empty data block")
	}
	if !bytes.Equal(prev, r.index[i].lastKey) {
		return corruptf(r.name, off, "data block does not end with its index key")
	}
	return nil
}

// findBlock returns the index of the first data block whose last key is
// >= ikey: the only block that can hold the first entry >= ikey.
func (r *tableReader) findBlock(ikey []byte) int {
	lo, hi := 0, len(r.index)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if compareInternal(r.index[mid].lastKey, ikey) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// seekGE positions it at the first entry >= ikey, for a point read: blocks
// come through the cache and are searched in place, so a read allocates
// only when it misses the cache.
func (r *tableReader) seekGE(it *blockIter, ikey []byte) (bool, error) {
	for i := r.findBlock(ikey); i < len(r.index); i++ {
		b, err := r.dataBlock(i)
		if err != nil {
			return false, err
		}
		it.init(b)
		if it.seekGE(ikey) {
			return true, nil
		}
		if it.err != nil {
			return false, corruptf(r.name, int64(r.index[i].h.offset), "data block: %v", it.err)
		}
	}
	return false, nil
}

// mayContain consults the bloom filter for a user key.
func (r *tableReader) mayContain(userKey []byte) bool {
	return bloomMayContain(r.filter, bloomHash(userKey))
}

// rangeTombstones loads (once) and returns the table's range deletions.
func (r *tableReader) rangeTombstones() ([]rangeTombstone, error) {
	if r.rdDone {
		return r.rd, nil
	}
	raw, err := r.readBlock(r.rdH, "range-del")
	if err != nil {
		return nil, err
	}
	d, err := decodeBlock(raw)
	if err != nil {
		return nil, corruptf(r.name, int64(r.rdH.offset), "range-del block: %v", err)
	}
	ts := make([]rangeTombstone, 0, len(d.keys))
	for j, k := range d.keys {
		uk, seq, kind, ok := decodeInternalKey(k)
		if !ok || kind != KindRangeDelete || bytes.Compare(uk, d.vals[j]) >= 0 {
			return nil, corruptf(r.name, int64(r.rdH.offset), "range-del entry %d malformed", j)
		}
		ts = append(ts, rangeTombstone{start: uk, end: d.vals[j], seq: seq})
	}
	r.rd, r.rdDone = ts, true
	return ts, nil
}

func (r *tableReader) close() error { return r.f.Close() }

// Read-ahead: an iterator that has loaded sequentialLoadsMin blocks in a
// row (or a compaction's, from the start) reads the following blocks in
// one pread of readaheadBytesMin, doubling up to readaheadBytesMax, into a
// buffer it reuses, and leaves the block cache alone (a scan would only
// evict what point reads need).
const (
	sequentialLoadsMin = 2
	readaheadBytesMin  = 32 << 10
	readaheadBytesMax  = 256 << 10
)

// tableIter iterates over a table's point entries, decoding blocks in
// place. Key and Value are valid until the next move.
type tableIter struct {
	r      *tableReader
	bi     int // block index; len(index) or -1 when exhausted
	blk    blockIter
	loaded bool // blk holds block bi
	err    error

	noCache  bool // compaction input: always read ahead
	seqLoads int  // consecutive loads of the next block
	ra       []byte
	raOff    uint64 // file offset of ra[0]
	raBlock  rawBlock
}

func newTableIter(r *tableReader) *tableIter { return &tableIter{r: r, bi: -1} }

// newCompactionTableIter reads the whole table once, in order: read-ahead
// from the first block, no caching.
func newCompactionTableIter(r *tableReader) *tableIter {
	return &tableIter{r: r, bi: -1, noCache: true}
}

func (it *tableIter) load(bi int) bool {
	if bi == it.bi+1 {
		it.seqLoads++
	} else {
		it.seqLoads = 0
	}
	it.loaded, it.bi = false, bi
	if bi < 0 || bi >= len(it.r.index) {
		return false
	}
	var b *rawBlock
	var err error
	if it.noCache || it.seqLoads >= sequentialLoadsMin {
		b, err = it.readahead(bi)
	} else {
		b, err = it.r.dataBlock(bi)
	}
	if err != nil {
		it.err = err
		return false
	}
	it.blk.init(b)
	it.loaded = true
	return true
}

// readahead returns block bi from the read-ahead buffer, refilling it from
// the block's offset when the block is not wholly inside.
func (it *tableIter) readahead(bi int) (*rawBlock, error) {
	r := it.r
	h := r.index[bi].h
	need := h.length + blockTrailerLenBytes
	if h.offset < it.raOff || h.offset+need > it.raOff+uint64(len(it.ra)) {
		size := uint64(readaheadBytesMin)
		if len(it.ra) > 0 {
			size = min(2*uint64(len(it.ra)), readaheadBytesMax)
		}
		size = max(need, min(size, r.dataEnd-h.offset))
		if uint64(cap(it.ra)) < size {
			it.ra = make([]byte, size)
		}
		it.ra, it.raOff = it.ra[:size], h.offset
		if err := r.readAt(it.ra, int64(h.offset)); err != nil {
			it.ra = it.ra[:0]
			return nil, err
		}
	}
	buf := it.ra[h.offset-it.raOff:][:need]
	data := buf[:h.length]
	if crc32c(data) != binary.LittleEndian.Uint32(buf[h.length:]) {
		return nil, corruptf(r.name, int64(h.offset), "data block checksum mismatch")
	}
	if err := r.parseDataBlock(&it.raBlock, data, bi); err != nil {
		return nil, err
	}
	return &it.raBlock, nil
}

// fail records a block decoding error against the current block.
func (it *tableIter) fail() {
	it.err = corruptf(it.r.name, int64(it.r.index[it.bi].h.offset), "data block: %v", it.blk.err)
	it.loaded = false
}

func (it *tableIter) SeekGE(key []byte) {
	if !it.load(it.r.findBlock(key)) {
		return
	}
	if !it.blk.seekGE(key) {
		if it.blk.err != nil {
			it.fail()
			return
		}
		it.nextBlock()
	}
}

func (it *tableIter) SeekLT(key []byte) {
	bi := it.r.findBlock(key)
	if bi == len(it.r.index) {
		it.Last()
		return
	}
	if !it.load(bi) {
		return
	}
	if !it.blk.seekLT(key) {
		if it.blk.err != nil {
			it.fail()
			return
		}
		it.prevBlock()
	}
}

func (it *tableIter) First() {
	it.bi = -1
	it.nextBlock()
}

func (it *tableIter) Last() {
	if !it.load(len(it.r.index) - 1) {
		return
	}
	if !it.blk.last() {
		if it.blk.err != nil {
			it.fail()
			return
		}
		it.prevBlock()
	}
}

func (it *tableIter) Next() {
	if it.blk.next() {
		return
	}
	if it.blk.err != nil {
		it.fail()
		return
	}
	it.nextBlock()
}

// nextBlock moves to the first entry of the next non-empty block.
func (it *tableIter) nextBlock() {
	for it.load(it.bi + 1) {
		if it.blk.first() {
			return
		}
		if it.blk.err != nil {
			it.fail()
			return
		}
	}
}

// prevBlock moves to the last entry of the previous non-empty block.
func (it *tableIter) prevBlock() {
	for it.load(it.bi - 1) {
		if it.blk.last() {
			return
		}
		if it.blk.err != nil {
			it.fail()
			return
		}
	}
}

func (it *tableIter) Valid() bool   { return it.loaded && it.blk.valid && it.err == nil }
func (it *tableIter) Key() []byte   { return it.blk.key }
func (it *tableIter) Value() []byte { return it.blk.val }
func (it *tableIter) Err() error    { return it.err }
func (it *tableIter) Close() error  { return nil }
