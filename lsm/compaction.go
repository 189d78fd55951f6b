package lsm

import (
	"bytes"
	"fmt"
	"sort"
)

// compaction is a merge of input tables into output tables, run in steps
// of bounded input bytes so no single call does unbounded work. Inputs are
// immutable and pinned, so flushes may install new L0 tables between steps;
// only one compaction runs at a time.
type compaction struct {
	outputLevel int
	inputs      []deletedFile
	inputSet    map[uint64]bool
	handles     []*tableHandle
	iter        *mergingIter
	tombs       *tombstoneSet
	snaps       []uint64 // open snapshot seqs at start, ascending, unique
	runID       uint64   // size-tiered: the run the outputs form

	// The owner's filter and horizon as they were at start.
	filter           CompactionFilter
	filterHorizonSeq uint64

	lastUK     []byte
	lastStripe int
	hasLast    bool

	out     *output
	outLo   []byte // tombstones of the current output start here (nil: -inf)
	outputs []*fileMeta

	bytesRead int64
	steps     int64
}

// Step does background work: it flushes one waiting memtable, if any, then
// advances compaction by about budgetBytes of input. It reports whether
// more work is pending; the owner calls it again (e.g. once per tick).
func (d *DB) Step(budgetBytes int64) (more bool, err error) {
	if err := d.checkWritable(); err != nil {
		return false, err
	}
	if len(d.imm) > 0 {
		if err := d.flushOldest(); err != nil {
			return false, err
		}
		return true, nil
	}
	return d.compactStep(budgetBytes)
}

// CompactAll runs Step until no work is left: for tests and tools.
func (d *DB) CompactAll() error {
	for {
		more, err := d.Step(1 << 20)
		if err != nil || !more {
			return err
		}
	}
}

func (d *DB) compactStep(budgetBytes int64) (bool, error) {
	if d.comp == nil {
		c := d.pickCompaction()
		if c == nil {
			return false, nil
		}
		if err := d.startCompaction(c); err != nil {
			return false, err
		}
	}
	if err := d.runCompaction(budgetBytes); err != nil {
		return false, err
	}
	return d.comp != nil || d.pickCompaction() != nil, nil
}

// pickCompaction chooses the next compaction's inputs, or nil.
func (d *DB) pickCompaction() *compaction {
	if d.opts.CompactionStrategy == StrategySizeTiered {
		return d.pickSizeTiered()
	}
	return d.pickLeveled()
}

func (d *DB) pickLeveled() *compaction {
	v := d.current
	bestLevel, bestScore := -1, 1.0
	if n := len(v.levels[0]); n >= d.opts.L0CompactionTrigger {
		bestLevel, bestScore = 0, float64(n)/float64(d.opts.L0CompactionTrigger)
	}
	target := float64(d.opts.LBaseMaxBytes)
	for level := 1; level < numLevels-1; level++ {
		if s := float64(v.levelSizeBytes(level)) / target; s > bestScore {
			bestLevel, bestScore = level, s
		}
		target *= float64(d.opts.LevelSizeRatio)
	}
	if bestLevel < 0 {
		return nil
	}
	var picked []*fileMeta
	if bestLevel == 0 {
		picked = v.levels[0]
	} else {
		picked = []*fileMeta{d.nextFileAfterCursor(bestLevel)}
	}
	c := &compaction{outputLevel: bestLevel + 1}
	lo, hi := keyRange(picked)
	for _, f := range picked {
		c.inputs = append(c.inputs, deletedFile{bestLevel, f.fileNum})
	}
	for _, f := range v.levels[bestLevel+1] {
		if f.overlaps(lo, hi) {
			c.inputs = append(c.inputs, deletedFile{bestLevel + 1, f.fileNum})
		}
	}
	return c
}

// nextFileAfterCursor round-robins over a level's key space, so every part
// of the level is compacted in turn.
func (d *DB) nextFileAfterCursor(level int) *fileMeta {
	fs := d.current.levels[level]
	cur := d.compactCursor[level]
	i := sort.Search(len(fs), func(i int) bool { return cur == nil || bytes.Compare(fs[i].smallest, cur) > 0 })
	if i == len(fs) {
		i = 0
	}
	d.compactCursor[level] = fs[i].largest
	return fs[i]
}

