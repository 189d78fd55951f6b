package checker

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

// Randomized tests: histories generated from a sequential model, each
// operation taking effect at a random point inside its interval (so the
// history is linearizable / strictly serializable by construction), must
// be accepted; the same histories with one random corruption of a kind the
// checker promises to catch must be rejected.
//
// Replay a failure with: go test ./checker -run TestRandom -checker.seed=N

var (
	seedFlag  = flag.Uint64("checker.seed", 1, "base seed for randomized checker tests")
	itersFlag = flag.Int("checker.iters", 150, "histories per randomized checker test")
)

// genOp is one generated operation; times are in milliseconds. lin is when
// it took effect; an ambiguous op that took effect may do so after ret.
type genOp struct {
	client        int
	op            Op
	inv, ret, lin int
	status        Status
	applied       bool
	pending       bool // ambiguous and never returned
	reply         Reply
}

// genTimes draws an interval and a linearization point inside it, and
// for ambiguous ops decides whether (and possibly how late) it happened.
func genTimes(rng *rand.Rand, g *genOp, ambiguousPct, n int) {
	g.inv = rng.IntN(10 * n) // dense: a few ops in flight at once
	dur := 1 + rng.IntN(40)
	g.ret = g.inv + dur
	g.lin = g.inv + rng.IntN(dur+1)
	g.status, g.applied = StatusOK, true
	if rng.IntN(100) < ambiguousPct {
		g.status, g.applied = StatusUnknown, rng.IntN(2) == 0
		g.lin = g.inv + rng.IntN(dur+200) // may take effect after the timeout
		g.pending = rng.IntN(4) == 0
	}
}

// byLin returns op indexes in the order they took effect.
func byLin(ops []genOp) []int {
	idx := make([]int, len(ops))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ops[idx[a]].lin < ops[idx[b]].lin })
	return idx
}

// record turns generated ops into a History through a Recorder, events in
// time order (invocations first on ties, so equal times overlap).
func record(t testing.TB, ops []genOp) History {
	t.Helper()
	type ev struct {
		at  int
		ret bool
		i   int
	}
	var evs []ev
	for i, g := range ops {
		evs = append(evs, ev{g.inv, false, i})
		if !g.pending {
			evs = append(evs, ev{g.ret, true, i})
		}
	}
	sort.SliceStable(evs, func(a, b int) bool {
		if evs[a].at != evs[b].at {
			return evs[a].at < evs[b].at
		}
		return !evs[a].ret && evs[b].ret
	})
	b := newBuilder(t)
	ids := make([]OpID, len(ops))
	for _, e := range evs {
		g := ops[e.i]
		switch {
		case !e.ret:
			ids[e.i] = b.invoke(g.client, g.op, e.at)
		case g.status == StatusOK:
			b.ok(ids[e.i], g.reply, e.at)
		case g.status == StatusFail:
			b.fail(ids[e.i], e.at)
		default:
			b.unknown(ids[e.i], e.at)
		}
	}
	return b.history()
}

func forEachSeed(t *testing.T, name string, f func(t *testing.T, rng *rand.Rand)) {
	for i := 0; i < *itersFlag; i++ {
		seed := *seedFlag + uint64(i)
		rng := rand.New(rand.NewPCG(seed, 0x636865636b6572))
		ok := t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { f(t, rng) })
		if !ok {
			t.Fatalf("%s failed: replay with -checker.seed=%d -checker.iters=1", name, seed)
		}
	}
}

// --- register ---------------------------------------------------------

func genRegister(rng *rand.Rand, n, ambiguousPct int) []genOp {
	ops := make([]genOp, n)
	for i := range ops {
		g := &ops[i]
		g.client = i % 6
		key := int64(rng.IntN(3))
		switch rng.IntN(6) {
		case 0, 1:
			g.op = Get(key)
		case 2:
			g.op = Put(key, int64(rng.IntN(4)))
		case 3:
			g.op = CAS(key, int64(rng.IntN(4)), int64(rng.IntN(4)))
		case 4:
			g.op = Delete(key)
		default:
			g.op = DeleteRange(key, key+1+int64(rng.IntN(2)))
		}
		genTimes(rng, g, ambiguousPct, n)
	}
	state := map[int64]int64{}
	for _, i := range byLin(ops) {
		g := &ops[i]
		if !g.applied {
			continue
		}
		cur, present := state[g.op.Key]
		switch g.op.Kind {
		case KindGet:
			g.reply = Reply{Found: present, Value: cur}
		case KindPut:
			state[g.op.Key] = g.op.Value
		case KindDelete:
			delete(state, g.op.Key)
		case KindDeleteRange:
			for k := g.op.Key; k < g.op.KeyEnd; k++ {
				delete(state, k)
			}
		case KindCAS:
			if present && cur == g.op.Expect {
				state[g.op.Key] = g.op.Value
				g.reply.Swapped = true
			}
		}
	}
	return ops
}

