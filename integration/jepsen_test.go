package integration

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lineradb/lineradb/checker"
)

var (
	jepsenSeed     = flag.Uint64("jepsen.seed", 0, "nemesis and workload seed (0 = from the clock; printed either way)")
	jepsenDuration = flag.Duration("jepsen.duration", 15*time.Second, "how long the clients run")
)

const (
	jepsenKeys    = 3
	jepsenClients = 6
	// jepsenOpTimeout bounds one operation; past it the op is ambiguous.
	jepsenOpTimeout = 2 * time.Second
)

// history is a goroutine-safe checker.Recorder with wall times converted
// to durations since the start.
type history struct {
	mu    sync.Mutex
	rec   *checker.Recorder
	start time.Time
}

func (h *history) invoke(client int, op checker.Op) checker.OpID {
	h.mu.Lock()
	defer h.mu.Unlock()
	id, err := h.rec.Invoke(client, op, time.Since(h.start))
	if err != nil {
		panic(err)
	}
	return id
}

func (h *history) end(id checker.OpID, reply *checker.Reply, outcome string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	at := time.Since(h.start)
	var err error
	switch outcome {
	case "ok":
		err = h.rec.Return(id, *reply, at)
	case "fail":
		err = h.rec.Fail(id, at)
	default:
		err = h.rec.ReturnUnknown(id, at)
	}
	if err != nil {
		panic(err)
	}
}

// TestJepsenRegister runs concurrent register reads, writes and
// compare-and-sets over SQL while a nemesis SIGKILLs, SIGSTOPs and resumes
// nodes, then checks the history for linearizability with porcupine.
// Replay a run with -jepsen.seed=N.
func TestJepsenRegister(t *testing.T) {
	seed := *jepsenSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("jepsen seed %d (replay the schedule with -jepsen.seed=%d)", seed, seed)
	c := startCluster(t, 3)
	execRetry(t, c.nodes[0], "CREATE TABLE reg (k INT PRIMARY KEY, v INT)", 30*time.Second)
	h := &history{rec: checker.NewRecorder(0), start: time.Now()}
	for k := range jepsenKeys {
		id := h.invoke(-1, checker.Put(int64(k), 0))
		execRetry(t, c.nodes[0], fmt.Sprintf("INSERT INTO reg VALUES (%d, 0)", k), 20*time.Second)
		h.end(id, &checker.Reply{}, "ok")
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range jepsenClients {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			jepsenClient(c, h, i, rand.New(rand.NewPCG(seed, uint64(i)+1)), stop)
		}(i)
	}
	nemesisDone := make(chan struct{})
	go func() {
		defer close(nemesisDone)
		nemesis(t, c, rand.New(rand.NewPCG(seed, 0)), stop)
	}()
	time.Sleep(*jepsenDuration)
	close(stop)
	wg.Wait()
	<-nemesisDone

	hist := h.rec.History()
	counts := map[checker.Status]int{}
	for _, r := range hist.Records {
		counts[r.Status]++
	}
	t.Logf("history: %d ops: %d ok, %d failed, %d unknown, %d pending", len(hist.Records),
		counts[checker.StatusOK], counts[checker.StatusFail], counts[checker.StatusUnknown], counts[checker.StatusPending])
	if counts[checker.StatusOK] < 50 {
		t.Fatalf("only %d operations completed: the cluster made too little progress to judge", counts[checker.StatusOK])
	}
	res, err := checker.Linearizable(hist)
	if err != nil {
		t.Fatalf("malformed history: %v", err)
	}
	if !res.OK {
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("lineradb-jepsen-%d", seed))
		_ = os.MkdirAll(dir, 0o755)
		f, _ := os.Create(filepath.Join(dir, "linearizability.html"))
		_ = res.WriteHTML(f)
		f.Close()
		df, _ := os.Create(filepath.Join(dir, "history.txt"))
		_ = hist.Dump(df)
		df.Close()
		t.Fatalf("history is NOT linearizable (keys %v); report in %s; seed %d", res.FailedKeys, dir, seed)
	}
	t.Logf("linearizable: %d register ops checked", res.Ops)
}

