package node

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/lineradb/lineradb/diskio"
	"github.com/lineradb/lineradb/node/kv"
)

// TestRuntimeOverTCP runs three real runtimes over TCP on 127.0.0.1 with
// OS files: elect, write through every node via kv.Store, read every write
// back from every node, stop cleanly with no goroutine left behind. Only
// generous deadlines, no timing assertions.
func TestRuntimeOverTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time test")
	}
	baseline := runtime.NumGoroutine()
	ids := []uint64{1, 2, 3}
	rts := map[uint64]*Runtime{}
	for _, id := range ids {
		rt, err := StartRuntime(RuntimeConfig{
			Node: Config{
				ID: id, FS: diskio.NewOSFS(t.TempDir()), Dir: "node", Peers: ids,
				Rand: rand.New(rand.NewPCG(id, 1)), ElectionTicks: 10,
			},
			ListenAddr:    "127.0.0.1:0",
			TickInterval:  10 * time.Millisecond,
			CommitTimeout: 5 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		rts[id] = rt
	}
	for _, a := range ids {
		for _, b := range ids {
			if a != b {
				if err := rts[a].AddPeerAddr(b, rts[b].Addr()); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	retry := func(what string, fn func() error) {
		t.Helper()
		for {
			err := fn()
			if err == nil {
				return
			}
			if time.Now().After(deadline) || !(errors.Is(err, kv.ErrUnavailable) || errors.Is(err, kv.ErrAmbiguous) || errors.Is(err, kv.ErrSerialization)) {
				t.Fatalf("%s: %v", what, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, id := range ids {
		var s kv.Store = rts[id]
		retry(fmt.Sprint("write via ", id), func() error {
			txn, err := s.Begin(kv.TxnOptions{})
			if err != nil {
				return err
			}
			if err := txn.Put([]byte(fmt.Sprint("k", id)), []byte(fmt.Sprint("v", id))); err != nil {
				return err
			}
			_, err = s.Commit(txn)
			return err
		})
	}
	for _, reader := range ids {
		for _, id := range ids {
			retry(fmt.Sprint("read via ", reader), func() error {
				txn, err := rts[reader].Begin(kv.TxnOptions{ReadOnly: true})
				if err != nil {
					return err
				}
				defer rts[reader].Abort(txn)
				v, ok, err := txn.Get([]byte(fmt.Sprint("k", id)))
				if err != nil {
					return err
				}
				if !ok || string(v) != fmt.Sprint("v", id) {
					t.Fatalf("node %d reads k%d = %q, %v", reader, id, v, ok)
				}
				return nil
			})
		}
	}
	st, err := rts[1].Status()
	if err != nil || st.Applied == 0 || len(st.Voters) != 3 {
		t.Fatalf("status %+v %v", st, err)
	}
	for _, id := range ids {
		if err := rts[id].Stop(); err != nil {
			t.Errorf("stop %d: %v", id, err)
		}
	}
	if _, err := rts[1].Begin(kv.TxnOptions{}); !errors.Is(err, kv.ErrUnavailable) {
		t.Fatalf("begin after stop: %v", err)
	}
	for time.Now().Before(deadline) && runtime.NumGoroutine() > baseline {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines left (baseline %d):\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
}