func TestRandomRegisterAccepted(t *testing.T) {
	forEachSeed(t, "register accept", func(t *testing.T, rng *rand.Rand) {
		h := record(t, genRegister(rng, 30, 15))
		if res := mustLinearizable(t, h); !res.OK {
			t.Fatalf("generated linearizable history rejected:\n%s", h)
		}
	})
}

func TestRandomRegisterCorruptionRejected(t *testing.T) {
	forEachSeed(t, "register reject", func(t *testing.T, rng *rand.Rand) {
		h := record(t, genRegister(rng, 30, 0))
		var gets []int
		for i, rec := range h.Records {
			if rec.Op.Kind == KindGet {
				gets = append(gets, i)
			}
		}
		if len(gets) == 0 {
			return
		}
		// A value no put ever wrote can be read under no linearization.
		i := gets[rng.IntN(len(gets))]
		h.Records[i].Reply = Reply{Found: true, Value: 1000 + int64(i)}
		if res := mustLinearizable(t, h); res.OK {
			t.Fatalf("corrupted get #%d accepted:\n%s", i, h)
		}
	})
}

func TestRandomRegisterResurrectionRejected(t *testing.T) {
	forEachSeed(t, "register resurrection", func(t *testing.T, rng *rand.Rand) {
		ops := genRegister(rng, 30, 0)
		end := 0
		for _, g := range ops {
			end = max(end, g.ret)
		}
		// After everything: put, delete (alone or in a range), and a get
		// that still sees the put. No order brings the value back.
		key := int64(rng.IntN(3))
		del := Delete(key)
		if rng.IntN(2) == 0 {
			del = DeleteRange(key-int64(rng.IntN(2)), key+1+int64(rng.IntN(2)))
		}
		ops = append(ops,
			genOp{client: 7, op: Put(key, 77), inv: end + 1, ret: end + 2, status: StatusOK},
			genOp{client: 7, op: del, inv: end + 3, ret: end + 4, status: StatusOK},
			genOp{client: 8, op: Get(key), inv: end + 5, ret: end + 6, status: StatusOK, reply: got(77)})
		h := record(t, ops)
		if res := mustLinearizable(t, h); res.OK {
			t.Fatalf("get after a completed %s saw the deleted value:\n%s", del, h)
		}
	})
}

// --- bank -------------------------------------------------------------

func genBank(rng *rand.Rand, n, accounts, ambiguousPct int) []genOp {
	ops := make([]genOp, n)
	for i := range ops {
		g := &ops[i]
		g.client = i % 5
		if rng.IntN(3) == 0 {
			g.op = ReadAll()
		} else {
			from := rng.IntN(accounts)
			to := (from + 1 + rng.IntN(accounts-1)) % accounts
			g.op = Transfer(from, to, 1+int64(rng.IntN(8)))
		}
		genTimes(rng, g, ambiguousPct, n)
	}
	bal := make([]int64, accounts)
	for i := range bal {
		bal[i] = 10
	}
	for _, i := range byLin(ops) {
		g := &ops[i]
		if !g.applied {
			continue
		}
		if g.op.Kind == KindReadAll {
			g.reply.Balances = append([]int64(nil), bal...)
			continue
		}
		if bal[g.op.From] < g.op.Amount {
			if g.status == StatusOK {
				g.status = StatusFail // insufficient funds: rejected, no effect
			}
			continue
		}
		bal[g.op.From] -= g.op.Amount
		bal[g.op.To] += g.op.Amount
	}
	return ops
}

func bankConfig(accounts int) BankConfig {
	cfg := BankConfig{Initial: make([]int64, accounts)}
	for i := range cfg.Initial {
		cfg.Initial[i] = 10
	}
	return cfg
}

