package lsm

import (
	"bytes"
	"sort"
)

// rangeTombstone deletes every version of the user keys in [start, end)
// with a sequence number below seq.
type rangeTombstone struct {
	start, end []byte
	seq        uint64
}

func (t rangeTombstone) contains(key []byte) bool {
	return bytes.Compare(t.start, key) <= 0 && bytes.Compare(key, t.end) < 0
}

// fragment is a piece of key space [start, end) with the seqs, descending,
// of every tombstone that covers all of it. Fragments of one set do not
// overlap and are sorted by start.
type fragment struct {
	start, end []byte
	seqs       []uint64
}

// tombstoneSet answers coverage queries over a set of range tombstones.
type tombstoneSet struct {
	frags []fragment
}

// fragmentTombstones splits overlapping tombstones at every boundary so that
// each piece has one list of covering seqs.
func fragmentTombstones(ts []rangeTombstone) *tombstoneSet {
	if len(ts) == 0 {
		return &tombstoneSet{}
	}
	bounds := make([][]byte, 0, 2*len(ts))
	for _, t := range ts {
		bounds = append(bounds, t.start, t.end)
	}
	sort.Slice(bounds, func(i, j int) bool { return bytes.Compare(bounds[i], bounds[j]) < 0 })
	uniq := bounds[:1]
	for _, b := range bounds[1:] {
		if !bytes.Equal(b, uniq[len(uniq)-1]) {
			uniq = append(uniq, b)
		}
	}
	frags := make([]fragment, len(uniq)-1)
	for i := range frags {
		frags[i] = fragment{start: uniq[i], end: uniq[i+1]}
	}
	for _, t := range ts {
		i := sort.Search(len(uniq), func(i int) bool { return bytes.Compare(uniq[i], t.start) >= 0 })
		for ; i < len(frags) && bytes.Compare(frags[i].start, t.end) < 0; i++ {
			frags[i].seqs = append(frags[i].seqs, t.seq)
		}
	}
	out := frags[:0]
	for _, f := range frags {
		if len(f.seqs) > 0 {
			sort.Slice(f.seqs, func(i, j int) bool { return f.seqs[i] > f.seqs[j] })
			out = append(out, f)
		}
	}
	return &tombstoneSet{frags: out}
}

// find returns the fragment containing key, or nil.
func (s *tombstoneSet) find(key []byte) *fragment {
	if len(s.frags) == 0 {
		return nil
	}
	i := sort.Search(len(s.frags), func(i int) bool { return bytes.Compare(s.frags[i].end, key) > 0 })
	if i < len(s.frags) && bytes.Compare(s.frags[i].start, key) <= 0 {
		return &s.frags[i]
	}
	return nil
}

// coveredAt reports whether a point version (key, seq) is deleted for a
// reader at snapshot snapSeq: some tombstone with seq in (seq, snapSeq]
// covers key.
func (s *tombstoneSet) coveredAt(key []byte, seq, snapSeq uint64) bool {
	f := s.find(key)
	if f == nil {
		return false
	}
	// seqs are descending: the first one <= snapSeq is the newest visible.
	for _, t := range f.seqs {
		if t <= snapSeq {
			return t > seq
		}
	}
	return false
}

// tombstones returns the set as non-overlapping tombstones clipped to
// [lo, hi) (nil means unbounded), one per fragment and seq.
func (s *tombstoneSet) tombstones(lo, hi []byte) []rangeTombstone {
	var out []rangeTombstone
	for _, f := range s.frags {
		start, end := f.start, f.end
		if lo != nil && bytes.Compare(start, lo) < 0 {
			start = lo
		}
		if hi != nil && bytes.Compare(end, hi) > 0 {
			end = hi
		}
		if bytes.Compare(start, end) >= 0 {
			continue
		}
		for _, seq := range f.seqs {
			out = append(out, rangeTombstone{start: start, end: end, seq: seq})
		}
	}
	return out
}
