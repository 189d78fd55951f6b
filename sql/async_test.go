package sql

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/node/kv/memkv"
)

var seedFlag = flag.Uint64("seed", 0, "replay one seed of the randomized tests")

// asyncClient is one simulated client: a session, the queries it still
// has to send, and the step it is waiting on. It is driven the way the
// simulator drives sessions: each Begin/Commit/Abort is an event that
// completes later, interleaved with other clients' events.
type asyncClient struct {
	name    string
	s       *Session
	queries []string
	step    Step
	busy    bool
	results [][]Result
}

// advance performs the client's outstanding action against the store and
// resumes the session; it returns false when the client has nothing left.
func (c *asyncClient) advance(store *memkv.Store) bool {
	if !c.busy {
		if len(c.queries) == 0 {
			return false
		}
		c.step = c.s.Start(c.queries[0])
		c.queries = c.queries[1:]
		c.busy = true
	}
	switch c.step.Action {
	case ActionBegin:
		txn, err := store.Begin(c.step.BeginOpts)
		c.step = c.s.ResumeBegin(txn, err)
	case ActionCommit:
		res, err := store.Commit(c.step.Txn)
		c.step = c.s.ResumeCommit(res, err)
	case ActionAbort:
		store.Abort(c.step.Txn)
		c.step = c.s.ResumeAbort()
	case ActionCopyIn:
		c.step = c.s.ResumeCopyIn(0, fmt.Errorf("no COPY data in this test"))
	}
	if c.step.Action == ActionDone {
		c.results = append(c.results, c.step.Results)
		c.busy = false
	}
	return true
}

// TestSessionsDrivenAsynchronously interleaves two bank clients' steps in
// a seeded random order, one action at a time, with the other client's
// actions between a session's Begin and its Commit — the path the
// simulator takes. Each transfer either commits or fails with 40001 and
// is retried; the total balance is invariant, and every committed
// transfer is counted exactly once.
func TestSessionsDrivenAsynchronously(t *testing.T) {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay: go test ./sql -run TestSessionsDrivenAsynchronously -seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	store := memkv.New()
	setup := NewSession(SessionConfig{})
	mustRun(t, setup, store, "CREATE TABLE acct (id int PRIMARY KEY, bal int NOT NULL); INSERT INTO acct VALUES (1, 1000), (2, 1000), (3, 1000)")
	const transfersPerClient = 20
	clients := make([]*asyncClient, 2)
	for i := range clients {
		clients[i] = &asyncClient{name: fmt.Sprint("c", i), s: NewSession(SessionConfig{})}
	}
	transfer := func(rng *rand.Rand) string {
		from, to := 1+rng.IntN(3), 1+rng.IntN(3)
		return fmt.Sprintf("BEGIN; UPDATE acct SET bal = bal - 1 WHERE id = %d; UPDATE acct SET bal = bal + 1 WHERE id = %d; INSERT INTO log VALUES ('%%s'); COMMIT", from, to)
	}
	mustRun(t, setup, store, "CREATE TABLE log (tag text PRIMARY KEY)")
	committed, retries, interleaved := 0, 0, 0
	pending := make([]string, len(clients)) // the transfer each client is attempting
	done := make([]int, len(clients))
	for steps := 0; steps < 100000; steps++ {
		var live []int
		for i, c := range clients {
			if c.busy || done[i] < transfersPerClient {
				live = append(live, i)
			}
		}
		if len(live) == 0 {
			break
		}
		i := live[rng.IntN(len(live))]
		c := clients[i]
		if !c.busy && len(c.queries) == 0 {
			if pending[i] == "" {
				pending[i] = fmt.Sprintf(transfer(rng), fmt.Sprintf("%s-%d", c.name, done[i]))
			}
			c.queries = append(c.queries, pending[i])
		}
		if c.busy && c.step.Action == ActionCommit && clients[1-i].busy {
			interleaved++
		}
		c.advance(store)
		if c.busy {
			continue
		}
		rs := c.results[len(c.results)-1]
		last := rs[len(rs)-1]
		switch {
		case last.Err == nil && last.Tag == "COMMIT":
			committed++
			done[i]++
			pending[i] = ""
		case last.Err != nil && last.Err.Code == "40001":
			retries++
			if c.s.InTransaction() != 'I' {
				c.queries = append(c.queries, "ROLLBACK")
			}
		default:
			t.Fatalf("seed %d: %s got %s", seed, c.name, dump(rs))
		}
	}
	if committed != len(clients)*transfersPerClient {
		t.Fatalf("seed %d: %d transfers committed, want %d", seed, committed, len(clients)*transfersPerClient)
	}
	got := dump(mustRun(t, setup, store, "SELECT sum(bal), (SELECT count(*) FROM log) FROM acct"))
	if want := fmt.Sprintf("SELECT 1\n  3000|%d\n", committed); got != want {
		t.Fatalf("seed %d: after %d transfers (%d retries): %s, want %s", seed, committed, retries, got, want)
	}
	if interleaved == 0 {
		t.Fatalf("seed %d: no commit ever overlapped the other client's open transaction; the test did not interleave", seed)
	}
	t.Logf("%d transfers, %d retried after 40001, %d commits overlapped", committed, retries, interleaved)
}

