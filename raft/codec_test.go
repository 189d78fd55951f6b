package raft

import (
	"errors"
	"reflect"
	"testing"
)

func sampleMessages() []Message {
	return []Message{
		{Type: MsgApp, From: 1, To: 2, Term: 3, LogTerm: 2, Index: 10, Commit: 9,
			Entries: []Entry{{Term: 3, Index: 11, Data: []byte("x")}, {Term: 3, Index: 12, Type: EntryNoop}}},
		{Type: MsgAppResp, From: 2, To: 1, Term: 3, Index: 10, Reject: true, RejectHint: 7, LogTerm: 2},
		{Type: MsgHeartbeat, From: 1, To: 2, Term: 3, Commit: 9, ReadSeq: 4, SentTick: 100},
		{Type: MsgPreVote, From: 3, To: 1, Term: 4, Index: 12, LogTerm: 3, Context: []byte(campaignTransfer)},
		{Type: MsgReadIndex, From: 2, To: 1, Context: []byte("req-1")},
		{Type: MsgSnap, From: 1, To: 3, Term: 5, SnapOffset: 64, SnapData: []byte("chunk"), SnapLast: true,
			Snapshot: SnapshotMeta{Index: 40, Term: 4, Conf: ConfState{Voters: []uint64{1, 2, 3}, Learners: []uint64{9}}}},
		{Type: MsgTimeoutNow, From: 1, To: 2, Term: 5},
		{Type: MsgTransferLeader, From: 2, To: 1, Term: 5, Index: 3},
	}
}

func TestCodecRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		got, err := Decode(Encode(m))
		if err != nil {
			t.Fatalf("%v: %v", m, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("round trip:\n got %#v\nwant %#v", got, m)
		}
	}
}

// Every strict prefix of a valid encoding must be rejected, as must
// corrupted headers and absurd lengths.
func TestCodecRejectsBadInput(t *testing.T) {
	for _, m := range sampleMessages() {
		b := Encode(m)
		for n := range len(b) {
			if _, err := Decode(b[:n]); !errors.Is(err, ErrDecode) {
				t.Fatalf("%v: prefix %d/%d decoded (err %v)", m.Type, n, len(b), err)
			}
		}
		if _, err := Decode(append(b, 0)); err == nil {
			t.Fatalf("trailing byte accepted")
		}
	}
	bad := [][]byte{
		nil,
		{9, 1, 0},               // version
		{codecVersion, 0, 0},    // type 0
		{codecVersion, 200, 0},  // unknown type
		{codecVersion, 1, 0x80}, // unknown flag
		append([]byte{codecVersion, 1, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0}, 0xff, 0xff, 0xff, 0xff, 0x0f), // context length 4G
		append([]byte{codecVersion, 1, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0}, 0xff, 0xff, 0x03),          // 65535 entries, no bytes
		{codecVersion, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},      // varint overflow
	}
	for i, b := range bad {
		if _, err := Decode(b); !errors.Is(err, ErrDecode) {
			t.Fatalf("bad input %d decoded (err %v)", i, err)
		}
	}
}

func TestConfChangeCodec(t *testing.T) {
	cc := ConfChange{Type: ConfAddLearner, NodeID: 300}
	got, err := DecodeConfChange(cc.Encode())
	if err != nil || got != cc {
		t.Fatalf("got %v %v", got, err)
	}
	for _, b := range [][]byte{nil, {1}, {2, 1, 5}, {1, 9, 5}, {1, 1, 0}, {1, 1, 5, 5}, {1, 1, 0x80}} {
		if _, err := DecodeConfChange(b); err == nil {
			t.Fatalf("accepted %v", b)
		}
	}
}

// FuzzDecode: Decode never panics, and whatever it accepts re-encodes to
// the same bytes (the encoding is canonical for decoded messages).
func FuzzDecode(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(Encode(m))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		m2, err := Decode(Encode(m))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("not stable:\n%#v\n%#v", m, m2)
		}
	})
}