func keyRange(fs []*fileMeta) (lo, hi []byte) {
	for i, f := range fs {
		if i == 0 || bytes.Compare(f.smallest, lo) < 0 {
			lo = f.smallest
		}
		if i == 0 || bytes.Compare(f.largest, hi) > 0 {
			hi = f.largest
		}
	}
	return lo, hi
}

// sortedRun is a size-tiered run: the L0 tables sharing a runID.
type sortedRun struct {
	files      []*fileMeta
	sizeBytes  uint64
	largestSeq uint64
}

func (d *DB) sortedRuns() []sortedRun {
	byID := map[uint64]int{}
	var runs []sortedRun
	for _, f := range d.current.levels[0] { // newest first
		i, ok := byID[f.runID]
		if !ok {
			i = len(runs)
			byID[f.runID] = i
			runs = append(runs, sortedRun{largestSeq: f.largestSeq})
		}
		runs[i].files = append(runs[i].files, f)
		runs[i].sizeBytes += f.sizeBytes
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].largestSeq > runs[j].largestSeq })
	return runs
}

// pickSizeTiered merges, from the newest run, every run no more than 1%
// larger than all the newer runs of the window together (universal
// compaction's size-ratio rule), if that makes at least
// L0CompactionTrigger runs. Runs merged are adjacent in age, so runs keep
// disjoint seq ranges.
func (d *DB) pickSizeTiered() *compaction {
	runs := d.sortedRuns()
	// Merging fewer than two runs would rewrite a run into itself forever.
	widthMin := max(2, d.opts.L0CompactionTrigger)
	if len(runs) < widthMin {
		return nil
	}
	n, sum := 1, runs[0].sizeBytes
	for n < len(runs) && runs[n].sizeBytes*100 <= sum*101 {
		sum += runs[n].sizeBytes
		n++
	}
	if n < widthMin {
		if len(runs) <= 2*widthMin {
			return nil
		}
		n = widthMin // too many runs: bound read amplification
	}
	c := &compaction{outputLevel: 0}
	for _, r := range runs[:n] {
		for _, f := range r.files {
			c.inputs = append(c.inputs, deletedFile{0, f.fileNum})
		}
	}
	return c
}

// startCompaction pins the inputs, loads their range tombstones and
// positions the merge.
func (d *DB) startCompaction(c *compaction) error {
	c.inputSet = make(map[uint64]bool, len(c.inputs))
	var children []internalIterator
	var tombs []rangeTombstone
	for _, in := range c.inputs {
		c.inputSet[in.fileNum] = true
		h, err := d.tc.acquire(in.fileNum)
		if err != nil {
			c.release()
			return err
		}
		c.handles = append(c.handles, h)
		ts, err := h.r.rangeTombstones()
		if err != nil {
			c.release()
			return err
		}
		tombs = append(tombs, ts...)
		children = append(children, newCompactionTableIter(h.r))
	}
	c.tombs = fragmentTombstones(tombs)
	c.snaps = d.uniqueSnapshots()
	c.filter, c.filterHorizonSeq = d.filter, d.filterHorizonSeq
	c.iter = newMergingIter(children)
	c.iter.First()
	d.comp = c
	d.m.CompactionsStarted++
	return nil
}

func (c *compaction) release() {
	for _, h := range c.handles {
		h.release()
	}
	c.handles = nil
}

// stripe is the index of the oldest snapshot that can see seq; versions in
// the same stripe are indistinguishable to every reader.
func (c *compaction) stripe(seq uint64) int {
	return sort.Search(len(c.snaps), func(i int) bool { return c.snaps[i] >= seq })
}

func (c *compaction) stripeTop(stripe int) uint64 {
	if stripe < len(c.snaps) {
		return c.snaps[stripe]
	}
	return SeqMax
}

func (d *DB) runCompaction(budgetBytes int64) error {
	c := d.comp
	c.steps++
	for budgetBytes > 0 && c.iter.Valid() {
		k, v := c.iter.Key(), c.iter.Value()
		budgetBytes -= int64(len(k) + len(v))
		c.bytesRead += int64(len(k) + len(v))
		if err := d.compactEntry(c, k, v); err != nil {
			return d.failCompaction(err)
		}
		c.iter.Next()
	}
	if err := c.iter.Err(); err != nil {
		return d.failCompaction(err)
	}
	if c.iter.Valid() {
		return nil
	}
	return d.finishCompaction()
}

