package raftlog

import "fmt"

// checkInvariants asserts the Log's invariants after a state change. The
// cheap ones always run; walking every entry needs the invariants tag.
// A violation is a bug in this package, so it panics.
func (l *Log) checkInvariants() {
	assert(len(l.segs) >= 1, "no active segment")
	assert(l.snap.Index <= l.lastIndex, "snapshot beyond the last index")
	assert(l.hs.Commit <= l.lastIndex, "commit beyond the last index")
	a := l.active()
	assert(a.next() == l.lastIndex+1, "active segment does not end at the last index")
	assert(len(l.pend) <= l.opts.WriteBufferBytesMax+recordHeaderBytes+recordBodyBytesMax,
		"write buffer over its bound")
	if !invariantsEnabled {
		return
	}
	for i, s := range l.segs {
		assert(s.name == segmentName(s.first), "segment name does not match its first index")
		assert(len(s.locs) > 0 || i == len(l.segs)-1, "empty sealed segment")
		if i > 0 {
			prev := l.segs[i-1]
			assert(s.first > prev.first, "segments out of order")
			assert(s.first == prev.next() || s.first <= l.snap.Index+1, "gap between segments above the snapshot")
		}
		checkLocs(s, s == a, int64(len(l.pend)))
	}
}

// checkLocs asserts that a segment's records lie in order within its bytes.
func checkLocs(s *segment, active bool, pendBytes int64) {
	end := s.sizeBytes
	if active {
		end += pendBytes
	}
	var prevEnd int64
	for _, loc := range s.locs {
		assert(loc.offset >= prevEnd, "entry records overlap or go backwards")
		prevEnd = loc.offset + int64(loc.recordBytes)
	}
	assert(prevEnd <= end, "entry record beyond the end of its segment")
}

func assert(ok bool, what string) {
	if !ok {
		panic(fmt.Sprintf("raftlog: invariant violated: %s", what))
	}
}
