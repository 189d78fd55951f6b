package node

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/raft"
)

func writeTestFile(t *testing.T, fs diskio.FS, name string, data []byte) {
	t.Helper()
	f, err := fs.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(data)
	f.Sync()
	f.Close()
}

// TestArchiveRoundTripAndDamage packs a directory, unpacks it intact, and
// proves that a flipped byte anywhere, or a truncation, is rejected.
func TestArchiveRoundTripAndDamage(t *testing.T) {
	fs := diskio.NewMemFS(1)
	fs.MkdirAll("src")
	files := map[string][]byte{"a": []byte("alpha"), "b.sst": bytes.Repeat([]byte("xyz"), 700), "empty": nil}
	for _, name := range []string{"a", "b.sst", "empty"} {
		writeTestFile(t, fs, "src/"+name, files[name])
	}
	if err := writeArchive(fs, "src", "arc", 42); err != nil {
		t.Fatal(err)
	}
	index, err := unpackArchive(fs, "arc", "dst")
	if err != nil || index != 42 {
		t.Fatalf("unpack: %d %v", index, err)
	}
	for name, want := range files {
		got, err := readFile(fs, "dst/"+name)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %q %v", name, got, err)
		}
	}
	good, _ := readFile(fs, "arc")
	for i := 0; i < len(good); i += 7 {
		bad := bytes.Clone(good)
		bad[i] ^= 0x10
		writeTestFile(t, fs, "bad", bad)
		dst := fmt.Sprint("bad-dst-", i)
		if _, err := unpackArchive(fs, "bad", dst); !errors.Is(err, ErrCorruptState) {
			t.Fatalf("flip at %d accepted: %v", i, err)
		}
		removeAll(fs, dst)
	}
	for _, n := range []int{0, 10, len(good) / 2, len(good) - 1} {
		writeTestFile(t, fs, "short", good[:n])
		if _, err := unpackArchive(fs, "short", fmt.Sprint("short-dst-", n)); !errors.Is(err, ErrCorruptState) {
			t.Fatalf("truncation to %d accepted: %v", n, err)
		}
	}
}

func TestPointerRoundTripAndDamage(t *testing.T) {
	p := pointer{lsmIndex: 7, meta: raft.SnapshotMeta{Index: 7, Term: 3, Conf: raft.ConfState{Voters: []uint64{1, 2, 3}, Learners: []uint64{4}}}}
	enc := p.encode()
	got, err := decodePointer(enc)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(p) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for i := range enc {
		bad := bytes.Clone(enc)
		bad[i] ^= 1
		if _, err := decodePointer(bad); !errors.Is(err, ErrCorruptState) {
			t.Fatalf("flip at %d accepted", i)
		}
		if _, err := decodePointer(enc[:i]); !errors.Is(err, ErrCorruptState) {
			t.Fatalf("truncation to %d accepted", i)
		}
	}
}

// TestRestartReplaysFromDurableApplied: a node killed (machine crash) after
// many writes comes back with everything acknowledged, replaying the raft
// log after the LSM's durable applied index.
func TestRestartReplaysFromDurableApplied(t *testing.T) {
	c := newCluster(t, 9, 3, nil)
	lead := c.waitLeader()
	for i := range 50 {
		if _, err := c.put(lead, fmt.Sprint("k", i), fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	victim := c.ids[0]
	before := c.nodes[victim].Status()
	c.crash(victim)
	c.restart(victim)
	after := c.nodes[victim].Status()
	if after.DurableApplied > before.Applied {
		t.Fatalf("durable applied %d beyond applied %d", after.DurableApplied, before.Applied)
	}
	c.converge()
	for i := range 50 {
		if got, err := c.get(victim, fmt.Sprint("k", i)); err != nil || got != fmt.Sprint("v", i) {
			t.Fatalf("after restart k%d = %q %v", i, got, err)
		}
	}
}

// TestStagedViewAtEverySplit unpacks an archive seen as staged bytes plus
// pending chunks, split at every offset, and a view with a gap fails.
func TestStagedViewAtEverySplit(t *testing.T) {
	fs := diskio.NewMemFS(2)
	fs.MkdirAll("src")
	writeTestFile(t, fs, "src/a", []byte("alpha"))
	writeTestFile(t, fs, "src/b.sst", bytes.Repeat([]byte("xyz"), 300))
	if err := writeArchive(fs, "src", "arc", 7); err != nil {
		t.Fatal(err)
	}
	good, _ := readFile(fs, "arc")
	for split := 0; split <= len(good); split += 13 {
		writeTestFile(t, fs, "staged", good[:split])
		f, _ := fs.Open("staged")
		v := &stagedView{file: f, fileSize: int64(split)}
		if err := v.add(uint64(split), good[split:]); err != nil {
			t.Fatal(err)
		}
		dst := fmt.Sprint("dst-", split)
		if index, err := unpackArchiveFrom(fs, v, v.size(), dst); err != nil || index != 7 {
			t.Fatalf("split at %d: %d %v", split, index, err)
		}
		f.Close()
		removeAll(fs, dst)
	}
	v := &stagedView{}
	if err := v.add(0, good[:10]); err != nil {
		t.Fatal(err)
	}
	if err := v.add(11, good[11:]); !errors.Is(err, ErrCorruptState) {
		t.Fatalf("a gap in pending chunks: %v", err)
	}
}