func (d *DB) compactEntry(c *compaction, ikey, value []byte) error {
	uk, seq, kind := userKeyOf(ikey), seqOf(ikey), kindOf(ikey)
	stripe := c.stripe(seq)
	newKey := !c.hasLast || !bytes.Equal(uk, c.lastUK)
	if !newKey && stripe == c.lastStripe {
		return nil // shadowed by a newer version every reader prefers
	}
	if newKey && c.out != nil && c.out.w.estimatedSizeBytes() >= uint64(d.opts.SSTableSizeBytes) {
		if err := d.finishCompactionOutput(c, uk); err != nil {
			return err
		}
	}
	c.lastUK = append(c.lastUK[:0], uk...)
	c.lastStripe, c.hasLast = stripe, true
	if c.tombs.coveredAt(uk, seq, c.stripeTop(stripe)) {
		return nil
	}
	if kind == KindDelete && (d.opts.brokenDropDeletes || stripe == 0 && !d.olderDataOutside(c, uk, uk, seq)) {
		return nil // nothing older left anywhere for it to hide
	}
	if d.filterDrops(c, uk, value, seq, kind, newKey, stripe) {
		d.m.CompactionFilterDrops++
		return nil // the owner reads it as absent, and nothing older is left
	}
	if c.out == nil {
		ow, err := d.newOutput()
		if err != nil {
			return err
		}
		c.out = ow
	}
	return c.out.w.add(ikey, value)
}

// olderDataOutside reports whether a table outside the compaction may hold
// a version older than seq of a key in [lo, hi]. Memtables only hold newer
// versions, so tables are all that matter.
func (d *DB) olderDataOutside(c *compaction, lo, hi []byte, seq uint64) bool {
	for _, f := range d.current.files() {
		if !c.inputSet[f.fileNum] && f.smallestSeq < seq && f.overlaps(lo, hi) {
			return true
		}
	}
	return false
}

// finishCompactionOutput writes the tombstones falling in [c.outLo, hi)
// into the current output (opening one if only tombstones remain) and
// completes it.
func (d *DB) finishCompactionOutput(c *compaction, hi []byte) error {
	var keep []rangeTombstone
	for _, t := range c.tombs.tombstones(c.outLo, hi) {
		if c.stripe(t.seq) == 0 && !d.olderDataOutside(c, t.start, t.end, t.seq) {
			continue // elided: it covers nothing any reader can see
		}
		keep = append(keep, t)
	}
	if c.out == nil && len(keep) > 0 {
		ow, err := d.newOutput()
		if err != nil {
			return err
		}
		c.out = ow
	}
	c.outLo = clone(hi)
	if c.out == nil {
		return nil
	}
	for _, t := range keep {
		c.out.w.addRangeDel(t)
	}
	ow := c.out
	c.out = nil
	meta, err := d.finishOutput(ow)
	if err != nil {
		return err
	}
	if c.runID == 0 {
		c.runID = meta.fileNum
	}
	meta.runID = c.runID
	c.outputs = append(c.outputs, meta)
	return nil
}

func (d *DB) finishCompaction() error {
	c := d.comp
	if err := d.finishCompactionOutput(c, nil); err != nil {
		return d.failCompaction(err)
	}
	e := &versionEdit{deleted: c.inputs}
	var written int64
	for _, m := range c.outputs {
		e.added = append(e.added, addedFile{c.outputLevel, m})
		written += int64(m.sizeBytes)
	}
	c.release()
	d.comp = nil
	if err := d.logAndApply(e); err != nil {
		return err
	}
	d.m.CompactionCount++
	d.m.CompactionBytesRead += c.bytesRead
	d.m.CompactionBytesWritten += written
	d.m.CompactionSteps += c.steps
	return nil
}

// failCompaction abandons the compaction, removing its uninstalled outputs.
func (d *DB) failCompaction(err error) error {
	d.abandonCompaction()
	return fmt.Errorf("lsm: compaction failed: %w", err)
}

func (d *DB) abandonCompaction() {
	c := d.comp
	if c == nil {
		return
	}
	d.comp = nil
	if c.out != nil {
		c.out.f.Close()
		d.fs.Remove(c.out.f.Name())
	}
	for _, m := range c.outputs {
		d.fs.Remove(tableFileName(d.dir, m.fileNum))
	}
	c.release()
}