func TestRandomBankAccepted(t *testing.T) {
	forEachSeed(t, "bank accept", func(t *testing.T, rng *rand.Rand) {
		h := record(t, genBank(rng, 40, 4, 15))
		if res := mustBank(t, h, bankConfig(4)); !res.Valid {
			t.Fatalf("valid bank history rejected: %s\n%s", res.First().Explanation, h)
		}
	})
}

func TestRandomBankCorruptionRejected(t *testing.T) {
	forEachSeed(t, "bank reject", func(t *testing.T, rng *rand.Rand) {
		h := record(t, genBank(rng, 40, 4, 15))
		var reads []int
		for i, rec := range h.Records {
			if rec.Op.Kind == KindReadAll && rec.Status == StatusOK {
				reads = append(reads, i)
			}
		}
		if len(reads) == 0 {
			return
		}
		i := reads[rng.IntN(len(reads))]
		h.Records[i].Reply.Balances[rng.IntN(4)] += 1 + int64(rng.IntN(5))
		res := mustBank(t, h, bankConfig(4))
		if res.Valid || res.First().Read != OpID(i) {
			t.Fatalf("corrupted read #%d not reported first: %+v\n%s", i, res, h)
		}
	})
}

// --- list-append ------------------------------------------------------

func genListAppend(rng *rand.Rand, n, keys, ambiguousPct int) []genOp {
	return genListAppendOrdered(rng, n, keys, ambiguousPct, false)
}

// genListAppendOrdered generates txns applied one at a time; with
// anyOrder the serial order ignores real time (serializable, not
// strictly), else each txn takes effect inside its interval.
func genListAppendOrdered(rng *rand.Rand, n, keys, ambiguousPct int, anyOrder bool) []genOp {
	ops := make([]genOp, n)
	next := int64(1)
	for i := range ops {
		g := &ops[i]
		g.client = i % 6
		var micros []Micro
		for j := 1 + rng.IntN(4); j > 0; j-- {
			k := int64(rng.IntN(keys))
			if rng.IntN(2) == 0 {
				micros = append(micros, Read(k))
			} else {
				micros = append(micros, Append(k, next))
				next++
			}
		}
		g.op = Txn(micros...)
		genTimes(rng, g, ambiguousPct, n)
		if anyOrder {
			g.lin = rng.IntN(1 << 30)
		}
		if g.status == StatusOK && rng.IntN(100) < 5 {
			g.status, g.applied = StatusFail, false
		}
	}
	state := map[int64][]int64{}
	for _, i := range byLin(ops) {
		if ops[i].applied {
			ops[i].reply.Txn = applyTxn(state, ops[i].op.Txn)
		}
	}
	return ops
}

func applyTxn(state map[int64][]int64, req []Micro) []Micro {
	out := make([]Micro, len(req))
	for i, m := range req {
		out[i] = m
		if m.Kind == MicroAppend {
			state[m.Key] = append(state[m.Key], m.Value)
		} else {
			out[i].Read = append([]int64{}, state[m.Key]...)
		}
	}
	return out
}

func TestRandomListAppendAccepted(t *testing.T) {
	forEachSeed(t, "list-append accept", func(t *testing.T, rng *rand.Rand) {
		h := record(t, genListAppend(rng, 30, 4, 15))
		res := mustListAppend(t, h, strict)
		if !res.Valid {
			t.Fatalf("strictly serializable history rejected: %s\n%s", describe(res), h)
		}
	})
}

func TestRandomListAppendSerializableAccepted(t *testing.T) {
	stale := 0
	forEachSeed(t, "list-append serializable", func(t *testing.T, rng *rand.Rand) {
		h := record(t, genListAppendOrdered(rng, 30, 4, 15, true))
		if res := mustListAppend(t, h, plain); !res.Valid {
			t.Fatalf("serializable history rejected: %s\n%s", describe(res), h)
		}
		if res := mustListAppend(t, h, strict); !res.Valid {
			stale++
		}
	})
	if stale == 0 && *itersFlag >= 100 {
		t.Errorf("no history violated real-time order: strict mode is not being exercised")
	}
}

// corruption mutates a committed read of h in place so that the checker
// must object; it returns false if h offers no place for it.
type corruption func(rng *rand.Rand, h History) bool

