package raftlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"

	"github.com/lineradb/lineradb/raft"
)

// The record framing shared by segments and the state file (see doc.go):
//
//	u32 LE bodyBytes | u32 LE crc32c(bodyBytes field ‖ body) | body
//
// Covering the length field with the checksum means a flipped length is
// caught as a checksum mismatch, not read as a plausible record of the wrong
// size.
const (
	recordHeaderBytes = 8
	// recordBodyBytesMax bounds one record, so a garbage length read from a
	// torn tail never makes recovery allocate gigabytes. It also bounds the
	// Data of one entry (see entryDataBytesMax).
	recordBodyBytesMax = 64 << 20

	kindEntry     byte = 1
	kindHardState byte = 2
	kindState     byte = 3

	// entryBodyBytesMin is kind, term, index and type with empty data.
	entryBodyBytesMin = 1 + 8 + 8 + 1
	// entryDataBytesMax is the largest Entry.Data Append accepts.
	entryDataBytesMax = recordBodyBytesMax - entryBodyBytesMin
	// hardStateBodyBytes is kind, version, term, vote, commit.
	hardStateBodyBytes = 1 + 8 + 8 + 8 + 8
	// stateMagic opens the state file's body so a stray file named "state"
	// is not mistaken for ours.
	stateMagic uint32 = 0x4c52_5354 // "LRST"
	// stateFormatVersion is bumped on any change to the state body layout.
	stateFormatVersion uint8 = 1
	// confMembersMax bounds the voters and learners decoded from the state
	// file, so a damaged count cannot make recovery allocate without limit.
	confMembersMax = 1 << 12

	segmentSuffix = ".seg"
	// segmentNameBytes is 16 hex digits plus the suffix.
	segmentNameBytes = 16 + len(segmentSuffix)
	stateFileName    = "state"
	stateTempName    = "state.tmp"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recordCRC is the checksum of a record: over the 4 length bytes, then body.
func recordCRC(lengthField []byte, body []byte) uint32 {
	c := crc32.Update(0, castagnoli, lengthField)
	return crc32.Update(c, castagnoli, body)
}

// appendRecord frames body and appends it to dst.
func appendRecord(dst []byte, body []byte) []byte {
	if len(body) == 0 || len(body) > recordBodyBytesMax {
		panic(fmt.Sprintf("raftlog: record body of %d bytes", len(body)))
	}
	var hdr [recordHeaderBytes]byte
	binary.LittleEndian.PutUint32(hdr[0:4], uint32(len(body)))
	binary.LittleEndian.PutUint32(hdr[4:8], recordCRC(hdr[0:4], body))
	dst = append(dst, hdr[:]...)
	return append(dst, body...)
}

// errRecord* classify why bytes at an offset are not a record. They never
// leave the package bare: recovery turns them into a torn tail or a
// *CorruptError.
var (
	errRecordShort    = errors.New("record runs past the end of the file")
	errRecordLength   = errors.New("record length out of range")
	errRecordChecksum = errors.New("record checksum mismatch")
)

// parseRecord reads the record starting at buf[0]. It returns the body (a
// sub-slice of buf) and the record's total size.
func parseRecord(buf []byte) (body []byte, recordBytes int, err error) {
	if len(buf) < recordHeaderBytes {
		return nil, 0, errRecordShort
	}
	n := binary.LittleEndian.Uint32(buf[0:4])
	if n == 0 || n > recordBodyBytesMax {
		return nil, 0, errRecordLength
	}
	if uint64(len(buf)-recordHeaderBytes) < uint64(n) {
		return nil, 0, errRecordShort
	}
	body = buf[recordHeaderBytes : recordHeaderBytes+int(n)]
	if binary.LittleEndian.Uint32(buf[4:8]) != recordCRC(buf[0:4], body) {
		return nil, 0, errRecordChecksum
	}
	return body, recordHeaderBytes + int(n), nil
}

// encodeEntry returns the record body of e.
func encodeEntry(dst []byte, e raft.Entry) []byte {
	dst = append(dst, kindEntry)
	dst = binary.LittleEndian.AppendUint64(dst, e.Term)
	dst = binary.LittleEndian.AppendUint64(dst, e.Index)
	dst = append(dst, byte(e.Type))
	return append(dst, e.Data...)
}

// decodeEntryHeader decodes an entry body without its data.
func decodeEntryHeader(body []byte) (raft.Entry, error) {
	if len(body) < entryBodyBytesMin || body[0] != kindEntry {
		return raft.Entry{}, fmt.Errorf("entry body of %d bytes", len(body))
	}
	e := raft.Entry{
		Term:  binary.LittleEndian.Uint64(body[1:9]),
		Index: binary.LittleEndian.Uint64(body[9:17]),
		Type:  raft.EntryType(body[17]),
	}
	if e.Type > raft.EntryConfChange {
		return raft.Entry{}, fmt.Errorf("entry %d has unknown type %d", e.Index, e.Type)
	}
	if e.Index == 0 {
		return raft.Entry{}, errors.New("entry with index 0")
	}
	return e, nil
}

// decodeEntry decodes an entry body. Data is copied out of body.
func decodeEntry(body []byte) (raft.Entry, error) {
	e, err := decodeEntryHeader(body)
	if err != nil {
		return raft.Entry{}, err
	}
	if data := body[entryBodyBytesMin:]; len(data) > 0 {
		e.Data = append([]byte(nil), data...)
	}
	return e, nil
}

// hardStateRecord is a HardState with the version that orders it against
// every other copy (in the segment stream and the state file): the copy
// with the highest version is the current one.
type hardStateRecord struct {
	version uint64
	hs      raft.HardState
}

func encodeHardState(dst []byte, r hardStateRecord) []byte {
	dst = append(dst, kindHardState)
	dst = binary.LittleEndian.AppendUint64(dst, r.version)
	dst = binary.LittleEndian.AppendUint64(dst, r.hs.Term)
	dst = binary.LittleEndian.AppendUint64(dst, r.hs.Vote)
	return binary.LittleEndian.AppendUint64(dst, r.hs.Commit)
}

func decodeHardState(body []byte) (hardStateRecord, error) {
	if len(body) != hardStateBodyBytes || body[0] != kindHardState {
		return hardStateRecord{}, fmt.Errorf("hard state body of %d bytes", len(body))
	}
	r := hardStateRecord{
		version: binary.LittleEndian.Uint64(body[1:9]),
		hs: raft.HardState{
			Term:   binary.LittleEndian.Uint64(body[9:17]),
			Vote:   binary.LittleEndian.Uint64(body[17:25]),
			Commit: binary.LittleEndian.Uint64(body[25:33]),
		},
	}
	if r.version == 0 {
		return hardStateRecord{}, errors.New("hard state with version 0")
	}
	return r, nil
}

// durableState is the content of the state file: the snapshot metadata and
// a copy of the hard state taken when the file was written.
type durableState struct {
	hardState hardStateRecord // version 0 when no hard state was ever set
	snapshot  raft.SnapshotMeta
}

func encodeState(st durableState) []byte {
	body := []byte{kindState}
	body = binary.LittleEndian.AppendUint32(body, stateMagic)
	body = append(body, stateFormatVersion)
	body = binary.LittleEndian.AppendUint64(body, st.hardState.version)
	body = binary.LittleEndian.AppendUint64(body, st.hardState.hs.Term)
	body = binary.LittleEndian.AppendUint64(body, st.hardState.hs.Vote)
	body = binary.LittleEndian.AppendUint64(body, st.hardState.hs.Commit)
	body = binary.LittleEndian.AppendUint64(body, st.snapshot.Index)
	body = binary.LittleEndian.AppendUint64(body, st.snapshot.Term)
	body = appendMembers(body, st.snapshot.Conf.Voters)
	body = appendMembers(body, st.snapshot.Conf.Learners)
	return appendRecord(nil, body)
}

func appendMembers(dst []byte, ids []uint64) []byte {
	if len(ids) > confMembersMax {
		panic(fmt.Sprintf("raftlog: %d members exceed confMembersMax", len(ids)))
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(ids)))
	for _, id := range ids {
		dst = binary.LittleEndian.AppendUint64(dst, id)
	}
	return dst
}