// TestAsyncStepsAreTheProtocol pins the exact action sequence of the
// common statement shapes, which simulator drivers rely on.
func TestAsyncStepsAreTheProtocol(t *testing.T) {
	store := memkv.New()
	s := NewSession(SessionConfig{})
	mustRun(t, s, store, "CREATE TABLE t (a int PRIMARY KEY)")
	for _, c := range []struct {
		q       string
		actions []Action
	}{
		{"INSERT INTO t VALUES (1)", []Action{ActionBegin, ActionCommit, ActionDone}},
		{"INSERT INTO t VALUES (1)", []Action{ActionBegin, ActionAbort, ActionDone}}, // 23505
		{"BEGIN", []Action{ActionBegin, ActionDone}},
		{"SELECT 1; INSERT INTO t VALUES (2)", []Action{ActionDone}},
		{"COMMIT", []Action{ActionCommit, ActionDone}},
		{"BEGIN; SELECT 1; ROLLBACK", []Action{ActionBegin, ActionAbort, ActionDone}},
		{"SELECT 1; SELECT 2", []Action{ActionBegin, ActionCommit, ActionBegin, ActionCommit, ActionDone}},
		{"SET application_name = 'x'", []Action{ActionDone}},
	} {
		var got []Action
		step := s.Start(c.q)
		for {
			got = append(got, step.Action)
			if step.Action == ActionDone {
				break
			}
			switch step.Action {
			case ActionBegin:
				txn, err := store.Begin(step.BeginOpts)
				step = s.ResumeBegin(txn, err)
			case ActionCommit:
				res, err := store.Commit(step.Txn)
				step = s.ResumeCommit(res, err)
			case ActionAbort:
				store.Abort(step.Txn)
				step = s.ResumeAbort()
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(c.actions) {
			t.Errorf("%s: actions %v, want %v", c.q, got, c.actions)
		}
	}
	// A Begin that fails (the cluster is unavailable) fails the statement.
	step := s.Start("SELECT 1")
	step = s.ResumeBegin(nil, kv.ErrUnavailable)
	if step.Action != ActionDone || len(step.Results) != 1 || step.Results[0].Err.Code != "57P03" {
		t.Fatalf("failed begin: %+v", step)
	}
	// An ambiguous commit is reported as 40003, never as success.
	step = s.Start("INSERT INTO t VALUES (3)")
	txn, _ := store.Begin(step.BeginOpts)
	step = s.ResumeBegin(txn, nil)
	store.Abort(step.Txn)
	step = s.ResumeCommit(kv.CommitResult{}, kv.ErrAmbiguous)
	if step.Action != ActionDone || step.Results[0].Err == nil || step.Results[0].Err.Code != "40003" {
		t.Fatalf("ambiguous commit: %+v", step.Results)
	}
}
