package node

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"testing"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/netio"
	"github.com/lineradb/lineradb/raft"
)

// Sim seeds 501 and 2043: node 1's disk flipped bits on read while it
// packed and served snapshot archives. In 501 the damage was in the
// archive's bytes on the way, and healthy node 3 stopped on the checksum
// mismatch; in 2043 it was in the table bytes node 1 read while packing,
// so the archive's checksums (computed over what it read) held, node 3
// installed it and stopped later in compaction. A snapshot must be proved
// sound where it is packed, and a receiver must reject a bad one, get it
// again, and never stop for it.

// laggingFollower builds a 3-node cluster in which follower f missed
// writes that the leader has compacted behind a snapshot, so f can only
// catch up by receiving one. The snapshot is taken by the caller.
func laggingFollower(t *testing.T, seed uint64) (c *cluster, lead, f uint64) {
	t.Helper()
	c = newCluster(t, seed, 3, nil)
	lead = c.waitLeader()
	_, f = followers(c, lead)
	c.isolated[f] = true
	for i := range 60 {
		if _, err := c.put(lead, fmt.Sprintf("key-%03d", i), strings.Repeat("v", 40)); err != nil {
			t.Fatal(err)
		}
	}
	return c, lead, f
}

// checkArchive unpacks node id's current snapshot archive and verifies it
// as a receiver would.
func checkArchive(t *testing.T, c *cluster, id uint64) error {
	t.Helper()
	n := c.nodes[id]
	dir := n.path("archive-check")
	defer removeAll(n.cfg.FS, dir)
	index, err := unpackArchive(n.cfg.FS, n.path(archiveName(n.snap.Index)), dir)
	if err != nil {
		return err
	}
	return n.verifyLSMDir(dir, index)
}

func TestSnapshotPackedFromFlippedReadIsRetried(t *testing.T) {
	c, lead, f := laggingFollower(t, 501)
	// The first read of a checkpoint file while packing (a table: they
	// sort first) returns a flipped bit.
	c.fss[lead].Arm(diskio.FaultRule{Op: diskio.OpRead, Fault: diskio.FaultBitFlip, OnCall: 1, PathPrefix: "n/" + checkpointName})
	if err := c.nodes[lead].TakeSnapshot(); err != nil {
		t.Fatalf("snapshot after one transient flip: %v", err)
	}
	if got := c.nodes[lead].Metrics().SnapshotPackRetries; got != 1 {
		t.Fatalf("%d packing retries, want 1 (was the flip not in the archive?)", got)
	}
	if err := checkArchive(t, c, lead); err != nil {
		t.Fatalf("the archive served to peers is damaged: %v", err)
	}
	c.isolated[f] = false
	c.converge()
	if got := c.nodes[f].Metrics().SnapshotsInstalled; got != 1 {
		t.Fatalf("follower installed %d snapshots, want 1", got)
	}
}

func TestSnapshotPackingOnABadDiskStopsTheSender(t *testing.T) {
	c, lead, _ := laggingFollower(t, 502)
	c.fss[lead].Arm(diskio.FaultRule{Op: diskio.OpRead, Fault: diskio.FaultBitFlip, Probability: 1, PathPrefix: "n/" + checkpointName})
	err := c.nodes[lead].TakeSnapshot()
	if !isCorruption(err) || c.nodes[lead].Stopped() == nil {
		t.Fatalf("snapshot on a disk that always flips: err %v, stopped %v", err, c.nodes[lead].Stopped())
	}
	if got := c.nodes[lead].m.snapshotPackRetries; got != snapshotPackAttemptsMax {
		t.Fatalf("%d packing retries, want %d", got, snapshotPackAttemptsMax)
	}
}

