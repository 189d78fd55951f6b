package lsm

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/lineradb/lineradb/diskio"
)

// Record log layout (the WAL and the manifest share it):
//
//	record* ; record = crc32c[u32 LE] length[u32 LE] payload[length]
//
// The CRC covers the length and the payload. A crash can tear only the
// unsynced tail, so a bad record after which no valid record follows is a
// torn tail (dropped); a bad record followed by a valid one is corruption.

const (
	recordHeaderLenBytes = 8
	// recordPayloadBytesMax bounds one record, so a corrupt length cannot
	// make a reader allocate without limit.
	recordPayloadBytesMax = 64 << 20
)

func encodeRecord(dst, payload []byte) []byte {
	if len(payload) > recordPayloadBytesMax {
		panic("lsm: record larger than recordPayloadBytesMax")
	}
	var hdr [recordHeaderLenBytes]byte
	putRecordHeader(hdr[:], payload)
	return append(append(dst, hdr[:]...), payload...)
}

// putRecordHeader fills hdr (recordHeaderLenBytes) for payload.
func putRecordHeader(hdr, payload []byte) {
	if len(payload) > recordPayloadBytesMax {
		panic("lsm: record larger than recordPayloadBytesMax")
	}
	binary.LittleEndian.PutUint32(hdr[4:], uint32(len(payload)))
	crc := crc32.Update(crc32c(hdr[4:8]), castagnoli, payload)
	binary.LittleEndian.PutUint32(hdr[:4], crc)
}

// recordAt returns the payload of a valid record at off, or ok=false.
func recordAt(data []byte, off int) (payload []byte, next int, ok bool) {
	if len(data)-off < recordHeaderLenBytes {
		return nil, 0, false
	}
	n := binary.LittleEndian.Uint32(data[off+4:])
	end := uint64(off) + recordHeaderLenBytes + uint64(n)
	if n > recordPayloadBytesMax || end > uint64(len(data)) {
		return nil, 0, false
	}
	payload = data[off+recordHeaderLenBytes : end]
	crc := crc32.Update(crc32c(data[off+4:off+8]), castagnoli, payload)
	if crc != binary.LittleEndian.Uint32(data[off:]) {
		return nil, 0, false
	}
	return payload, int(end), true
}

// readRecords returns every record of a log file and the byte length of its
// valid prefix. A torn tail is dropped; damage before the tail is an error
// naming the file and offset.
func readRecords(fs diskio.FS, name string) (records [][]byte, validBytes int64, err error) {
	data, err := readFile(fs, name)
	if err != nil {
		return nil, 0, err
	}
	off := 0
	for off < len(data) {
		p, next, ok := recordAt(data, off)
		if !ok {
			if validRecordAfter(data, off+1) {
				return nil, 0, corruptf(name, int64(off), "bad record (checksum or length) before valid ones")
			}
			return records, int64(off), nil
		}
		records = append(records, p)
		off = next
	}
	return records, int64(off), nil
}

// validRecordAfter reports whether any valid, non-empty record starts at or
// after off. It runs only on the failure path.
func validRecordAfter(data []byte, off int) bool {
	for p := off; p+recordHeaderLenBytes < len(data); p++ {
		if payload, _, ok := recordAt(data, p); ok && len(payload) > 0 {
			return true
		}
	}
	return false
}

func readFile(fs diskio.FS, name string) ([]byte, error) {
	f, err := fs.Open(name)
	if err != nil {
		return nil, fmt.Errorf("lsm: open %s: %w", name, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return nil, fmt.Errorf("lsm: size of %s: %w", name, err)
	}
	data := make([]byte, size)
	if size > 0 {
		if _, err := f.ReadAt(data, 0); err != nil {
			return nil, fmt.Errorf("lsm: read %s: %w", name, err)
		}
	}
	return data, nil
}
