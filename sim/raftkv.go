package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"

	"github.com/lineradb/lineradb/raft"
)

// The replicated key-value register the Raft campaign runs: a handful of
// int64 registers with put and compare-and-set, replicated as Raft entries,
// and reads served by ReadIndex from any member's applied state.
//
// Every command carries (client, seq). A client has one operation
// outstanding at a time and never reuses a seq, so the state machine skips
// any command whose seq is not above the client's last applied one: a
// MsgProp duplicated by the network, or a timed-out command that commits
// after a later one, then has no effect. Without this, at-least-once
// proposal delivery alone would make a correct Raft look non-linearizable.

// kvCmdKind is what a replicated command does.
type kvCmdKind uint8

const (
	kvPut kvCmdKind = iota + 1
	kvCAS
	// kvProbe changes nothing: the liveness check proposes it after heal
	// and waits for a majority to apply it.
	kvProbe
)

// Bounds of the state machine; commands beyond them are malformed.
const (
	kvKeysMax    = 8
	kvClientsMax = 16
	kvCmdBytes   = 1 + 1 + 4 + 8 + 8 + 8 + 8
	kvCmdMagic   = 0xC7
	kvSnapMagic  = 0x4b565331 // "KVS1"
)

var errKVMalformed = errors.New("sim: malformed kv bytes")

// kvCmd is one replicated command.
type kvCmd struct {
	kind   kvCmdKind
	client uint32
	seq    uint64
	key    int64
	value  int64
	expect int64
}

func (c kvCmd) encode() []byte {
	b := make([]byte, 0, kvCmdBytes)
	b = append(b, kvCmdMagic, byte(c.kind))
	b = binary.LittleEndian.AppendUint32(b, c.client)
	b = binary.LittleEndian.AppendUint64(b, c.seq)
	b = binary.LittleEndian.AppendUint64(b, uint64(c.key))
	b = binary.LittleEndian.AppendUint64(b, uint64(c.value))
	b = binary.LittleEndian.AppendUint64(b, uint64(c.expect))
	return b
}

func decodeKVCmd(b []byte) (kvCmd, error) {
	if len(b) != kvCmdBytes || b[0] != kvCmdMagic {
		return kvCmd{}, fmt.Errorf("%w: command of %d bytes", errKVMalformed, len(b))
	}
	c := kvCmd{
		kind:   kvCmdKind(b[1]),
		client: binary.LittleEndian.Uint32(b[2:]),
		seq:    binary.LittleEndian.Uint64(b[6:]),
		key:    int64(binary.LittleEndian.Uint64(b[14:])),
		value:  int64(binary.LittleEndian.Uint64(b[22:])),
		expect: int64(binary.LittleEndian.Uint64(b[30:])),
	}
	if c.kind < kvPut || c.kind > kvProbe || c.client >= kvClientsMax {
		return kvCmd{}, fmt.Errorf("%w: kind %d client %d", errKVMalformed, c.kind, c.client)
	}
	if c.kind != kvProbe && (c.key < 0 || c.key >= kvKeysMax) {
		return kvCmd{}, fmt.Errorf("%w: key %d", errKVMalformed, c.key)
	}
	return c, nil
}

// kvState is the register state machine. Keys are dense small integers, so
// slices stand in for maps and nothing depends on iteration order.
//
// Invariant: len(present) == len(values) == kvKeysMax and
// len(lastSeq) == kvClientsMax.
type kvState struct {
	present []bool
	values  []int64
	// lastSeq is each client's highest applied command seq (dedup).
	lastSeq []uint64
}

func newKVState() kvState {
	return kvState{
		present: make([]bool, kvKeysMax),
		values:  make([]int64, kvKeysMax),
		lastSeq: make([]uint64, kvClientsMax),
	}
}

func (s kvState) clone() kvState {
	return kvState{present: slices.Clone(s.present), values: slices.Clone(s.values), lastSeq: slices.Clone(s.lastSeq)}
}

// kvResult is what applying a command did.
type kvResult struct {
	// duplicate: skipped by the seq check, no effect.
	duplicate bool
	swapped   bool
}

// apply runs one decoded command. It is deterministic: every member applies
// the same commands in the same order and reaches the same state.
func (s kvState) apply(c kvCmd) kvResult {
	if c.kind == kvProbe {
		return kvResult{}
	}
	if c.seq <= s.lastSeq[c.client] {
		return kvResult{duplicate: true}
	}
	s.lastSeq[c.client] = c.seq
	switch c.kind {
	case kvPut:
		s.present[c.key], s.values[c.key] = true, c.value
	case kvCAS:
		if !s.present[c.key] || s.values[c.key] != c.expect {
			return kvResult{}
		}
		s.values[c.key] = c.value
		return kvResult{swapped: true}
	}
	return kvResult{}
}

