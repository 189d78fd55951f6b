package lsm

// CompactionFilter lets the owner drop values it reads as absent — such as
// MVCC tombstone values whose version no reader or validation can still
// tell from a missing key — during compaction. It must be a pure,
// deterministic function of its arguments: it is called with the user key,
// the value and the entry's seq, and it must not keep the slices (they
// alias compaction buffers).
//
// A drop makes the key absent to every reader that would have seen the
// entry, open snapshots included, so a filter may drop only entries its
// owner treats exactly like a missing key. The LSM guarantees the rest:
// dropping never exposes an older version (see SetCompactionFilter).
type CompactionFilter func(key, value []byte, seq uint64) (drop bool)

// SetCompactionFilter installs f (nil: none) for compactions that start
// from now on. The LSM asks f about an entry only when dropping it is
// indistinguishable from the LSM's own elision of a point deletion there:
//
//  1. the entry is a set, and its seq is below the filter horizon
//     (SetFilterHorizon; 0, the default, asks about nothing);
//  2. it is the newest version of its key among the compaction's inputs,
//     and no open snapshot predates it (every snapshot sees it or a newer
//     version), so every older input version of the key is shadowed and
//     dropped anyway;
//  3. it is not hidden by a range tombstone in the compaction.
//
// A drop f asks for then happens only if no table outside the compaction
// may hold an older version of the key (the compaction reaches the bottom
// of the data for that key): otherwise the older version would resurface.
// Flushes never filter.
func (d *DB) SetCompactionFilter(f CompactionFilter) { d.filter = f }

// SetFilterHorizon sets the seq below which the compaction filter is
// consulted, for compactions that start from now on. The owner raises it
// as the entries below it stop mattering (an MVCC store: its GC horizon).
// The horizon is not persisted: set it again after Open.
func (d *DB) SetFilterHorizon(seq uint64) { d.filterHorizonSeq = seq }

// FilterHorizon returns the current filter horizon.
func (d *DB) FilterHorizon() uint64 { return d.filterHorizonSeq }

// filterDrops decides whether compaction drops the point entry (uk, seq)
// through the owner's filter. newKey reports that it is the first version
// of uk the compaction sees; stripe is its snapshot stripe.
func (d *DB) filterDrops(c *compaction, uk, value []byte, seq uint64, kind Kind, newKey bool, stripe int) bool {
	if d.opts.brokenFilterAnywhere && c.filter != nil && kind == KindSet && seq < c.filterHorizonSeq {
		return c.filter(uk, value, seq) // test-only: ignores shadowed older versions
	}
	if c.filter == nil || kind != KindSet || !newKey || stripe != 0 || seq >= c.filterHorizonSeq {
		return false
	}
	return c.filter(uk, value, seq) && !d.olderDataOutside(c, uk, uk, seq)
}