// decodeState decodes a whole state file. Anything but exactly one valid
// state record is an error: the file is only ever replaced atomically, so
// no crash can leave it partial.
func decodeState(buf []byte) (durableState, error) {
	body, n, err := parseRecord(buf)
	if err != nil {
		return durableState{}, err
	}
	if n != len(buf) {
		return durableState{}, fmt.Errorf("%d trailing bytes after the state record", len(buf)-n)
	}
	d := decoder{buf: body}
	if d.u8() != kindState || d.u32() != stateMagic || d.u8() != stateFormatVersion {
		return durableState{}, errors.New("not a state record of a known format")
	}
	var st durableState
	st.hardState.version = d.u64()
	st.hardState.hs = raft.HardState{Term: d.u64(), Vote: d.u64(), Commit: d.u64()}
	st.snapshot.Index = d.u64()
	st.snapshot.Term = d.u64()
	st.snapshot.Conf.Voters = d.members()
	st.snapshot.Conf.Learners = d.members()
	if d.err != nil {
		return durableState{}, d.err
	}
	if len(d.buf) != 0 {
		return durableState{}, fmt.Errorf("%d trailing bytes in the state body", len(d.buf))
	}
	return st, nil
}

// decoder reads little-endian fields, remembering the first short read so
// callers check once at the end.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.buf) < n {
		d.err = errors.New("state body too short")
		return nil
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) u8() byte {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if b := d.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if b := d.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *decoder) members() []uint64 {
	n := d.u32()
	if n > confMembersMax {
		d.err = fmt.Errorf("%d members exceed the maximum %d", n, confMembersMax)
		return nil
	}
	if n == 0 {
		return nil
	}
	ids := make([]uint64, 0, n)
	for i := uint32(0); i < n && d.err == nil; i++ {
		ids = append(ids, d.u64())
	}
	return ids
}

// segmentName is the file name of the segment whose first entry has index
// first: 16 hex digits, so names sort in index order.
func segmentName(first uint64) string {
	return fmt.Sprintf("%016x%s", first, segmentSuffix)
}

// parseSegmentName is the inverse of segmentName; ok is false for any other
// name.
func parseSegmentName(name string) (first uint64, ok bool) {
	if len(name) != segmentNameBytes || !strings.HasSuffix(name, segmentSuffix) {
		return 0, false
	}
	first, err := strconv.ParseUint(name[:16], 16, 64)
	if err != nil || first == 0 {
		return 0, false
	}
	return first, true
}