func TestRandomListAppendCorruptionRejected(t *testing.T) {
	kinds := []struct {
		name string
		f    corruption
	}{
		{"garbage", corruptGarbage},
		{"duplicate", corruptDuplicate},
		{"aborted-writer", corruptAbortWriter},
		{"stale-read", corruptStaleRead},
	}
	applied := make([]int, len(kinds))
	forEachSeed(t, "list-append reject", func(t *testing.T, rng *rand.Rand) {
		h := record(t, genListAppend(rng, 30, 3, 0))
		k := rng.IntN(len(kinds))
		if !kinds[k].f(rng, h) {
			return
		}
		applied[k]++
		if res := mustListAppend(t, h, strict); res.Valid {
			t.Fatalf("corruption %s accepted:\n%s", kinds[k].name, h)
		}
	})
	for k, n := range applied {
		if n == 0 && *itersFlag >= 100 {
			t.Errorf("corruption %s never applied: the generator no longer exercises it", kinds[k].name)
		}
	}
}

// readSite is one committed read in a history.
type readSite struct {
	rec, micro int
}

func committedReads(h History, minLen int) []readSite {
	var sites []readSite
	for i, rec := range h.Records {
		if rec.Op.Kind != KindTxn || rec.Status != StatusOK {
			continue
		}
		for j, m := range rec.Reply.Txn {
			if m.Kind == MicroRead && len(m.Read) >= minLen {
				sites = append(sites, readSite{i, j})
			}
		}
	}
	return sites
}

func (s readSite) at(h History) *Micro { return &h.Records[s.rec].Reply.Txn[s.micro] }

func corruptGarbage(rng *rand.Rand, h History) bool {
	sites := committedReads(h, 0)
	if len(sites) == 0 {
		return false
	}
	m := sites[rng.IntN(len(sites))].at(h)
	m.Read = append(m.Read, 1_000_000)
	return true
}

func corruptDuplicate(rng *rand.Rand, h History) bool {
	sites := committedReads(h, 1)
	if len(sites) == 0 {
		return false
	}
	m := sites[rng.IntN(len(sites))].at(h)
	m.Read = append(m.Read, m.Read[rng.IntN(len(m.Read))])
	return true
}

// corruptAbortWriter turns the writer of an observed value into a failed
// txn, so the read becomes an aborted read (G1a). The writer must not be
// the reader itself, or the read would vanish with it.
func corruptAbortWriter(rng *rand.Rand, h History) bool {
	sites := committedReads(h, 1)
	rng.Shuffle(len(sites), func(i, j int) { sites[i], sites[j] = sites[j], sites[i] })
	for _, s := range sites {
		m := s.at(h)
		w := writerOf(h, m.Key, m.Read[rng.IntN(len(m.Read))])
		if w == nil || w.ID == OpID(s.rec) {
			continue
		}
		w.Status, w.Reply = StatusFail, Reply{}
		return true
	}
	return false
}

// corruptStaleRead drops the last element of a read whose writer had
// returned before the reader was invoked, when another read of the key
// saw at least as much (so the version order still includes it). The
// reader then misses a write that strictly preceded it: a realtime cycle,
// or a G1b if the writer's earlier append is what remains.
func corruptStaleRead(rng *rand.Rand, h History) bool {
	sites := committedReads(h, 1)
	rng.Shuffle(len(sites), func(i, j int) { sites[i], sites[j] = sites[j], sites[i] })
	for _, s := range sites {
		m := s.at(h)
		last := m.Read[len(m.Read)-1]
		w := writerOf(h, m.Key, last)
		reader := &h.Records[s.rec]
		if w == nil || w.ID == reader.ID || w.Status != StatusOK || w.ReturnTime >= reader.InvokeTime {
			continue
		}
		if !otherReadCovers(h, s, len(m.Read)) {
			continue
		}
		m.Read = m.Read[:len(m.Read)-1]
		return true
	}
	return false
}

func writerOf(h History, key, value int64) *Record {
	for i := range h.Records {
		for _, a := range h.Records[i].Op.Txn {
			if a.Kind == MicroAppend && a.Key == key && a.Value == value {
				return &h.Records[i]
			}
		}
	}
	return nil
}

func otherReadCovers(h History, site readSite, n int) bool {
	key := site.at(h).Key
	for _, s := range committedReads(h, n) {
		if s.rec != site.rec && s.at(h).Key == key {
			return true
		}
	}
	return false
}
