package diskio

import (
	"bytes"
	"fmt"
	"math/bits"
	"testing"
)

func mustArm(t *testing.T, fs *MemFS, r FaultRule) {
	t.Helper()
	if err := fs.Arm(r); err != nil {
		t.Fatalf("arm %+v: %v", r, err)
	}
}

func TestFaultEIOOnSyncIsReportedAndNothingBecomesDurable(t *testing.T) {
	for _, policy := range []SyncRetryPolicy{SyncRetryLies, SyncRetryWorks} {
		fs := NewMemFS(1)
		_ = fs.Configure(MemFSConfig{CrashMode: CrashLoseUnsynced, SyncRetry: policy})
		f := mustCreate(t, fs, "wal", []byte("old"))
		mustSync(t, f)
		mustSyncDir(t, fs, ".")
		if _, err := f.Write([]byte("new")); err != nil {
			t.Fatal(err)
		}
		mustArm(t, fs, FaultRule{Op: OpSync, Fault: FaultEIO, OnCall: 1})
		wantErr(t, "faulted sync", f.Sync(), ErrIO)
		if size, _ := fs.DurableSize("wal"); size != 3 {
			t.Fatalf("policy %d: durable size %d after a failed sync, want 3", policy, size)
		}
		// The retry: under SyncRetryLies it says nil and persists nothing.
		if err := f.Sync(); err != nil {
			t.Fatalf("policy %d: retried sync: %v", policy, err)
		}
		fs.Crash()
		got := string(mustRead(t, fs, "wal"))
		if policy == SyncRetryLies && (got != "old" || fs.SyncLies() != 1) {
			t.Fatalf("lying retry: content %q, lies %d; want old and 1", got, fs.SyncLies())
		}
		if policy == SyncRetryWorks && got != "oldnew" {
			t.Fatalf("working retry: content %q, want oldnew", got)
		}
	}
}

func TestFaultEIOOnWriteReadAndNamespaceOps(t *testing.T) {
	fs := NewMemFS(1)
	f := mustCreate(t, fs, "f", []byte("abc"))
	mustArm(t, fs, FaultRule{Op: OpWrite, Fault: FaultEIO, OnCall: 1})
	n, err := f.Write([]byte("zzz"))
	wantErr(t, "faulted write", err, ErrIO)
	if size, _ := f.Size(); n != 0 || size != 3 {
		t.Fatalf("faulted write changed the file: n=%d size=%d", n, size)
	}
	mustArm(t, fs, FaultRule{Op: OpRead, Fault: FaultEIO, OnCall: 1})
	_, err = f.ReadAt(make([]byte, 3), 0)
	wantErr(t, "faulted read", err, ErrIO)
	for _, op := range []Op{OpCreate, OpRename, OpRemove, OpMkdirAll, OpSyncDir, OpList, OpStat, OpOpen, OpOpenAppend, OpTruncate} {
		mustArm(t, fs, FaultRule{Op: op, Fault: FaultEIO, OnCall: 1})
	}
	_, err = fs.Create("g")
	wantErr(t, "create", err, ErrIO)
	wantErr(t, "rename", fs.Rename("f", "h"), ErrIO)
	wantErr(t, "remove", fs.Remove("f"), ErrIO)
	wantErr(t, "mkdirall", fs.MkdirAll("d"), ErrIO)
	wantErr(t, "syncdir", fs.SyncDir("."), ErrIO)
	_, err = fs.List(".")
	wantErr(t, "list", err, ErrIO)
	_, err = fs.Stat("f")
	wantErr(t, "stat", err, ErrIO)
	_, err = fs.Open("f")
	wantErr(t, "open", err, ErrIO)
	_, err = fs.OpenAppend("f")
	wantErr(t, "openappend", err, ErrIO)
	wantErr(t, "truncate", f.Truncate(0), ErrIO)
	names, err := fs.List(".")
	if err != nil || fmt.Sprint(names) != "[f]" {
		t.Fatalf("faulted ops changed the namespace: %v %v", names, err)
	}
	if got := mustRead(t, fs, "f"); string(got) != "abc" {
		t.Fatalf("faulted ops changed the data: %q", got)
	}
}

