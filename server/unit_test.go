package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lineradb/lineradb/internal/config"
	"github.com/lineradb/lineradb/monitoring"
	"github.com/lineradb/lineradb/netio"
	"github.com/lineradb/lineradb/node"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/node/kv/memkv"
	"github.com/lineradb/lineradb/raft"
)

func TestClassifyDisk(t *testing.T) {
	cases := []struct {
		free, total uint64
		want        diskLevel
	}{
		{50, 100, diskOK},
		{10, 100, diskOK}, // exactly at warn: not below it
		{9, 100, diskWarn},
		{5, 100, diskWarn}, // exactly at critical: not below it
		{4, 100, diskCritical},
		{0, 100, diskCritical},
		{200, 100, diskOK}, // free > total is clamped, not a panic
		{0, 0, diskOK},     // no size: nothing to judge
	}
	for _, c := range cases {
		if got, _ := classifyDisk(c.free, c.total, 10, 5); got != c.want {
			t.Errorf("classifyDisk(%d, %d) = %v, want %v", c.free, c.total, got, c.want)
		}
	}
}

func TestDiskGuardTurnsReadOnlyAndBack(t *testing.T) {
	free := uint64(50)
	g := &diskGuard{dir: "/d", warnPercent: 10, criticalPercent: 5, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		statfs: func(string) (uint64, uint64, error) { return free, 100, nil }}
	store := &guardedStore{inner: newMem(t), disk: g, m: newMetrics(func() nodeSnapshot { return nodeSnapshot{} })}
	put := func() error {
		txn, err := store.Begin(kv.TxnOptions{})
		if err != nil {
			return err
		}
		if err := txn.Put([]byte("k"), []byte("v")); err != nil {
			return err
		}
		_, err = store.Commit(txn)
		return err
	}
	g.check()
	if err := put(); err != nil {
		t.Fatalf("write with free disk: %v", err)
	}
	free = 1
	g.check()
	err := put()
	if err == nil || !strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), "disk space critical") {
		t.Fatalf("write with a critical disk: %v, want a read-only error", err)
	}
	// Reads still work.
	txn, err := store.Begin(kv.TxnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := txn.Get([]byte("k")); err != nil || !ok {
		t.Fatalf("read on a read-only node: %v %v", ok, err)
	}
	if _, err := store.Commit(txn); err != nil {
		t.Fatalf("read-only commit refused: %v", err)
	}
	// A failed statfs keeps the verdict.
	g.statfs = func(string) (uint64, uint64, error) { return 0, 0, errors.New("EIO") }
	g.check()
	if g.readOnlyReason() == "" {
		t.Fatal("a failed statfs lifted read-only mode")
	}
	g.statfs = func(string) (uint64, uint64, error) { return free, 100, nil }
	free = 60
	g.check()
	if err := put(); err != nil {
		t.Fatalf("write after space was freed: %v", err)
	}
}

func newMem(t *testing.T) kv.Store {
	t.Helper()
	return memkv.New()
}

func TestMetricsExportEveryDashboardName(t *testing.T) {
	m := newMetrics(func() nodeSnapshot {
		return nodeSnapshot{OK: true, Status: node.Status{ID: 1, Role: raft.RoleLeader, Term: 2}, LagMs: map[uint64]float64{2: 15, 3: 0}}
	})
	m.queries.Inc()
	m.queryLatency.Observe(3)
	m.commitLatency.Observe(2)
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range families {
		have[f.GetName()] = true
	}
	for _, name := range monitoring.ExportedMetrics {
		if name == "up" { // Prometheus's own scrape-health series
			continue
		}
		if !have[name] {
			t.Errorf("metric %s (monitoring.ExportedMetrics) is not exported", name)
		}
	}
	// The runbook's p50/p99, and the counter's value.
	for _, f := range families {
		switch f.GetName() {
		case "lineradb_sql_query_latency_ms":
			var qs []float64
			for _, q := range f.GetMetric()[0].GetSummary().GetQuantile() {
				qs = append(qs, q.GetQuantile())
			}
			if len(qs) != 2 || qs[0] != 0.5 || qs[1] != 0.99 {
				t.Errorf("lineradb_sql_query_latency_ms quantiles %v, want [0.5 0.99]", qs)
			}
		case "lineradb_sql_queries_total":
			if v := f.GetMetric()[0].GetCounter().GetValue(); v != 1 {
				t.Errorf("queries = %v", v)
			}
		}
	}
}