func (s kvState) get(key int64) (int64, bool) {
	return s.values[key], s.present[key]
}

// encode is the snapshot form of the state, checksummed so a damaged
// snapshot file is detected rather than installed.
func (s kvState) encode() []byte {
	b := binary.LittleEndian.AppendUint32(nil, kvSnapMagic)
	for i := range kvKeysMax {
		p := byte(0)
		if s.present[i] {
			p = 1
		}
		b = append(b, p)
		b = binary.LittleEndian.AppendUint64(b, uint64(s.values[i]))
	}
	for _, q := range s.lastSeq {
		b = binary.LittleEndian.AppendUint64(b, q)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

const kvStateBytes = 4 + kvKeysMax*9 + kvClientsMax*8 + 4

var crcTable = crc32.MakeTable(crc32.Castagnoli)

func decodeKVState(b []byte) (kvState, error) {
	if len(b) != kvStateBytes || binary.LittleEndian.Uint32(b) != kvSnapMagic {
		return kvState{}, fmt.Errorf("%w: state of %d bytes", errKVMalformed, len(b))
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return kvState{}, fmt.Errorf("%w: state checksum", errKVMalformed)
	}
	s := newKVState()
	off := 4
	for i := range kvKeysMax {
		switch b[off] {
		case 0:
		case 1:
			s.present[i] = true
		default:
			return kvState{}, fmt.Errorf("%w: presence byte %d", errKVMalformed, b[off])
		}
		s.values[i] = int64(binary.LittleEndian.Uint64(b[off+1:]))
		off += 9
	}
	for i := range kvClientsMax {
		s.lastSeq[i] = binary.LittleEndian.Uint64(b[off:])
		off += 8
	}
	return s, nil
}

// hash summarises the state for the state-machine safety check.
func (s kvState) hash() uint64 { return hashBytes(s.encode()) }

// The snapshot file: the meta Raft needs on restart, then the state.
//
//	magic u32 | index u64 | term u64 | nv u32 | voters u64... |
//	nl u32 | learners u64... | state bytes (kvStateBytes) | crc32c u32
const snapFileMagic = 0x534e4150 // "SNAP"

// membersMax bounds the voters and learners a snapshot file may list.
const membersMax = 64

func encodeSnapFile(meta raft.SnapshotMeta, state []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, snapFileMagic)
	b = binary.LittleEndian.AppendUint64(b, meta.Index)
	b = binary.LittleEndian.AppendUint64(b, meta.Term)
	for _, ids := range [][]uint64{meta.Conf.Voters, meta.Conf.Learners} {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(ids)))
		for _, id := range ids {
			b = binary.LittleEndian.AppendUint64(b, id)
		}
	}
	b = append(b, state...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

func decodeSnapFile(b []byte) (raft.SnapshotMeta, []byte, error) {
	var meta raft.SnapshotMeta
	if len(b) < 4+16+8+4 || binary.LittleEndian.Uint32(b) != snapFileMagic {
		return meta, nil, fmt.Errorf("%w: snapshot file header", errKVMalformed)
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return meta, nil, fmt.Errorf("%w: snapshot file checksum", errKVMalformed)
	}
	meta.Index = binary.LittleEndian.Uint64(body[4:])
	meta.Term = binary.LittleEndian.Uint64(body[12:])
	rest := body[20:]
	lists := [2][]uint64{}
	for li := range lists {
		if len(rest) < 4 {
			return meta, nil, fmt.Errorf("%w: snapshot member count", errKVMalformed)
		}
		n := int(binary.LittleEndian.Uint32(rest))
		rest = rest[4:]
		if n > membersMax || len(rest) < 8*n {
			return meta, nil, fmt.Errorf("%w: %d members", errKVMalformed, n)
		}
		for i := range n {
			lists[li] = append(lists[li], binary.LittleEndian.Uint64(rest[8*i:]))
		}
		rest = rest[8*n:]
	}
	meta.Conf = raft.ConfState{Voters: lists[0], Learners: lists[1]}
	if len(rest) != kvStateBytes {
		return meta, nil, fmt.Errorf("%w: snapshot state of %d bytes", errKVMalformed, len(rest))
	}
	return meta, rest, nil
}
