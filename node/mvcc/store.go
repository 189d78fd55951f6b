package mvcc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/lsm"
	"github.com/lineradb/lineradb/node/kv"
)

// DefaultRetainedVersions is the default history window in entries.
const DefaultRetainedVersions = 100_000

// dedupGCEveryEntries is how often (in applied entries) the dedup records
// of requests too old to be applied again are range-deleted. Every replica
// does it at the same indexes, so it is part of the replicated state.
const dedupGCEveryEntries = 64

// Options configure a Store.
type Options struct {
	// LSM configures the engine. DisableWAL is forced on: the Raft log is
	// the write-ahead log.
	LSM lsm.Options
	// RetainedVersions is the history window in Raft entries: a commit
	// applied at index i whose read version is below i-RetainedVersions
	// aborts with kv.ErrTooOld. It must be the same on every replica (it
	// decides commits). Larger windows let longer transactions commit, at
	// the cost of keeping dedup records longer. Default
	// DefaultRetainedVersions.
	RetainedVersions uint64
	// SkipReadSetCheck applies commits without validating what they read:
	// a canary that breaks serializability on purpose. Never in production.
	SkipReadSetCheck bool
}

// Outcome is what applying a commit entry decided.
type Outcome uint8

const (
	// OutcomeCommitted: the writes landed at the entry's index.
	OutcomeCommitted Outcome = iota + 1
	// OutcomeSerialization: something validated was written after the
	// read version.
	OutcomeSerialization
	// OutcomeTooOld: the read version is below the horizon.
	OutcomeTooOld
	// OutcomeDuplicate: the same request already committed (a proposal
	// the network duplicated); nothing was written.
	OutcomeDuplicate
	// OutcomeInvalid: the entry cannot be a real commit (its read version
	// is not below its index); nothing was written.
	OutcomeInvalid
)