// nemesis faults one node at a time: SIGKILL then restart, or SIGSTOP
// then SIGCONT, so a majority stays up and the clients keep progressing.
func nemesis(t *testing.T, c *cluster, r *rand.Rand, stop <-chan struct{}) {
	sleep := func(d time.Duration) bool {
		select {
		case <-stop:
			return false
		case <-time.After(d):
			return true
		}
	}
	for sleep(time.Duration(800+r.IntN(700)) * time.Millisecond) {
		p := c.nodes[r.IntN(len(c.nodes))]
		if r.IntN(2) == 0 {
			t.Logf("nemesis: SIGKILL node %d", p.id)
			p.kill()
			sleep(time.Duration(500+r.IntN(1000)) * time.Millisecond)
			t.Logf("nemesis: restart node %d", p.id)
			p.start(t)
		} else {
			t.Logf("nemesis: SIGSTOP node %d", p.id)
			p.signal(syscall.SIGSTOP)
			sleep(time.Duration(500+r.IntN(1500)) * time.Millisecond)
			t.Logf("nemesis: SIGCONT node %d", p.id)
			p.signal(syscall.SIGCONT)
		}
		// Let the cluster settle before the next fault: one fault at a time.
		sleep(time.Duration(1000+r.IntN(1000)) * time.Millisecond)
	}
}

func jepsenClient(c *cluster, h *history, client int, r *rand.Rand, stop <-chan struct{}) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	seq := int64(0)
	last := map[int64]int64{}
	for {
		select {
		case <-stop:
			return
		default:
		}
		if conn == nil {
			p := c.nodes[r.IntN(len(c.nodes))]
			ctx, cancel := context.WithTimeout(context.Background(), jepsenOpTimeout)
			cn, err := connect(ctx, p)
			cancel()
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			conn = cn
		}
		k := int64(r.IntN(jepsenKeys))
		seq++
		v := int64(client+1)*1_000_000 + seq
		var op checker.Op
		switch n := r.IntN(10); {
		case n < 4:
			op = checker.Get(k)
		case n < 7:
			op = checker.Put(k, v)
		default:
			op = checker.CAS(k, last[k], v)
		}
		id := h.invoke(client, op)
		reply, outcome := runOp(conn, op)
		h.end(id, &reply, outcome)
		if outcome == "ok" && op.Kind == checker.KindGet {
			last[k] = reply.Value
		}
		if outcome == "unknown" {
			// The connection may be wedged on a stopped node: start afresh.
			conn.Close(context.Background())
			conn = nil
		}
	}
}

// runOp executes one register operation and classifies its outcome.
func runOp(conn *pgx.Conn, op checker.Op) (checker.Reply, string) {
	ctx, cancel := context.WithTimeout(context.Background(), jepsenOpTimeout)
	defer cancel()
	var reply checker.Reply
	switch op.Kind {
	case checker.KindGet:
		err := conn.QueryRow(ctx, "SELECT v FROM reg WHERE k = $1", op.Key).Scan(&reply.Value)
		if err == pgx.ErrNoRows {
			return reply, "ok"
		}
		if err != nil {
			return reply, "unknown" // a failed read has no effect either way
		}
		reply.Found = true
		return reply, "ok"
	case checker.KindPut:
		_, err := conn.Exec(ctx, "UPDATE reg SET v = $1 WHERE k = $2", op.Value, op.Key)
		return reply, writeOutcome(err)
	default:
		tag, err := conn.Exec(ctx, "UPDATE reg SET v = $1 WHERE k = $2 AND v = $3", op.Value, op.Key, op.Expect)
		reply.Swapped = err == nil && tag.RowsAffected() == 1
		return reply, writeOutcome(err)
	}
}

func writeOutcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case definitelyFailed(err):
		return "fail"
	}
	return "unknown"
}
