package lsm

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"testing"

	"github.com/lineradb/lineradb/diskio"
)

// The filter tests use "soft tombstones": values starting with softTomb,
// which the tests (like an MVCC store with its tombstone values) read as
// absent. A correct filter may drop them; nothing else may change.
const softTomb = "~"

func isSoftTomb(v []byte) bool { return strings.HasPrefix(string(v), softTomb) }

// dropSoftTombs is the simplest filter: every soft tombstone goes.
func dropSoftTombs(_, value []byte, _ uint64) bool { return isSoftTomb(value) }

// randomSoftFilter drops the soft tombstones of a seed-chosen subset of
// keys: deterministic for a seed, different across seeds.
func randomSoftFilter(seed uint64) CompactionFilter {
	return func(key, value []byte, _ uint64) bool {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%s", seed, key)
		return isSoftTomb(value) && h.Sum64()%3 != 0
	}
}

func mustSet(t *testing.T, d *DB, k, v string) {
	t.Helper()
	if err := d.Set([]byte(k), []byte(v), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

func mustFlush(t *testing.T, d *DB) {
	t.Helper()
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
}

func mustCompactAll(t *testing.T, d *DB) {
	t.Helper()
	if err := d.CompactAll(); err != nil {
		t.Fatal(err)
	}
}

// getRaw reads k: its value, or "" if absent.
func getRaw(t *testing.T, g func([]byte) ([]byte, error), k string) string {
	t.Helper()
	v, err := g([]byte(k))
	if errors.Is(err, ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}

// leveledAllInOne compacts every flush into L1 at once, so a compaction
// sees all the data of the keys it touches.
func leveledAllInOne() Options {
	return Options{MemtableSizeBytes: 1 << 20, SSTableSizeBytes: 1 << 20, L0CompactionTrigger: 1}
}

func TestCompactionFilterDropsOnlyEligible(t *testing.T) {
	d := mustOpen(t, diskio.NewMemFS(1), leveledAllInOne())
	defer d.Close()
	var asked []uint64
	d.SetCompactionFilter(func(k, v []byte, seq uint64) bool {
		asked = append(asked, seq)
		return dropSoftTombs(k, v, seq)
	})
	for i := range 20 {
		mustSet(t, d, fmt.Sprintf("live%02d", i), "v")
		mustSet(t, d, fmt.Sprintf("tomb%02d", i), "old")
		mustSet(t, d, fmt.Sprintf("tomb%02d", i), softTomb)
	}
	horizon := d.LastSeq() + 1
	mustSet(t, d, "tomb99", softTomb) // at or above the horizon: kept
	d.SetFilterHorizon(horizon)
	mustFlush(t, d)
	mustCompactAll(t, d)
	for _, seq := range asked {
		if seq >= horizon {
			t.Fatalf("filter asked about seq %d at or above the horizon %d", seq, horizon)
		}
	}
	for i := range 20 {
		if got := getRaw(t, d.Get, fmt.Sprintf("live%02d", i)); got != "v" {
			t.Fatalf("live%02d = %q after filtering", i, got)
		}
		if got := getRaw(t, d.Get, fmt.Sprintf("tomb%02d", i)); got != "" {
			t.Fatalf("tomb%02d = %q: soft tombstone not dropped (or old value back)", i, got)
		}
	}
	if got := getRaw(t, d.Get, "tomb99"); got != softTomb {
		t.Fatalf("tomb99 above the horizon = %q, want it kept", got)
	}
	if m := d.Metrics(); m.CompactionFilterDrops != 20 {
		t.Fatalf("CompactionFilterDrops = %d, want 20", m.CompactionFilterDrops)
	}
}

func TestCompactionFilterOffByDefault(t *testing.T) {
	d := mustOpen(t, diskio.NewMemFS(1), leveledAllInOne())
	defer d.Close()
	d.SetCompactionFilter(dropSoftTombs) // horizon 0: consulted for nothing
	mustSet(t, d, "a", softTomb)
	mustFlush(t, d)
	mustCompactAll(t, d)
	if got := getRaw(t, d.Get, "a"); got != softTomb {
		t.Fatalf("a = %q with a zero horizon, want the soft tombstone kept", got)
	}
}

// resurrectionSetup leaves "k"=old in an old, large size-tiered run and
// "k"=soft tombstone in a newer small run, then lets a compaction merge
// the small runs only: the old run stays outside it.
func resurrectionSetup(t *testing.T, broken bool) *DB {
	o := Options{MemtableSizeBytes: 1 << 20, SSTableSizeBytes: 1 << 20, L0CompactionTrigger: 2,
		CompactionStrategy: StrategySizeTiered}
	o.brokenFilterAnywhere = broken
	d := mustOpen(t, diskio.NewMemFS(1), o)
	d.SetCompactionFilter(dropSoftTombs)
	mustSet(t, d, "k", "old")
	for i := range 200 {
		mustSet(t, d, fmt.Sprintf("f%03d", i), strings.Repeat("x", 100))
	}
	mustFlush(t, d)
	mustSet(t, d, "k", softTomb)
	mustFlush(t, d)
	mustSet(t, d, "k0", strings.Repeat("y", 40)) // a little larger than the tombstone's run
	mustFlush(t, d)
	d.SetFilterHorizon(SeqMax)
	mustCompactAll(t, d)
	return d
}

// TestCompactionFilterNoResurrection: a compaction that does not reach the
// bottom of the key's data must keep the soft tombstone, which still hides
// the older value below it.
func TestCompactionFilterNoResurrection(t *testing.T) {
	d := resurrectionSetup(t, false)
	defer d.Close()
	if m := d.Metrics(); m.CompactionCount == 0 || len(d.current.levels[0]) < 2 {
		t.Fatalf("setup: want a compaction of the newer runs only, got %d compactions, %d tables", m.CompactionCount, len(d.current.levels[0]))
	}
	if got := getRaw(t, d.Get, "k"); got != softTomb {
		t.Fatalf("k = %q, want the soft tombstone still hiding the old value", got)
	}
	if n := d.Metrics().CompactionFilterDrops; n != 0 {
		t.Fatalf("CompactionFilterDrops = %d, want 0", n)
	}
}

// TestCompactionFilterResurrectionCaught proves the test above can fail:
// a filter consulted without the bottommost check brings "old" back.
func TestCompactionFilterResurrectionCaught(t *testing.T) {
	d := resurrectionSetup(t, true)
	defer d.Close()
	if got := getRaw(t, d.Get, "k"); got != "old" {
		t.Fatalf("k = %q: the broken filter did not resurrect the old value, so the setup tests nothing", got)
	}
}

// TestCompactionFilterSnapshotsProtect: a snapshot older than the soft
// tombstone keeps it (and the value it hides) alive; once it is closed the
// next compaction drops both. A snapshot at or above the tombstone sees
// the key absent either way.
func TestCompactionFilterSnapshotsProtect(t *testing.T) {
	d := mustOpen(t, diskio.NewMemFS(1), leveledAllInOne())
	defer d.Close()
	d.SetCompactionFilter(dropSoftTombs)
	mustSet(t, d, "k", "old")
	old := d.NewSnapshot()
	mustSet(t, d, "k", softTomb)
	atTomb := d.NewSnapshot()
	d.SetFilterHorizon(SeqMax)
	mustSet(t, d, "a", "x")
	mustSet(t, d, "z", "x")
	mustFlush(t, d)
	mustCompactAll(t, d)
	if got := getRaw(t, old.Get, "k"); got != "old" {
		t.Fatalf("old snapshot reads k = %q, want old", got)
	}
	if got := getRaw(t, d.Get, "k"); got != softTomb {
		t.Fatalf("k = %q while an older snapshot is open, want the soft tombstone", got)
	}
	old.Close()
	mustSet(t, d, "a", "y") // a flush spanning k, so L1's table is compacted again
	mustSet(t, d, "z", "y")
	mustFlush(t, d)
	mustCompactAll(t, d)
	if got := getRaw(t, d.Get, "k"); got != "" {
		t.Fatalf("k = %q after the old snapshot closed, want it dropped", got)
	}
	if got := getRaw(t, atTomb.Get, "k"); got != "" && got != softTomb {
		t.Fatalf("snapshot at the tombstone reads k = %q, want absent", got)
	}
	atTomb.Close()
	if n := d.Metrics().CompactionFilterDrops; n != 1 {
		t.Fatalf("CompactionFilterDrops = %d, want 1", n)
	}
}
