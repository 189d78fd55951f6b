package lsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Kind is what an internal key records about its user key.
type Kind uint8

// Kinds, in the order they are stored in the low byte of a trailer. The
// numeric values are part of the on-disk format and must not change.
const (
	KindDelete      Kind = 0
	KindSet         Kind = 1
	KindRangeDelete Kind = 2
	// kindSeek is never stored: a seek key (u, seq, kindSeek) sorts before
	// every stored key of u with that seq, because trailers sort descending.
	kindSeek Kind = 0xff
)

func (k Kind) String() string {
	switch k {
	case KindDelete:
		return "DEL"
	case KindSet:
		return "SET"
	case KindRangeDelete:
		return "RANGEDEL"
	}
	return fmt.Sprintf("KIND(%d)", uint8(k))
}

const (
	trailerLenBytes = 8
	// SeqMax is the largest sequence number: 56 bits, the trailer's high part.
	SeqMax uint64 = 1<<56 - 1
)

// makeInternalKey appends the 8-byte trailer (seq<<8 | kind, little endian)
// to a copy of the user key.
func makeInternalKey(dst, userKey []byte, seq uint64, kind Kind) []byte {
	dst = append(dst[:0], userKey...)
	return binary.LittleEndian.AppendUint64(dst, seq<<8|uint64(kind))
}

// decodeInternalKey splits an internal key. ok is false if the key is too
// short to hold a trailer or its kind is unknown: the caller treats that as
// corruption.
func decodeInternalKey(ikey []byte) (userKey []byte, seq uint64, kind Kind, ok bool) {
	n := len(ikey) - trailerLenBytes
	if n < 0 {
		return nil, 0, 0, false
	}
	t := binary.LittleEndian.Uint64(ikey[n:])
	kind = Kind(t & 0xff)
	if kind > KindRangeDelete {
		return nil, 0, 0, false
	}
	return ikey[:n:n], t >> 8, kind, true
}

// userKeyOf returns the user-key part of a well-formed internal key.
func userKeyOf(ikey []byte) []byte {
	return ikey[: len(ikey)-trailerLenBytes : len(ikey)-trailerLenBytes]
}

func trailerOf(ikey []byte) uint64 {
	return binary.LittleEndian.Uint64(ikey[len(ikey)-trailerLenBytes:])
}

func seqOf(ikey []byte) uint64 { return trailerOf(ikey) >> 8 }

func kindOf(ikey []byte) Kind { return Kind(trailerOf(ikey) & 0xff) }

// compareInternal orders internal keys by user key ascending, then by trailer
// descending, so the newest version of a user key comes first.
func compareInternal(a, b []byte) int {
	if c := bytes.Compare(userKeyOf(a), userKeyOf(b)); c != 0 {
		return c
	}
	ta, tb := trailerOf(a), trailerOf(b)
	switch {
	case ta > tb:
		return -1
	case ta < tb:
		return 1
	}
	return 0
}

// formatKey renders an internal key for error messages and debugging.
func formatKey(ikey []byte) string {
	u, seq, kind, ok := decodeInternalKey(ikey)
	if !ok {
		return fmt.Sprintf("malformed(%x)", ikey)
	}
	return fmt.Sprintf("%q#%d,%s", u, seq, kind)
}
