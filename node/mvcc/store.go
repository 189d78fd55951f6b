package mvcc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"

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

	// keepTombstones turns tombstone GC off: tests compare against it.
	keepTombstones bool
	// scanRangeDelsAlways turns the range-deletion log fast path off:
	// tests compare decisions against it.
	scanRangeDelsAlways bool
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
	// OutcomeTooLarge: the commit exceeds a per-commit limit
	// (Commit.CheckLimits); nothing was written. Gateways reject such
	// commits before proposing, so only a faulty or hostile proposer
	// reaches it — and then every replica aborts it the same way instead
	// of panicking in the LSM.
	OutcomeTooLarge
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
	case OutcomeTooLarge:
		return "too-large"
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
	case OutcomeTooLarge:
		return kv.ErrTooLarge
	}
	return fmt.Errorf("mvcc: commit %s", o)
}

// Counters are cumulative apply counts since Open.
type Counters struct {
	EntriesApplied      uint64
	Commits             uint64
	AbortsSerialization uint64
	AbortsTooOld        uint64
	Duplicates          uint64
	Invalid             uint64
	TooLarge            uint64
	// RangeDeletes counts the ranges committed as LSM range tombstones.
	RangeDeletes uint64
	// RangeDeleteConflicts counts validations failed by the
	// range-deletion log (some may be false conflicts: the log does not
	// know which keys a range deletion actually removed).
	RangeDeleteConflicts uint64
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
	// newestRangeDel is an upper bound on the newest index in the
	// range-deletion log (0: none): read from the log at Open, raised on
	// every applied range deletion, never lowered by pruning (pruning
	// only removes records, so the bound stays true). Validation at read
	// version rv skips the log scan when newestRangeDel <= rv — no record
	// can be above rv — which is most commits: scanning opened an LSM
	// iterator per commit.
	newestRangeDel uint64
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
	s := &Store{db: db, opts: opts}
	if s.newestRangeDel, err = s.readNewestRangeDel(); err != nil {
		db.Close()
		return nil, err
	}
	db.SetCompactionFilter(dropOldTombstone)
	s.syncFilterHorizon()
	return s, nil
}

// readNewestRangeDel returns the newest index in the range-deletion log at
// the latest state, 0 if it is empty.
func (s *Store) readNewestRangeDel() (uint64, error) {
	it, err := s.db.NewIter(&lsm.IterOptions{LowerBound: []byte(sysRangeDelPrefix), UpperBound: rangeDelLogEnd()})
	if err != nil {
		return 0, err
	}
	var newest uint64
	if it.Last() {
		k := it.Key()
		if len(k) != len(sysRangeDelPrefix)+8 {
			it.Close()
			return 0, fmt.Errorf("mvcc: range-deletion log key %x has length %d, want %d", k, len(k), len(sysRangeDelPrefix)+8)
		}
		newest = binary.BigEndian.Uint64(k[len(sysRangeDelPrefix):])
	}
	if err := it.Error(); err != nil {
		it.Close()
		return 0, err
	}
	return newest, it.Close()
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
func (s *Store) Step(budgetBytes int64) (bool, error) {
	s.syncFilterHorizon()
	return s.db.Step(budgetBytes)
}

// Flush makes every applied entry durable in tables.
func (s *Store) Flush() error { return s.db.Flush() }

// CompactAll runs background work to completion (tests and tools).
func (s *Store) CompactAll() error {
	s.syncFilterHorizon()
	return s.db.CompactAll()
}

// Checkpoint writes an openable copy of the store at Applied into destDir.
func (s *Store) Checkpoint(destDir string) error { return s.db.Checkpoint(destDir) }

func (s *Store) checkNext(index uint64) {
	if index <= s.db.LastSeq() {
		panic(fmt.Sprintf("mvcc: applying index %d at or below applied %d", index, s.db.LastSeq()))
	}
}

// newBatch starts the batch of the entry at index with the store's own
// bookkeeping: the applied record, and every dedupGCEveryEntries entries
// the deletion of dedup and range-deletion records below the horizon (no
// commit that can still be applied has a read version below it, so none
// consults them).
func (s *Store) newBatch(index uint64) *lsm.Batch {
	b := &lsm.Batch{}
	if h := s.Horizon(index); h > 0 && index%dedupGCEveryEntries == 0 {
		b.DeleteRange([]byte(sysReqPrefix), reqKeyBound(h))
		b.DeleteRange([]byte(sysRangeDelPrefix), rangeDelKey(h))
	}
	b.Set([]byte(sysApplied), binary.BigEndian.AppendUint64(nil, index))
	return b
}

// ApplyEmpty applies an entry with no transactional effect (a no-op or a
// membership change): only the applied index moves.
func (s *Store) ApplyEmpty(index uint64) error {
	s.checkNext(index)
	s.c.EntriesApplied++
	s.syncFilterHorizon()
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
		s.materialize(b, index, c)
		b.Set(reqKey(c.ReadVersion, c.ID), binary.BigEndian.AppendUint64(nil, index))
	}
	s.count(out)
	s.syncFilterHorizon()
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
	case OutcomeTooLarge:
		s.c.TooLarge++
	}
}

