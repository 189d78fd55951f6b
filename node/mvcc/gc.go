package mvcc

// Physical GC of tombstone values. A delete is stored as a tombstone value
// (so validation can read "the newest version of k"), and compaction drops
// it through the LSM's compaction filter once nothing can tell it from an
// absent key. The argument is in doc.go ("Tombstone GC").

// dropOldTombstone is the store's lsm.CompactionFilter: it drops a user
// tombstone value written at seq. The LSM asks only about entries below
// the filter horizon (gcHorizon) that are the newest version of their key
// with nothing older left below them. A value that does not decode is
// kept: the filter must never turn corruption into a silent deletion.
func dropOldTombstone(key, value []byte, seq uint64) bool {
	if len(key) == 0 || key[0] != prefixUser {
		return false
	}
	st, err := decodeValue(value)
	return err == nil && st.tombstone && st.version == seq
}

// gcHorizon is the version below which tombstone values may be dropped:
// the history window measured from the DURABLE applied index, not the
// applied one. After a crash the log replays from DurableApplied()+1, and
// every commit replayed then has a horizon of at least
// DurableApplied()+1 − RetainedVersions, above this one; measuring from
// the applied index would let a replayed commit validate against a state
// missing a tombstone it saw the first time.
func (s *Store) gcHorizon() uint64 {
	if s.opts.keepTombstones {
		return 0
	}
	return s.Horizon(s.DurableApplied())
}

// syncFilterHorizon hands the LSM the current GC horizon. It is called
// before every LSM call that may start a compaction (apply, Step,
// CompactAll); a stale horizon is only lower, which is safe.
func (s *Store) syncFilterHorizon() {
	h := s.gcHorizon()
	if h < s.db.FilterHorizon() {
		panic("mvcc: the tombstone GC horizon moved backwards")
	}
	s.db.SetFilterHorizon(h)
}

// checksumSkips reports whether Checksum leaves a stored entry out: a
// tombstone value below the horizon of the applied index, which reads
// exactly like an absent key and which one replica may have dropped and
// another not (their compactions differ). Everything a replica's
// compaction may drop is below that horizon, since the GC horizon trails
// it (DurableApplied <= Applied).
func checksumSkips(key, value []byte, horizon uint64) bool {
	if len(key) == 0 || key[0] != prefixUser {
		return false
	}
	st, err := decodeValue(value)
	return err == nil && st.tombstone && st.version < horizon
}