// flipSnapChunk returns m with one bit of its snapshot data flipped, if it
// is a MsgSnap with data.
func flipSnapChunk(t *testing.T, m netio.Message) (netio.Message, bool) {
	rm, err := raft.Decode(m.Payload)
	if err != nil || rm.Type != raft.MsgSnap || len(rm.SnapData) == 0 {
		return m, false
	}
	rm.SnapData = append([]byte(nil), rm.SnapData...)
	rm.SnapData[len(rm.SnapData)/2] ^= 0x04
	m.Payload = raft.Encode(rm)
	return m, true
}

func TestSnapshotDamagedInFlightIsRejectedAndSentAgain(t *testing.T) {
	c, lead, f := laggingFollower(t, 503)
	if err := c.nodes[lead].TakeSnapshot(); err != nil {
		t.Fatal(err)
	}
	damaged := false
	c.tap = func(m netio.Message) bool {
		if uint64(m.To) == f && !damaged {
			if bad, ok := flipSnapChunk(t, m); ok {
				damaged = true
				c.nodes[f].Receive(bad)
				return false
			}
		}
		return true
	}
	c.isolated[f] = false
	c.converge()
	n := c.nodes[f]
	switch {
	case !damaged:
		t.Fatal("no snapshot chunk went to the follower")
	case n.Stopped() != nil:
		t.Fatalf("healthy follower stopped on a damaged snapshot: %v", n.Stopped())
	case n.Metrics().SnapshotsRejected != 1 || n.Metrics().Raft.SnapshotsRejected != 1:
		t.Fatalf("rejected %d snapshots (raft %d), want 1", n.Metrics().SnapshotsRejected, n.Metrics().Raft.SnapshotsRejected)
	case n.Metrics().SnapshotsInstalled != 1:
		t.Fatalf("installed %d snapshots, want 1", n.Metrics().SnapshotsInstalled)
	}
}

// repackWithFlippedTable replaces node id's archive with one whose table
// bytes are damaged but whose archive checksums are right: what packing
// through a flipping disk made before the fix.
func repackWithFlippedTable(t *testing.T, c *cluster, id uint64) []byte {
	t.Helper()
	n := c.nodes[id]
	fs, arc, dir := n.cfg.FS, n.path(archiveName(n.snap.Index)), n.path("repack")
	good, err := readFile(fs, arc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unpackArchive(fs, arc, dir); err != nil {
		t.Fatal(err)
	}
	names, _ := fs.List(dir)
	for _, name := range names {
		if strings.HasSuffix(name, ".sst") {
			b, _ := readFile(fs, path.Join(dir, name))
			b[len(b)/3] ^= 0x20
			writeTestFile(t, fs, path.Join(dir, name), b)
			break
		}
	}
	if err := writeArchive(fs, dir, arc, n.snap.Index); err != nil {
		t.Fatal(err)
	}
	removeAll(fs, dir)
	return good
}

func TestSnapshotWithDamagedTableIsNeverInstalled(t *testing.T) {
	c, lead, f := laggingFollower(t, 2043)
	if err := c.nodes[lead].TakeSnapshot(); err != nil {
		t.Fatal(err)
	}
	good := repackWithFlippedTable(t, c, lead)
	if err := checkArchive(t, c, lead); !errors.Is(err, ErrCorruptState) {
		t.Fatalf("the damaged archive passes verification: %v", err)
	}
	c.isolated[f] = false
	c.runUntil("the follower rejects the damaged snapshot twice", 500, func() bool {
		return c.nodes[f].Metrics().SnapshotsRejected >= 2
	})
	if c.nodes[f].Stopped() != nil || c.nodes[f].Metrics().SnapshotsInstalled != 0 {
		t.Fatalf("follower stopped (%v) or installed the damaged snapshot", c.nodes[f].Stopped())
	}
	// The sender's bytes are right again: the next round installs.
	writeTestFile(t, c.fss[lead], c.nodes[lead].path(archiveName(c.nodes[lead].snap.Index)), good)
	c.converge()
	if got := c.nodes[f].Metrics().SnapshotsInstalled; got != 1 {
		t.Fatalf("follower installed %d snapshots, want 1", got)
	}
}
