package raft

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Wire format of a Message (all integers are uvarints unless noted):
//
//	version(1 byte) type(1 byte) flags(1 byte: bit0 Reject, bit1 SnapLast)
//	From To Term LogTerm Index Commit RejectHint ReadSeq SentTick
//	Context(bytes)
//	entryCount, then per entry: Term Index Type(1 byte) Data(bytes)
//	Snapshot: Index Term voterCount voters... learnerCount learners...
//	SnapOffset SnapData(bytes)
//
// bytes = uvarint length + that many bytes. Decode bounds every count and
// length by a named maximum AND by the bytes actually remaining, so hostile
// input can neither panic nor make it allocate more than its own size.

const codecVersion = 1

// Decoding limits.
const (
	maxDecodeEntries = 1 << 16
	maxDecodeBytes   = 64 << 20
	maxDecodeMembers = 1 << 12
)

const (
	flagReject   = 1 << 0
	flagSnapLast = 1 << 1
	flagsKnown   = flagReject | flagSnapLast
)

// ErrDecode wraps every decoding failure.
var ErrDecode = errors.New("raft: cannot decode message")

// Encode serializes m for the network.
func Encode(m Message) []byte {
	b := make([]byte, 0, 64+len(m.SnapData)+len(m.Context)+entriesSize(m.Entries))
	var flags byte
	if m.Reject {
		flags |= flagReject
	}
	if m.SnapLast {
		flags |= flagSnapLast
	}
	b = append(b, codecVersion, byte(m.Type), flags)
	for _, v := range []uint64{m.From, m.To, m.Term, m.LogTerm, m.Index, m.Commit, m.RejectHint, m.ReadSeq, m.SentTick} {
		b = binary.AppendUvarint(b, v)
	}
	b = appendBytes(b, m.Context)
	b = binary.AppendUvarint(b, uint64(len(m.Entries)))
	for _, e := range m.Entries {
		b = binary.AppendUvarint(b, e.Term)
		b = binary.AppendUvarint(b, e.Index)
		b = append(b, byte(e.Type))
		b = appendBytes(b, e.Data)
	}
	b = binary.AppendUvarint(b, m.Snapshot.Index)
	b = binary.AppendUvarint(b, m.Snapshot.Term)
	b = appendIDs(b, m.Snapshot.Conf.Voters)
	b = appendIDs(b, m.Snapshot.Conf.Learners)
	b = binary.AppendUvarint(b, m.SnapOffset)
	return appendBytes(b, m.SnapData)
}

func entriesSize(ents []Entry) int {
	n := 0
	for _, e := range ents {
		n += 24 + len(e.Data)
	}
	return n
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendIDs(b []byte, ids []uint64) []byte {
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = binary.AppendUvarint(b, id)
	}
	return b
}

// decoder reads from buf, remembering the first error.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrDecode, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) byte1(what string) byte {
	if d.err != nil {
		return 0
	}
	if len(d.buf) < 1 {
		d.fail("truncated at %s", what)
		return 0
	}
	v := d.buf[0]
	d.buf = d.buf[1:]
	return v
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail("bad varint at %s", what)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

// count reads a length that must be <= max and <= the remaining bytes
// divided by the minimum encoded size of one element.
func (d *decoder) count(what string, max uint64, minElemBytes int) int {
	n := d.uvarint(what)
	if d.err != nil {
		return 0
	}
	if n > max || n > uint64(len(d.buf)/minElemBytes) {
		d.fail("%s count %d exceeds limit", what, n)
		return 0
	}
	return int(n)
}

func (d *decoder) bytes(what string) []byte {
	n := d.count(what, maxDecodeBytes, 1)
	if d.err != nil || n == 0 {
		return nil
	}
	v := make([]byte, n)
	copy(v, d.buf[:n])
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) ids(what string) []uint64 {
	n := d.count(what, maxDecodeMembers, 1)
	if n == 0 {
		return nil
	}
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = d.uvarint(what)
	}
	return ids
}

// Decode parses a message produced by Encode. Any malformed input returns
// an error wrapping ErrDecode; it never panics.
func Decode(b []byte) (Message, error) {
	d := &decoder{buf: b}
	if v := d.byte1("version"); d.err == nil && v != codecVersion {
		d.fail("version %d", v)
	}
	var m Message
	m.Type = MessageType(d.byte1("type"))
	flags := d.byte1("flags")
	if d.err == nil && !m.Type.valid() {
		d.fail("message type %d", m.Type)
	}
	if d.err == nil && flags&^flagsKnown != 0 {
		d.fail("flags %#x", flags)
	}
	m.Reject, m.SnapLast = flags&flagReject != 0, flags&flagSnapLast != 0
	for _, p := range []*uint64{&m.From, &m.To, &m.Term, &m.LogTerm, &m.Index, &m.Commit, &m.RejectHint, &m.ReadSeq, &m.SentTick} {
		*p = d.uvarint("header")
	}
	m.Context = d.bytes("context")
	m.Entries = d.entries()
	m.Snapshot.Index = d.uvarint("snapshot index")
	m.Snapshot.Term = d.uvarint("snapshot term")
	m.Snapshot.Conf.Voters = d.ids("voters")
	m.Snapshot.Conf.Learners = d.ids("learners")
	m.SnapOffset = d.uvarint("snapshot offset")
	m.SnapData = d.bytes("snapshot data")
	if d.err == nil && len(d.buf) != 0 {
		d.fail("%d trailing bytes", len(d.buf))
	}
	if d.err != nil {
		return Message{}, d.err
	}
	return m, nil
}

// entryMinBytes is the smallest encoding of an entry (4 one-byte fields).
const entryMinBytes = 4

func (d *decoder) entries() []Entry {
	n := d.count("entries", maxDecodeEntries, entryMinBytes)
	if n == 0 {
		return nil
	}
	ents := make([]Entry, n)
	for i := range ents {
		ents[i].Term = d.uvarint("entry term")
		ents[i].Index = d.uvarint("entry index")
		ents[i].Type = EntryType(d.byte1("entry type"))
		if d.err == nil && ents[i].Type > EntryConfChange {
			d.fail("entry type %d", ents[i].Type)
		}
		ents[i].Data = d.bytes("entry data")
	}
	return ents
}
