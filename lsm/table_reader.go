package lsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"

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

// dataBlock returns the i-th data block, decoded and verified, from the
// cache if present.
func (r *tableReader) dataBlock(i int) (*decodedBlock, error) {
	h := r.index[i].h
	k := cacheKey{r.fileNum, h.offset}
	if b := r.cache.get(k); b != nil {
		return b, nil
	}
	raw, err := r.readBlock(h, "data")
	if err != nil {
		return nil, err
	}
	d, err := decodeBlock(raw)
	if err != nil {
		return nil, corruptf(r.name, int64(h.offset), "data block: %v", err)
	}
	if err := r.checkDataBlock(d, i, h); err != nil {
		return nil, err
	}
	r.cache.put(k, d)
	return d, nil
}

// checkDataBlock verifies key well-formedness and order, and that the block
// ends with the key the index promised.
func (r *tableReader) checkDataBlock(d *decodedBlock, i int, h blockHandle) error {
	if len(d.keys) == 0 {
		return corruptf(r.name, int64(h.offset), "empty data block")
	}
	for j, k := range d.keys {
		if _, _, kind, ok := decodeInternalKey(k); !ok || kind == KindRangeDelete {
			return corruptf(r.name, int64(h.offset), "data block entry %d has a malformed key", j)
		}
		if j > 0 && compareInternal(d.keys[j-1], k) >= 0 {
			return corruptf(r.name, int64(h.offset), "data block keys out of order at entry %d", j)
		}
	}
	if !bytes.Equal(d.keys[len(d.keys)-1], r.index[i].lastKey) {
		return corruptf(r.name, int64(h.offset), "data block does not end with its index key")
	}
	return nil
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

// tableIter iterates over a table's point entries.
type tableIter struct {
	r   *tableReader
	bi  int // block index; len(index) or -1 when exhausted
	blk *decodedBlock
	i   int
	err error
}

func newTableIter(r *tableReader) *tableIter { return &tableIter{r: r, bi: -1} }

func (it *tableIter) load(bi int) bool {
	it.blk, it.bi = nil, bi
	if bi < 0 || bi >= len(it.r.index) {
		return false
	}
	b, err := it.r.dataBlock(bi)
	if err != nil {
		it.err = err
		return false
	}
	it.blk = b
	return true
}

func (it *tableIter) SeekGE(key []byte) {
	bi := sort.Search(len(it.r.index), func(i int) bool { return compareInternal(it.r.index[i].lastKey, key) >= 0 })
	if !it.load(bi) {
		return
	}
	it.i = it.blk.seekGE(key, compareInternal)
	it.skipForward()
}

func (it *tableIter) SeekLT(key []byte) {
	bi := sort.Search(len(it.r.index), func(i int) bool { return compareInternal(it.r.index[i].lastKey, key) >= 0 })
	if bi == len(it.r.index) {
		it.Last()
		return
	}
	if !it.load(bi) {
		return
	}
	it.i = it.blk.seekGE(key, compareInternal) - 1
	it.skipBackward()
}

func (it *tableIter) First() {
	if it.load(0) {
		it.i = 0
		it.skipForward()
	}
}

func (it *tableIter) Last() {
	if it.load(len(it.r.index) - 1) {
		it.i = len(it.blk.keys) - 1
		it.skipBackward()
	}
}

func (it *tableIter) Next() {
	it.i++
	it.skipForward()
}

func (it *tableIter) skipForward() {
	for it.blk != nil && it.i >= len(it.blk.keys) {
		if !it.load(it.bi + 1) {
			return
		}
		it.i = 0
	}
}

func (it *tableIter) skipBackward() {
	for it.blk != nil && it.i < 0 {
		if !it.load(it.bi - 1) {
			return
		}
		it.i = len(it.blk.keys) - 1
	}
}

func (it *tableIter) Valid() bool   { return it.blk != nil && it.err == nil }
func (it *tableIter) Key() []byte   { return it.blk.keys[it.i] }
func (it *tableIter) Value() []byte { return it.blk.vals[it.i] }
func (it *tableIter) Err() error    { return it.err }
func (it *tableIter) Close() error  { return nil }