func (o Outcome) String() string {
	switch o {
	case OutcomeCommitted:
		return "committed"
	case OutcomeSerialization:
		return "serialization"
	case OutcomeTooOld:
		return "too-old"
	case OutcomeDuplicate:
		return "duplicate"
	case OutcomeInvalid:
		return "invalid"
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// Err maps an outcome to the kv error a gateway reports.
func (o Outcome) Err() error {
	switch o {
	case OutcomeCommitted:
		return nil
	case OutcomeSerialization:
		return kv.ErrSerialization
	case OutcomeTooOld:
		return kv.ErrTooOld
	}
	return fmt.Errorf("mvcc: commit %s", o)
}

// Counters are cumulative apply counts since Open.
type Counters struct {
	EntriesApplied       uint64
	Commits              uint64
	AbortsSerialization  uint64
	AbortsTooOld         uint64
	Duplicates           uint64
	Invalid              uint64
	TombstonesFromRanges uint64
}

// Store is the MVCC state machine over one LSM. One goroutine owns it.
//
// Invariant: db.LastSeq() is the index of the last applied entry (every
// applied entry writes at least the applied record at its index).
type Store struct {
	db      *lsm.DB
	opts    Options
	readers int
	c       Counters
}

// Open opens (creating if needed) the store in dir. Its applied index is
// the LSM's DurableSeq: the owner replays the Raft log after it.
func Open(fs diskio.FS, dir string, opts Options) (*Store, error) {
	if opts.RetainedVersions == 0 {
		opts.RetainedVersions = DefaultRetainedVersions
	}
	opts.LSM.DisableWAL = true
	db, err := lsm.Open(fs, dir, opts.LSM)
	if err != nil {
		return nil, err
	}
	if db.LastSeq() != db.DurableSeq() {
		db.Close()
		return nil, fmt.Errorf("mvcc: reopened LSM has last seq %d above durable seq %d without a WAL", db.LastSeq(), db.DurableSeq())
	}
	return &Store{db: db, opts: opts}, nil
}

// Close releases the LSM. Unflushed applied entries are lost; the Raft log
// replays them. Every Reader must be closed first.
func (s *Store) Close() error {
	if s.readers != 0 {
		panic(fmt.Sprintf("mvcc: Close with %d open readers", s.readers))
	}
	return s.db.Close()
}

// Applied is the index of the last applied entry.
func (s *Store) Applied() uint64 { return s.db.LastSeq() }

// DurableApplied is the last applied index that survives a crash.
func (s *Store) DurableApplied() uint64 { return s.db.DurableSeq() }

// RetainedVersions is the configured history window.
func (s *Store) RetainedVersions() uint64 { return s.opts.RetainedVersions }

// Horizon is the oldest read version a commit applied at index may have.
func (s *Store) Horizon(index uint64) uint64 {
	if index <= s.opts.RetainedVersions {
		return 0
	}
	return index - s.opts.RetainedVersions
}

// Counters returns the apply counts.
func (s *Store) Counters() Counters { return s.c }

// Metrics returns the LSM's metrics.
func (s *Store) Metrics() lsm.Metrics { return s.db.Metrics() }

// Step does paced background work (flush, compaction).
func (s *Store) Step(budgetBytes int64) (bool, error) { return s.db.Step(budgetBytes) }

// Flush makes every applied entry durable in tables.
func (s *Store) Flush() error { return s.db.Flush() }

// CompactAll runs background work to completion (tests and tools).
func (s *Store) CompactAll() error { return s.db.CompactAll() }

// Checkpoint writes an openable copy of the store at Applied into destDir.
func (s *Store) Checkpoint(destDir string) error { return s.db.Checkpoint(destDir) }

func (s *Store) checkNext(index uint64) {
	if index <= s.db.LastSeq() {
		panic(fmt.Sprintf("mvcc: applying index %d at or below applied %d", index, s.db.LastSeq()))
	}
}

// newBatch starts the batch of the entry at index with the store's own
// bookkeeping: the applied record, and every dedupGCEveryEntries entries
// the deletion of dedup records below the horizon.
func (s *Store) newBatch(index uint64) *lsm.Batch {
	b := &lsm.Batch{}
	if h := s.Horizon(index); h > 0 && index%dedupGCEveryEntries == 0 {
		b.DeleteRange([]byte(sysReqPrefix), reqKeyBound(h))
	}
	b.Set([]byte(sysApplied), binary.BigEndian.AppendUint64(nil, index))
	return b
}

// ApplyEmpty applies an entry with no transactional effect (a no-op or a
// membership change): only the applied index moves.
func (s *Store) ApplyEmpty(index uint64) error {
	s.checkNext(index)
	s.c.EntriesApplied++
	return s.db.Apply(s.newBatch(index), lsm.WriteOptions{Seq: index})
}

// ApplyCommit validates c against the latest state and, if it passes,
// writes its effects at version index. The decision depends only on the
// state and index, so every replica decides the same. An error means the
// LSM failed (the node must stop); the outcome is then meaningless.
func (s *Store) ApplyCommit(index uint64, c *Commit) (Outcome, error) {
	s.checkNext(index)
	s.c.EntriesApplied++
	b := s.newBatch(index)
	out, err := s.decide(index, c)
	if err != nil {
		return 0, err
	}
	if out == OutcomeCommitted {
		if err := s.materialize(b, index, c); err != nil {
			return 0, err
		}
		b.Set(reqKey(c.ReadVersion, c.ID), binary.BigEndian.AppendUint64(nil, index))
	}
	s.count(out)
	return out, s.db.Apply(b, lsm.WriteOptions{Seq: index})
}

func (s *Store) count(o Outcome) {
	switch o {
	case OutcomeCommitted:
		s.c.Commits++
	case OutcomeSerialization:
		s.c.AbortsSerialization++
	case OutcomeTooOld:
		s.c.AbortsTooOld++
	case OutcomeDuplicate:
		s.c.Duplicates++
	case OutcomeInvalid:
		s.c.Invalid++
	}
}

func (s *Store) decide(index uint64, c *Commit) (Outcome, error) {
	if c.ReadVersion >= index {
		return OutcomeInvalid, nil
	}
	if c.ReadVersion < s.Horizon(index) {
		return OutcomeTooOld, nil
	}
	if _, err := s.db.Get(reqKey(c.ReadVersion, c.ID)); err == nil {
		return OutcomeDuplicate, nil
	} else if !errors.Is(err, lsm.ErrNotFound) {
		return 0, err
	}
	if s.opts.SkipReadSetCheck {
		return OutcomeCommitted, nil
	}
	conflict, err := s.conflicts(c)
	if err != nil || conflict {
		return OutcomeSerialization, err
	}
	return OutcomeCommitted, nil
}

// conflicts reports whether anything c must validate has a version newer
// than its read version: what it read (serializable) or what it writes
// (snapshot isolation).
func (s *Store) conflicts(c *Commit) (bool, error) {
	if c.Isolation == kv.Serializable {
		for _, k := range c.ReadKeys {
			if newer, err := s.keyNewer(k, c.ReadVersion); err != nil || newer {
				return newer, err
			}
		}
		for _, r := range c.ReadRanges {
			if newer, err := s.rangeNewer(r.Start, r.End, c.ReadVersion); err != nil || newer {
				return newer, err
			}
		}
		return false, nil
	}
	for _, w := range c.Writes {
		var newer bool
		var err error
		if w.Kind == WriteDeleteRange {
			newer, err = s.rangeNewer(w.Key, w.End, c.ReadVersion)
		} else {
			newer, err = s.keyNewer(w.Key, c.ReadVersion)
		}
		if err != nil || newer {
			return newer, err
		}
	}
	return false, nil
}

// latest returns the newest stored version of a user key.
func (s *Store) latest(key []byte) (stored, bool, error) {
	v, err := s.db.Get(userKey(key))
	if errors.Is(err, lsm.ErrNotFound) {
		return stored{}, false, nil
	}
	if err != nil {
		return stored{}, false, err
	}
	st, err := decodeValue(v)
	return st, err == nil, err
}

func (s *Store) keyNewer(key []byte, rv uint64) (bool, error) {
	st, ok, err := s.latest(key)
	return ok && st.version > rv, err
}

func (s *Store) rangeNewer(start, end []byte, rv uint64) (bool, error) {
	newer := false
	err := s.scanLatest(start, end, func(_ []byte, st stored) bool {
		newer = st.version > rv
		return !newer
	})
	return newer, err
}

// scanLatest calls fn for every stored user key in [start, end) at the
// latest state, tombstones included, until fn returns false.
func (s *Store) scanLatest(start, end []byte, fn func(key []byte, st stored) bool) error {
	lo, hi := userBounds(start, end)
	it, err := s.db.NewIter(&lsm.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		st, err := decodeValue(it.Value())
		if err != nil {
			it.Close()
			return err
		}
		if !fn(it.Key()[1:], st) {
			break
		}
	}
	if err := it.Error(); err != nil {
		it.Close()
		return err
	}
	return it.Close()
}

// overlayValue is a key's value in a commit being materialized.
type overlayValue struct {
	value     []byte
	tombstone bool
}

// materialize adds c's writes to b at version index, in program order over
// the latest state: a delete-range becomes a tombstone value for every key
// live at that point, so the result is deterministic and readable at any
// version.
func (s *Store) materialize(b *lsm.Batch, index uint64, c *Commit) error {
	over := map[string]overlayValue{}
	for _, w := range c.Writes {
		switch w.Kind {
		case WritePut:
			over[string(w.Key)] = overlayValue{value: w.Value}
		case WriteDelete:
			over[string(w.Key)] = overlayValue{tombstone: true}
		case WriteDeleteRange:
			if err := s.deleteRange(over, w.Key, w.End); err != nil {
				return err
			}
		}
	}
	for _, k := range sortedKeys(over) {
		v := over[k]
		b.Set(userKey([]byte(k)), encodeValue(index, v.value, v.tombstone))
	}
	return nil
}

func (s *Store) deleteRange(over map[string]overlayValue, start, end []byte) error {
	var live []string
	err := s.scanLatest(start, end, func(key []byte, st stored) bool {
		if _, shadowed := over[string(key)]; !shadowed && !st.tombstone {
			live = append(live, string(key))
		}
		return true
	})
	if err != nil {
		return err
	}
	//detlint:ordered the loop only collects keys into a slice that is sorted by the caller's use (map writes)
	for k, v := range over {
		if !v.tombstone && inRange([]byte(k), start, end) {
			live = append(live, k)
		}
	}
	for _, k := range live {
		over[k] = overlayValue{tombstone: true}
		s.c.TombstonesFromRanges++
	}
	return nil
}

func sortedKeys(m map[string]overlayValue) []string {
	keys := make([]string, 0, len(m))
	//detlint:ordered collected keys are sorted below
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func inRange(key, start, end []byte) bool {
	return bytes.Compare(key, start) >= 0 && (end == nil || bytes.Compare(key, end) < 0)
}

// Checksum is a logical checksum of the whole latest state (user data with
// versions and tombstones, and the replicated bookkeeping): replicas at the
// same applied index must agree on it, however their LSMs are laid out.
func (s *Store) Checksum() (uint64, error) {
	h := fnv.New64a()
	it, err := s.db.NewIter(nil)
	if err != nil {
		return 0, err
	}
	var lenBuf [8]byte
	for ok := it.First(); ok; ok = it.Next() {
		for _, part := range [][]byte{it.Key(), it.Value()} {
			binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(part)))
			h.Write(lenBuf[:])
			h.Write(part)
		}
	}
	if err := it.Error(); err != nil {
		it.Close()
		return 0, err
	}
	return h.Sum64(), it.Close()
}