func (s *Store) decide(index uint64, c *Commit) (Outcome, error) {
	if c.ReadVersion >= index {
		return OutcomeInvalid, nil
	}
	if c.CheckLimits() != nil {
		return OutcomeTooLarge, nil
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

// conflicts reports whether anything c must validate was written after its
// read version: what it read (serializable) or what it writes (snapshot
// isolation).
func (s *Store) conflicts(c *Commit) (bool, error) {
	v := validator{s: s, rv: c.ReadVersion}
	if c.Isolation == kv.Serializable {
		for _, k := range c.ReadKeys {
			if newer, err := v.keyNewer(k); err != nil || newer {
				return newer, err
			}
		}
		for _, r := range c.ReadRanges {
			if newer, err := v.rangeNewer(r.Start, r.End); err != nil || newer {
				return newer, err
			}
		}
		return false, nil
	}
	for _, w := range c.Writes {
		var newer bool
		var err error
		if w.Kind == WriteDeleteRange {
			newer, err = v.rangeNewer(w.Key, w.End)
		} else {
			newer, err = v.keyNewer(w.Key)
		}
		if err != nil || newer {
			return newer, err
		}
	}
	return false, nil
}

// rangeDelsValidatedMax bounds the logged range deletions one validation
// loads; past it the validation conservatively reports a conflict (a false
// conflict only costs a retry, and keeps a hostile log from exhausting
// memory on every replica).
const rangeDelsValidatedMax = 1 << 16

// validator checks keys and ranges against one read version rv. A key was
// written after rv if its newest point version is newer, or if a range
// deletion logged after rv covers it: the LSM range tombstone leaves no
// per-key version behind, so the log stands in for one. It cannot tell
// whether the key existed when the range was deleted, so it is
// conservative: it may report a conflict memkv would not, never the
// reverse.
type validator struct {
	s      *Store
	rv     uint64
	loaded bool
	all    bool // more than rangeDelsValidatedMax logged: everything conflicts
	dels   []Range
}

// load reads, once, the range deletions logged after rv. When no range
// deletion was applied after rv the log holds nothing to read, and the
// scan is skipped.
func (v *validator) load() error {
	if v.loaded {
		return nil
	}
	if v.s.newestRangeDel <= v.rv && !v.s.opts.scanRangeDelsAlways {
		v.s.checkNoRangeDelsAfter(v.rv)
		v.loaded = true
		return nil
	}
	it, err := v.s.db.NewIter(&lsm.IterOptions{LowerBound: rangeDelKey(v.rv + 1), UpperBound: rangeDelLogEnd()})
	if err != nil {
		return err
	}
	for ok := it.First(); ok && !v.all; ok = it.Next() {
		rs, err := decodeRanges(it.Value())
		if err != nil {
			it.Close()
			return err
		}
		v.dels = append(v.dels, rs...)
		v.all = len(v.dels) > rangeDelsValidatedMax
	}
	if err := it.Error(); err != nil {
		it.Close()
		return err
	}
	v.loaded = true
	return it.Close()
}

// deleted reports whether a range deletion after rv overlaps [start, end).
func (v *validator) deleted(start, end []byte) (bool, error) {
	if err := v.load(); err != nil {
		return false, err
	}
	hit := v.all
	for _, d := range v.dels {
		hit = hit || overlaps(d, Range{Start: start, End: end})
	}
	if hit {
		v.s.c.RangeDeleteConflicts++
	}
	return hit, nil
}

func (v *validator) keyNewer(key []byte) (bool, error) {
	st, ok, err := v.s.latest(key)
	if err != nil {
		return false, err
	}
	if ok && st.version > v.rv {
		return true, nil
	}
	return v.deleted(key, append(bytes.Clone(key), 0))
}

func (v *validator) rangeNewer(start, end []byte) (bool, error) {
	if hit, err := v.deleted(start, end); err != nil || hit {
		return hit, err
	}
	newer := false
	err := v.s.scanLatest(start, end, func(_ []byte, st stored) bool {
		newer = st.version > v.rv
		return !newer
	})
	return newer, err
}

// overlaps reports whether two ranges (nil End: unbounded) share a key.
func overlaps(a, b Range) bool {
	return (b.End == nil || bytes.Compare(a.Start, b.End) < 0) &&
		(a.End == nil || bytes.Compare(b.Start, a.End) < 0) &&
		!isEmpty(a) && !isEmpty(b)
}

func isEmpty(r Range) bool { return r.End != nil && bytes.Compare(r.Start, r.End) >= 0 }

// latest returns the newest stored version of a user key still visible:
// a key under a range tombstone has none.
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

// materialize adds c's writes to b at version index. Program order is
// resolved first (effects). The union of the range deletions goes in as
// LSM range tombstones — O(1) per range whatever the number of keys, so a
// DROP or TRUNCATE of any size is one small batch — and is logged under
// rangeDelKey(index) for validation. The surviving point writes go in
// after them: a range tombstone hides only versions older than its own
// seq, so they stay visible.
func (s *Store) materialize(b *lsm.Batch, index uint64, c *Commit) {
	points, ranges := effects(c.Writes)
	if len(ranges) > 0 {
		for _, r := range ranges {
			lo, hi := userBounds(r.Start, r.End)
			b.DeleteRange(lo, hi)
		}
		b.Set(rangeDelKey(index), encodeRanges(ranges))
		s.c.RangeDeletes += uint64(len(ranges))
		// Raised before the batch applies: if Apply fails the store is
		// dead anyway, and a bound too high only costs a scan.
		s.newestRangeDel = index
	}
	for _, w := range points {
		b.Set(userKey(w.Key), encodeValue(index, w.Value, w.Kind == WriteDelete))
	}
}

// effects resolves writes in program order: the last point write of each
// key, unless a later range deletion covers it, and the union of the range
// deletions as sorted disjoint ranges. Walking backwards, the set holds
// exactly the ranges after the current write.
func effects(writes []Write) (points []Write, ranges []Range) {
	var later rangeSet
	seen := make(map[string]bool)
	for i := len(writes) - 1; i >= 0; i-- {
		w := writes[i]
		if w.Kind == WriteDeleteRange {
			later.add(Range{Start: w.Key, End: w.End})
			continue
		}
		if seen[string(w.Key)] {
			continue
		}
		seen[string(w.Key)] = true
		if !later.covers(w.Key) {
			points = append(points, w)
		}
	}
	return points, later.ranges
}

// rangeSet is a union of ranges kept as sorted, disjoint ranges.
type rangeSet struct {
	ranges []Range
}

// add merges r (nil End: unbounded) into the set; empty ranges are
// ignored.
func (s *rangeSet) add(r Range) {
	if isEmpty(r) {
		return
	}
	// The first range that ends at or after r starts: every one before it
	// lies wholly below r.
	i := sort.Search(len(s.ranges), func(i int) bool {
		e := s.ranges[i].End
		return e == nil || bytes.Compare(e, r.Start) >= 0
	})
	j := i
	for ; j < len(s.ranges) && (r.End == nil || bytes.Compare(s.ranges[j].Start, r.End) <= 0); j++ {
		if bytes.Compare(s.ranges[j].Start, r.Start) < 0 {
			r.Start = s.ranges[j].Start
		}
		if r.End != nil && (s.ranges[j].End == nil || bytes.Compare(s.ranges[j].End, r.End) > 0) {
			r.End = s.ranges[j].End
		}
	}
	s.ranges = slices.Replace(s.ranges, i, j, r)
}

func (s *rangeSet) covers(key []byte) bool {
	i := sort.Search(len(s.ranges), func(i int) bool {
		e := s.ranges[i].End
		return e == nil || bytes.Compare(e, key) > 0
	})
	return i < len(s.ranges) && bytes.Compare(s.ranges[i].Start, key) <= 0
}

func inRange(key, start, end []byte) bool {
	return bytes.Compare(key, start) >= 0 && (end == nil || bytes.Compare(key, end) < 0)
}

// Checksum is a logical checksum of the whole latest state (user data with
// versions and tombstones, and the replicated bookkeeping): replicas at the
// same applied index must agree on it, however their LSMs are laid out and
// whichever old tombstones their compactions have dropped — tombstones
// below Horizon(Applied()) read as absent keys, so they are left out.
func (s *Store) Checksum() (uint64, error) {
	return s.checksum(s.Horizon(s.Applied()))
}

// checksum hashes every entry but the tombstones below horizon.
func (s *Store) checksum(horizon uint64) (uint64, error) {
	h := fnv.New64a()
	it, err := s.db.NewIter(nil)
	if err != nil {
		return 0, err
	}
	var lenBuf [8]byte
	for ok := it.First(); ok; ok = it.Next() {
		if checksumSkips(it.Key(), it.Value(), horizon) {
			continue
		}
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