func TestFaultNoSpaceLeavesEarlierDataIntact(t *testing.T) {
	fs := NewMemFS(1)
	_ = fs.Configure(MemFSConfig{CapacityBytesMax: 1000})
	f := mustCreate(t, fs, "f", patternBytes(1, 600))
	g := mustCreate(t, fs, "g", patternBytes(2, 300))
	_, err := g.Write(patternBytes(3, 101))
	wantErr(t, "write past capacity", err, ErrNoSpace)
	if _, err := g.Write(patternBytes(3, 100)); err != nil {
		t.Fatalf("write up to capacity: %v", err)
	}
	if !bytes.Equal(mustRead(t, fs, "f"), patternBytes(1, 600)) || fs.CapacityRefusals() != 1 {
		t.Fatal("a refused write damaged earlier data or was not counted")
	}
	// Freeing space makes room again.
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Write(patternBytes(4, 500)); err != nil {
		t.Fatalf("write after freeing space: %v", err)
	}
	// Injected ENOSPC regardless of capacity.
	mustArm(t, fs, FaultRule{Op: OpWrite, Fault: FaultNoSpace, OnCall: 1})
	_, err = f.Write([]byte("x"))
	wantErr(t, "injected enospc", err, ErrNoSpace)
	if size, _ := f.Size(); size != 0 {
		t.Fatalf("injected enospc wrote %d bytes", size)
	}
}

func TestFaultBitFlipChangesExactlyOneBitOfTheReadNotTheData(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		fs := NewMemFS(seed)
		data := patternBytes(int(seed), 700)
		f := mustCreate(t, fs, "f", data)
		mustArm(t, fs, FaultRule{Op: OpRead, Fault: FaultBitFlip, OnCall: 1})
		got := make([]byte, len(data))
		if _, err := f.ReadAt(got, 0); err != nil {
			t.Fatal(err)
		}
		if d := bitDistance(got, data); d != 1 {
			t.Fatalf("seed %d: read differs in %d bits, want 1", seed, d)
		}
		if !bytes.Equal(mustRead(t, fs, "f"), data) {
			t.Fatalf("seed %d: the stored data changed", seed)
		}
	}
}

func bitDistance(a, b []byte) int {
	d := 0
	for i := range a {
		d += bits.OnesCount8(a[i] ^ b[i])
	}
	return d
}

func TestFaultOnCallFiresExactlyOnTheNthCall(t *testing.T) {
	fs := NewMemFS(1)
	f, err := fs.Create("f")
	if err != nil {
		t.Fatal(err)
	}
	mustArm(t, fs, FaultRule{Op: OpWrite, Fault: FaultEIO, OnCall: 4})
	for call := 1; call <= 10; call++ {
		_, err := f.Write([]byte("x"))
		if (call == 4) != (err != nil) {
			t.Fatalf("call %d: err %v; want a fault on call 4 only", call, err)
		}
	}
	counts := fs.FaultCounts()
	if len(counts) != 1 || counts[0] != (FaultCount{Op: OpWrite, Fault: FaultEIO, Count: 1}) {
		t.Fatalf("fault counts = %+v", counts)
	}
	if fs.Calls(OpWrite) != 10 {
		t.Fatalf("write calls = %d, want 10", fs.Calls(OpWrite))
	}
}

func TestFaultPathPrefixLimitsTheRule(t *testing.T) {
	fs := NewMemFS(1)
	_ = fs.MkdirAll("n1")
	_ = fs.MkdirAll("n2")
	mustArm(t, fs, FaultRule{Op: OpCreate, Fault: FaultEIO, Probability: 1, PathPrefix: "n2/"})
	if _, err := fs.Create("n1/f"); err != nil {
		t.Fatalf("other node's create faulted: %v", err)
	}
	_, err := fs.Create("n2/f")
	wantErr(t, "targeted create", err, ErrIO)
	fs.DisarmAll()
	if _, err := fs.Create("n2/f"); err != nil {
		t.Fatalf("after disarm: %v", err)
	}
}