// TestMetricsCheckCatchesMissingName proves the name check can fail.
func TestMetricsCheckCatchesMissingName(t *testing.T) {
	m := newMetrics(func() nodeSnapshot { return nodeSnapshot{} })
	families, _ := m.reg.Gather()
	for _, f := range families {
		if f.GetName() == "lineradb_definitely_not_exported" {
			t.Fatal("impossible")
		}
	}
}

func TestLagTracker(t *testing.T) {
	var l lagTracker
	t0 := time.Unix(0, 0)
	st := node.Status{ID: 1, Role: raft.RoleLeader, Peers: []node.PeerStatus{{ID: 1}, {ID: 2, Lag: 0}, {ID: 3, Lag: 5}}}
	l.observe(st, t0)
	st.Peers[2].Lag = 7
	l.observe(st, t0.Add(300*time.Millisecond))
	got := l.snapshot()
	if got[2] != 0 || got[3] != 300 {
		t.Fatalf("lag = %v, want 2:0 3:300", got)
	}
	l.observe(node.Status{ID: 1, Role: raft.RoleFollower}, t0.Add(time.Second))
	if len(l.snapshot()) != 0 {
		t.Fatal("a follower exports lag")
	}
}

func TestFounders(t *testing.T) {
	plain := []config.Peer{{ID: 2, Addr: "n2:9090"}, {Addr: "n3:9090"}}
	cases := []struct {
		name               string
		self               uint64
		peers              []config.Peer
		bootstrap, idGiven bool
		want               []uint64
		mode               joinMode
	}{
		{"make run: no peers, no id", 1, nil, false, false, []uint64{1}, joinFound},
		{"no peers, --bootstrap-cluster", 4, nil, true, true, []uint64{4}, joinFound},
		{"runbook add-node: no peers, --node-id=4", 4, nil, false, true, nil, joinWait},
		{"founder with ids", 1, peersOf(2, 3), true, true, []uint64{1, 2, 3}, joinFound},
		{"founder with an unresolved plain peer", 1, plain, true, true, nil, joinWait},
		{"joiner", 4, peersOf(2, 3), false, true, nil, joinWait},
	}
	for _, c := range cases {
		got, mode := founders(c.self, c.peers, c.bootstrap, c.idGiven)
		if !slices.Equal(got, c.want) || mode != c.mode {
			t.Errorf("%s: founders = %v, %v; want %v, %v", c.name, got, mode, c.want, c.mode)
		}
	}
}

// fakeProbe answers for a table of addresses, failing each address's
// first failures[addr] probes as if the node were not up yet.
type fakeProbe struct {
	mu       sync.Mutex
	ids      map[string]uint64
	failures map[string]int
	calls    int
}

func (f *fakeProbe) probe(ctx context.Context, addr string) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.failures[addr] > 0 {
		f.failures[addr]--
		return 0, errors.New("connection refused")
	}
	id, ok := f.ids[addr]
	if !ok {
		return 0, errors.New("connection refused")
	}
	if id == 1 {
		return 0, fmt.Errorf("%w: it is me", netio.ErrProbeSelf)
	}
	return id, nil
}

