package raftlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/lineradb/lineradb/diskio"
)

// entryLoc is where one entry's record lives in its segment, and its term,
// kept in memory so Term needs no disk read.
type entryLoc struct {
	offset      int64
	term        uint64
	recordBytes uint32
}

// damage is the first byte range of a segment that does not parse as a
// record, even after re-reading it from disk.
type damage struct {
	offset int64
	reason error
	// validAfterOffset is the offset of a valid record found after the
	// damage, or -1 when none was found. A valid record after the damage
	// means the damage is not a torn tail.
	validAfterOffset int64
}

// segmentScan is what one pass over a segment file found.
type segmentScan struct {
	name      string // file name within the log directory
	first     uint64 // index named by the file name
	sizeBytes int64
	records   int
	locs      []entryLoc // locs[i] is the entry with index first+i
	// hardStates are the hard state records in file order.
	hardStates []hardStateRecord
	// goodBytes is the end of the last record that parsed.
	goodBytes int64
	damage    *damage
	// problems are corruptions found in records that did parse: a body
	// that does not decode, an entry out of sequence, an unknown kind.
	problems []Problem
}

func (s *segmentScan) lastIndex() uint64 { return s.first + uint64(len(s.locs)) - 1 }

// reader re-reads byte ranges of a file, to tell a transient read fault
// (a bit flipped on the way, not on the disk) from stored damage.
type reader struct {
	file       diskio.File
	sizeBytes  int64
	retriesMax int
}

// readFull reads [off, off+n) or fails; a short read past the end of the
// file is not an error here, the caller sees fewer bytes.
func (r reader) read(off int64, n int) ([]byte, error) {
	if off >= r.sizeBytes {
		return nil, nil
	}
	if rest := r.sizeBytes - off; int64(n) > rest {
		n = int(rest)
	}
	buf := make([]byte, n)
	var err error
	// A failed read changes nothing on disk, so it is retried like a
	// flipped bit: an injected EIO on read is as transient as one.
	for attempt := 0; attempt <= r.retriesMax; attempt++ {
		var got int
		got, err = r.file.ReadAt(buf, off)
		if err == nil || (errors.Is(err, io.EOF) && got == n) {
			return buf, nil
		}
	}
	return nil, fmt.Errorf("raftlog: read %s at %d: %w", r.file.Name(), off, err)
}

// recordAt reads the record at off afresh, up to 1+retriesMax times, and
// returns the first copy that parses. The last parse error is returned when
// none does.
func (r reader) recordAt(off int64) (body []byte, recordBytes int, err error) {
	err = errRecordShort
	for attempt := 0; attempt <= r.retriesMax; attempt++ {
		hdr, rerr := r.read(off, recordHeaderBytes)
		if rerr != nil {
			return nil, 0, rerr
		}
		if len(hdr) < recordHeaderBytes {
			return nil, 0, errRecordShort
		}
		n := binary.LittleEndian.Uint32(hdr[0:4])
		if n == 0 || n > recordBodyBytesMax {
			err = errRecordLength
			continue
		}
		buf, rerr := r.read(off, recordHeaderBytes+int(n))
		if rerr != nil {
			return nil, 0, rerr
		}
		body, recordBytes, err = parseRecord(buf)
		if err == nil {
			return body, recordBytes, nil
		}
	}
	return nil, 0, err
}

// scanSegment reads a segment file and parses every record in it. It
// returns an error only for I/O failures; what the bytes say goes into the
// scan.
func scanSegment(fs diskio.FS, dir, name string, retriesMax int) (segmentScan, error) {
	first, _ := parseSegmentName(name)
	s := segmentScan{name: name, first: first}
	f, err := fs.Open(joinPath(dir, name))
	if err != nil {
		return s, fmt.Errorf("raftlog: open %s: %w", name, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return s, fmt.Errorf("raftlog: size of %s: %w", name, err)
	}
	s.sizeBytes = size
	r := reader{file: f, sizeBytes: size, retriesMax: retriesMax}
	buf, err := r.read(0, int(size))
	if err != nil {
		return s, err
	}
	for off := int64(0); off < size; {
		body, n, perr := parseRecord(buf[off:])
		if perr != nil {
			// The whole-file read may have caught a transient flip:
			// re-read just this record before believing it.
			body, n, perr = r.recordAt(off)
		}
		if errors.Is(perr, errRecordShort) || errors.Is(perr, errRecordLength) || errors.Is(perr, errRecordChecksum) {
			s.damage = &damage{offset: off, reason: perr, validAfterOffset: findValidRecord(r, buf, off)}
			return s, nil
		}
		if perr != nil {
			return s, perr
		}
		s.records++
		if !s.addRecord(body, off, n) {
			return s, nil
		}
		off += int64(n)
		s.goodBytes = off
	}
	return s, nil
}

// addRecord files one parsed record; it returns false after recording a
// problem that makes the rest of the segment meaningless.
func (s *segmentScan) addRecord(body []byte, off int64, n int) bool {
	switch body[0] {
	case kindEntry:
		e, err := decodeEntryHeader(body)
		if err != nil {
			s.problems = append(s.problems, Problem{File: s.name, Offset: off, Reason: err.Error()})
			return false
		}
		if want := s.first + uint64(len(s.locs)); e.Index != want {
			s.problems = append(s.problems, Problem{File: s.name, Offset: off,
				Reason: fmt.Sprintf("entry index %d where %d was expected", e.Index, want)})
			return false
		}
		s.locs = append(s.locs, entryLoc{offset: off, term: e.Term, recordBytes: uint32(n)})
	case kindHardState:
		hs, err := decodeHardState(body)
		if err != nil {
			s.problems = append(s.problems, Problem{File: s.name, Offset: off, Reason: err.Error()})
			return false
		}
		s.hardStates = append(s.hardStates, hs)
	default:
		s.problems = append(s.problems, Problem{File: s.name, Offset: off,
			Reason: fmt.Sprintf("unknown record kind %d", body[0])})
		return false
	}
	return true
}

// findValidRecord looks for a record that parses and decodes at any offset
// after a damaged one, first in buf and then in a fresh read (so a
// transient flip cannot hide it). It returns its offset, or -1.
func findValidRecord(r reader, buf []byte, damagedOffset int64) int64 {
	if off := searchRecord(buf, damagedOffset+1); off >= 0 {
		return off
	}
	fresh, err := r.read(0, int(r.sizeBytes))
	if err != nil {
		// Without a clean second look, assume the worst: the caller
		// reports corruption rather than truncating a maybe-good tail.
		return damagedOffset
	}
	return searchRecord(fresh, damagedOffset+1)
}

func searchRecord(buf []byte, from int64) int64 {
	for off := from; off+recordHeaderBytes < int64(len(buf)); off++ {
		body, _, err := parseRecord(buf[off:])
		if err != nil {
			continue
		}
		if decodable(body) {
			return off
		}
	}
	return -1
}

func decodable(body []byte) bool {
	switch body[0] {
	case kindEntry:
		_, err := decodeEntryHeader(body)
		return err == nil
	case kindHardState:
		_, err := decodeHardState(body)
		return err == nil
	}
	return false
}

func joinPath(dir, name string) string {
	if dir == "" || dir == "." {
		return name
	}
	return dir + "/" + name
}
