package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/lineradb/lineradb/checker"
)

// A simulated client of the kv register. It has one operation outstanding
// at a time, sent straight to one node (the leader it last heard of, or a
// random member): get via ReadIndex, put and cas as Raft proposals. An
// operation the node refuses up front (no leader, node down) definitely
// had no effect and is recorded as failed; one that times out, or whose
// node crashed with it, may yet take effect and is recorded as unknown.

// leaderHintProb is how often a client goes to the leader it knows of
// rather than a random member; the rest exercise forwarding and follower
// reads.
const leaderHintProb = 0.7

type raftClient struct {
	c   *raftCluster
	id  uint32
	rng *rand.Rand
	seq uint64
	cur *clientOp
	// hint is the leader the last contacted node knew of.
	hint uint64
	// lastSeen is the value last observed per key, for plausible cas.
	lastSeen []int64
}

type clientOp struct {
	id      checker.OpID
	op      checker.Op
	done    bool
	timeout EventID
}

func newRaftClient(c *raftCluster, id uint32) *raftClient {
	return &raftClient{
		c: c, id: id, rng: c.k.Rand(fmt.Sprintf("raft.client.%d", id)),
		lastSeen: make([]int64, c.cfg.keys),
	}
}

func (cl *raftClient) scheduleNext() {
	if cl.c.workloadOver {
		return
	}
	d := time.Duration(float64(cl.c.cfg.thinkMean) * cl.rng.ExpFloat64())
	cl.c.k.Schedule(d, "raft.client", cl.issue)
}

// drawOp picks the next operation: 40 % get, 40 % put, 20 % cas. Written
// values are unique per client and seq, so porcupine can tell them apart.
func (cl *raftClient) drawOp() checker.Op {
	key := int64(cl.rng.IntN(cl.c.cfg.keys))
	value := int64(cl.id)<<32 | int64(cl.seq)
	switch r := cl.rng.IntN(10); {
	case r < 4:
		return checker.Get(key)
	case r < 8:
		return checker.Put(key, value)
	default:
		return checker.CAS(key, cl.lastSeen[key], value)
	}
}

func (cl *raftClient) pickNode() *raftNode {
	if cl.hint != 0 && cl.rng.Float64() < leaderHintProb {
		return cl.c.node(cl.hint)
	}
	var cands []*raftNode
	for _, n := range cl.c.nodes {
		if n.status != nodeOff && n.status != nodeRemoved {
			cands = append(cands, n)
		}
	}
	return cands[cl.rng.IntN(len(cands))]
}

func (cl *raftClient) issue() {
	if cl.c.workloadOver {
		return
	}
	cl.seq++
	op := cl.drawOp()
	n := cl.pickNode()
	id, err := cl.c.rec.Invoke(int(cl.id), op, cl.c.k.Now())
	if err != nil {
		cl.c.k.Fail(fmt.Errorf("client %d: %w", cl.id, err))
		return
	}
	o := &clientOp{id: id, op: op}
	cl.cur = o
	if n.status != nodeRunning {
		cl.fail(o)
		return
	}
	if lead := n.rn.Lead(); lead != 0 {
		cl.hint = lead
	}
	if err := cl.submit(n, o); err != nil {
		cl.fail(o)
		return
	}
	if !o.done {
		o.timeout = cl.c.k.Schedule(cl.c.cfg.opTimeout, "raft.client.timeout", func() { cl.timedOut(o) })
	}
}

func (cl *raftClient) submit(n *raftNode, o *clientOp) error {
	op := o.op
	if op.Kind == checker.KindGet {
		return n.submitRead(readCtx(cl.id, cl.seq), op.Key, func(v int64, found bool) {
			cl.finish(o, checker.Reply{Found: found, Value: v})
		})
	}
	cmd := kvCmd{kind: kvPut, client: cl.id, seq: cl.seq, key: op.Key, value: op.Value}
	if op.Kind == checker.KindCAS {
		cmd.kind, cmd.expect = kvCAS, op.Expect
	}
	return n.submitWrite(cmd, func(res kvResult) {
		cl.finish(o, checker.Reply{Swapped: res.swapped})
	})
}

func (cl *raftClient) finish(o *clientOp, reply checker.Reply) {
	if o.done || cl.cur != o {
		return
	}
	o.done = true
	cl.c.k.Cancel(o.timeout)
	if err := cl.c.rec.Return(o.id, reply, cl.c.k.Now()); err != nil {
		cl.c.k.Fail(fmt.Errorf("client %d: %w", cl.id, err))
		return
	}
	switch {
	case o.op.Kind == checker.KindGet && reply.Found:
		cl.lastSeen[o.op.Key] = reply.Value
	case o.op.Kind == checker.KindPut, o.op.Kind == checker.KindCAS && reply.Swapped:
		cl.lastSeen[o.op.Key] = o.op.Value
	}
	cl.c.count("raft.ops_ok")
	cl.scheduleNext()
}

// fail records an operation refused before it could take effect.
func (cl *raftClient) fail(o *clientOp) {
	o.done = true
	if err := cl.c.rec.Fail(o.id, cl.c.k.Now()); err != nil {
		cl.c.k.Fail(fmt.Errorf("client %d: %w", cl.id, err))
		return
	}
	cl.c.count("raft.ops_failed")
	cl.scheduleNext()
}

func (cl *raftClient) timedOut(o *clientOp) {
	if o.done {
		return
	}
	o.done = true
	if err := cl.c.rec.ReturnUnknown(o.id, cl.c.k.Now()); err != nil {
		cl.c.k.Fail(fmt.Errorf("client %d: %w", cl.id, err))
		return
	}
	cl.c.count("raft.ops_unknown")
	cl.scheduleNext()
}