func TestResolveAll(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	f := &fakeProbe{ids: map[string]uint64{"n2:9090": 2, "n3:9090": 3, "me:9090": 1, "dup:9090": 2},
		failures: map[string]int{"n3:9090": 2}}
	r := &resolver{self: 1, probe: f.probe, log: quiet}
	ctx := context.Background()
	got, err := r.resolveAll(ctx, []config.Peer{{Addr: "n2:9090"}, {ID: 7, Addr: "n7:9090"}, {Addr: "n3:9090"}})
	want := []config.Peer{{ID: 2, Addr: "n2:9090"}, {ID: 7, Addr: "n7:9090"}, {ID: 3, Addr: "n3:9090"}}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("resolveAll = %v, %v; want %v", got, err, want)
	}
	for name, peers := range map[string][]config.Peer{
		"own address":          {{Addr: "me:9090"}},
		"two entries, one id":  {{Addr: "n2:9090"}, {Addr: "dup:9090"}},
		"plain entry is an id": {{ID: 2, Addr: "x:1"}, {Addr: "n2:9090"}},
	} {
		if _, err := r.resolveAll(ctx, peers); err == nil {
			t.Errorf("%s: resolveAll accepted %v", name, peers)
		}
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err = r.resolveAll(short, []config.Peer{{Addr: "n2:9090"}, {Addr: "down:9090"}})
	if err == nil || !strings.Contains(err.Error(), "down:9090") || strings.Contains(err.Error(), "n2:9090") {
		t.Fatalf("timeout error should name only the unreachable peer: %v", err)
	}
}

func TestFreshDataDir(t *testing.T) {
	dir := t.TempDir()
	if fresh, err := freshDataDir(dir); !fresh || err != nil {
		t.Fatalf("empty data dir: fresh=%v err=%v", fresh, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, nodeDirName), 0o755); err != nil {
		t.Fatal(err)
	}
	if fresh, _ := freshDataDir(dir); !fresh {
		t.Fatal("an empty node directory is fresh")
	}
	if err := os.WriteFile(filepath.Join(dir, nodeDirName, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if fresh, _ := freshDataDir(dir); fresh {
		t.Fatal("a node directory with files is not fresh")
	}
}

func TestBackupRoundTripAndCorruption(t *testing.T) {
	store := newMem(t)
	txn, _ := store.Begin(kv.TxnOptions{})
	want := map[string]string{}
	for i := range 2500 { // more than one scan page
		k, v := []byte{byte(i >> 8), byte(i)}, bytes.Repeat([]byte{byte(i)}, i%50)
		_ = txn.Put(k, v)
		want[string(k)] = string(v)
	}
	if _, err := store.Commit(txn); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	info, err := WriteBackup(store, root, 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if info.Keys != 2500 {
		t.Fatalf("keys = %d", info.Keys)
	}
	got := map[string]string{}
	if _, err := ReadBackup(info.Path, func(k, v []byte) error { got[string(k)] = string(v); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read back %d keys, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("key %x: %q want %q", k, got[k], v)
		}
	}
	list, err := ListBackups(root)
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	// One flipped byte must be refused before any record is handed out.
	data := filepath.Join(info.Path, backupDataName)
	b, _ := os.ReadFile(data)
	b[len(b)/2] ^= 0x40
	_ = os.WriteFile(data, b, 0o644)
	n := 0
	if _, err := ReadBackup(info.Path, func([]byte, []byte) error { n++; return nil }); !errors.Is(err, ErrBackupCorrupt) || n != 0 {
		t.Fatalf("corrupt backup: err %v after %d records", err, n)
	}
	// A backup without its manifest is incomplete.
	_ = os.Remove(filepath.Join(info.Path, backupManifestName))
	if _, err := ReadBackup(info.Path, func([]byte, []byte) error { return nil }); !errors.Is(err, ErrBackupCorrupt) {
		t.Fatalf("no manifest: %v", err)
	}
}

func TestReadRecordRejectsHugeLength(t *testing.T) {
	b := []byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0}
	if _, _, err := readRecord(bytes.NewReader(b)); err == nil {
		t.Fatal("accepted a 2 GiB record length")
	}
}

func TestRestoreRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "x"), nil, 0o644)
	if _, err := RestoreBackup(t.TempDir(), dir, 1); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore into a non-empty dir: %v", err)
	}
}

func peersOf(ids ...uint64) []config.Peer {
	var out []config.Peer
	for _, id := range ids {
		out = append(out, config.Peer{ID: id, Addr: "h:1"})
	}
	return out
}
