package raft

import (
	"fmt"
	"slices"
	"testing"
)

// memLog hands out subslices of its array (MsgApp entries, Ready entries)
// without copying; that is only sound if no element is ever written again
// after it was appended. Truncating and re-appending, or compacting, must
// leave every slice handed out earlier exactly as it was.
func TestMemLogHandedOutSlicesNeverChange(t *testing.T) {
	mutations := map[string]func(l *memLog){
		"truncate": func(l *memLog) {
			l.truncateFrom(6)
			l.append(testEntries(2, 6, 7)...) // fits in the old capacity
		},
		"compact": func(l *memLog) {
			l.compact(4)
			l.append(testEntries(1, 11, 12)...)
		},
	}
	for _, name := range []string{"truncate", "compact"} {
		t.Run(name, func(t *testing.T) {
			var l memLog
			l.entries = make([]Entry, 0, 32)
			l.append(testEntries(1, 1, 10)...)
			l.stable, l.committed, l.applied, l.handed = 10, 4, 4, 4
			sent := l.slice(3, 11, 100, 1<<20)
			ready := l.between(5, 10)
			want := [][]Entry{slices.Clone(sent), slices.Clone(ready)}
			mutations[name](&l)
			if err := l.check(); err != nil {
				t.Fatal(err)
			}
			for i, got := range [][]Entry{sent, ready} {
				if !slices.EqualFunc(got, want[i], sameEntry) {
					t.Fatalf("handed-out slice %d changed:\n got %v\nwant %v", i, got, want[i])
				}
			}
		})
	}
}

// The shared slices are capped: an owner appending to one cannot write
// into the log's spare capacity.
func TestMemLogHandedOutSlicesAreCapped(t *testing.T) {
	var l memLog
	l.append(testEntries(1, 1, 4)...)
	l.entries = slices.Grow(l.entries, 16)
	for _, s := range [][]Entry{l.slice(1, 3, 100, 1<<20), l.between(1, 2)} {
		if cap(s) != len(s) {
			t.Fatalf("slice of len %d has cap %d", len(s), cap(s))
		}
	}
}

// Compaction keeps the tail and leaves headroom for the next cycle.
func TestMemLogCompactKeepsTailAndHeadroom(t *testing.T) {
	var l memLog
	l.append(testEntries(1, 1, 1000)...)
	l.committed, l.applied, l.handed, l.stable = 990, 990, 990, 1000
	l.compact(990)
	if l.firstIndex() != 991 || l.lastIndex() != 1000 || len(l.entries) != 10 {
		t.Fatalf("after compact: first %d last %d len %d", l.firstIndex(), l.lastIndex(), len(l.entries))
	}
	if cap(l.entries) < 1000 {
		t.Fatalf("compaction left capacity %d for a 1000-entry cycle", cap(l.entries))
	}
	if err := l.check(); err != nil {
		t.Fatal(err)
	}
}

func testEntries(term, lo, hi uint64) []Entry {
	var ents []Entry
	for i := lo; i <= hi; i++ {
		ents = append(ents, Entry{Term: term, Index: i, Data: []byte(fmt.Sprintf("%d.%d", term, i))})
	}
	return ents
}

func sameEntry(a, b Entry) bool {
	return a.Term == b.Term && a.Index == b.Index && a.Type == b.Type && string(a.Data) == string(b.Data)
}