// faultTrace runs a fixed workload under probabilistic faults and records
// every outcome, to compare runs.
func faultTrace(seed uint64) string {
	fs := NewMemFS(seed)
	_ = fs.Arm(FaultRule{Op: OpWrite, Fault: FaultEIO, Probability: 0.2})
	_ = fs.Arm(FaultRule{Op: OpSync, Fault: FaultEIO, Probability: 0.1})
	_ = fs.Arm(FaultRule{Op: OpRead, Fault: FaultBitFlip, Probability: 0.3})
	var trace bytes.Buffer
	f, _ := fs.Create("f")
	for i := 0; i < 200; i++ {
		_, err := f.Write(patternBytes(i, 10))
		fmt.Fprintf(&trace, "w%s ", classify(err))
		if i%10 == 0 {
			fmt.Fprintf(&trace, "s%s ", classify(f.Sync()))
		}
		p := make([]byte, 10)
		n, err := f.ReadAt(p, int64(i))
		fmt.Fprintf(&trace, "r%d%x%s ", n, p[:n], classify(err))
	}
	fmt.Fprintf(&trace, "%+v", fs.FaultCounts())
	return trace.String()
}

func TestFaultsAreDeterministicPerSeed(t *testing.T) {
	if faultTrace(7) != faultTrace(7) {
		t.Fatal("seed 7 gave two different fault traces")
	}
	if faultTrace(7) == faultTrace(8) {
		t.Fatal("seeds 7 and 8 gave the same fault trace")
	}
}

func TestFaultCountsAreOrderedByOpThenFault(t *testing.T) {
	fs := NewMemFS(3)
	f := mustCreate(t, fs, "f", []byte("abcdef"))
	mustArm(t, fs, FaultRule{Op: OpRead, Fault: FaultBitFlip, OnCall: 1})
	mustArm(t, fs, FaultRule{Op: OpSync, Fault: FaultEIO, OnCall: 1})
	mustArm(t, fs, FaultRule{Op: OpCreate, Fault: FaultNoSpace, OnCall: 1})
	_, _ = f.ReadAt(make([]byte, 3), 0)
	_ = f.Sync()
	_, _ = fs.Create("g")
	got := fmt.Sprint(fs.FaultCounts())
	want := "[{create enospc 1} {sync eio 1} {read bitflip 1}]"
	if got != want {
		t.Fatalf("fault counts = %s, want %s", got, want)
	}
}

func TestArmRejectsBadRules(t *testing.T) {
	fs := NewMemFS(1)
	bad := []FaultRule{
		{Op: OpRead, Fault: FaultNoSpace, OnCall: 1},                // ENOSPC on a read
		{Op: OpWrite, Fault: FaultBitFlip, OnCall: 1},               // bit flip on a write
		{Op: OpWrite, Fault: FaultEIO},                              // neither trigger
		{Op: OpWrite, Fault: FaultEIO, Probability: 0.5, OnCall: 2}, // both
		{Op: OpWrite, Fault: FaultEIO, Probability: 1.5},            // out of range
		{Op: opCount, Fault: FaultEIO, OnCall: 1},                   // no such op
		{Op: OpWrite, Fault: FaultNone, OnCall: 1},                  // no fault
	}
	for _, r := range bad {
		wantErr(t, fmt.Sprintf("arm %+v", r), fs.Arm(r), ErrInvalid)
	}
	for i := 0; i < faultRulesMax; i++ {
		mustArm(t, fs, FaultRule{Op: OpWrite, Fault: FaultEIO, Probability: 0.01})
	}
	wantErr(t, "arm past the bound", fs.Arm(FaultRule{Op: OpWrite, Fault: FaultEIO, OnCall: 1}), ErrNoSpace)
}

func TestLatencyHookSeesEveryOperation(t *testing.T) {
	fs := NewMemFS(1)
	var seen []string
	fs.SetLatencyHook(func(op Op, p string) { seen = append(seen, op.String()+":"+p) })
	f := mustCreate(t, fs, "f", []byte("x"))
	mustSync(t, f)
	_, _ = f.ReadAt(make([]byte, 1), 0)
	mustSyncDir(t, fs, ".")
	want := "[create:f write:f sync:f read:f syncdir:.]"
	if got := fmt.Sprint(seen); got != want {
		t.Fatalf("hook saw %s, want %s", got, want)
	}
}
