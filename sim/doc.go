// Package sim is LineraDB's deterministic cluster simulator: one goroutine,
// one event queue, one seed, and every fault the real world can throw at a
// cluster.
//
// # Fault model
//
// The simulator may do, at any moment a seed's nemesis chooses, anything
// below; the code under test must stay safe throughout and live after heal.
//
// Network (Network, implementing netio.Transport):
//   - latency: LatencyMin plus an exponential tail (mean LatencyMean),
//     capped at LatencyMax; each path is FIFO unless reordered;
//   - drop: a message is lost with probability DropProb (0–30 % by swarm);
//   - duplicate: delivered twice, the copy on its own latency;
//   - reorder: a message escapes its path's FIFO order and is delayed by up
//     to ReorderDelayMax, so later ones overtake it;
//   - clogging: one directed path delays every delivery until a time;
//   - partitions: symmetric (two groups), asymmetric (a->b cut, b->a open),
//     isolating one node; in-flight messages are caught by a partition that
//     starts before they arrive;
//   - a crashed node's inbound messages are dropped; a paused node's are
//     held (bounded) and delivered on resume; neither sends.
//
// The network never corrupts a payload: netio's contract is that the
// transport detects corruption (CRC32C) and discards the frame, which is a
// drop.
//
// Process (Processes, implemented by the cluster under test):
//   - crash: timers cancelled, volatile state lost, durable state kept
//     (with diskio.MemFS, unsynced writes may be lost or torn); restart
//     boots from durable state;
//   - pause: the process freezes with its state and later resumes.
//
// Clock (clock.Sim, one per node over the kernel's true time):
//   - offset and jumps of wall time, backwards too;
//   - drift up to ±clock.DriftPPMMax of both readings; monotonic time never
//     decreases.
//
// Heal ends every fault: partitions and clogs removed, probabilities zero,
// every node up, drift zero (offsets stay; wall clocks are never in sync).
//
// # Contract
//
// A campaign for a seed is:
//
//  1. k := NewKernel(seed). Every random choice draws from k.Rand(name),
//     one stream per component, seeded from (seed, name) only.
//  2. net := NewNetwork(k, cfg); each node gets net.Join(id, handler), a
//     clock.NewSim(k.Now, epoch), and schedules its own timers with
//     k.Schedule. Nodes never read real time or start goroutines.
//  3. k.AddCheck registers invariants; they run after every event and the
//     first violation stops the run.
//  4. A Nemesis with SwarmNemesis(k.Rand(...), n) faults the run for a
//     phase, then heals; the caller runs the kernel (RunFor/RunUntil) and
//     checks liveness within a bound after the heal.
//  5. The seed's SeedResult carries k.TraceHash(); RunSeeds aggregates
//     seeds, prints one summary line and the replay command of each
//     failure; CheckDeterminism proves same seed ⇒ same hash.
//
// # Invariants
//
//   - Events run in (time, seq) order; true time never decreases.
//   - Every processed event feeds the trace hash (time, seq, label, and the
//     bytes it traces, e.g. each delivery's from, to, type and payload
//     digest). Same seed, same binary ⇒ same hash. Random streams are
//     seeded by a separate, frozen function (streamSeeds), so changing the
//     trace hash never changes what a seed does.
//   - No map iteration order reaches the trace, a message or a result.
//   - Queues are bounded: PendingEventsMax events, NetConfig.InFlightMax
//     messages, NetConfig.HeldPerNodeMax held per paused node, EpisodesMax
//     nemesis episodes, EventsPerRunMax events per run call. Spent events
//     and deliveries are pooled for reuse (the event table never outgrows
//     PendingEventsMax, the delivery pool deliveriesFreeMax), so the hot
//     loop allocates nothing of its own in the steady state.
//
// The toy protocol (toy.go) exercises all of this until Raft lands; see its
// comment for its safety and liveness properties.
//
// The Raft campaign (raft*.go; `go test ./sim -run TestRaft -seeds=N`)
// runs raft.Raft over raftlog on MemFS with a replicated kv register:
// raftcluster.go (phases, swarm), raftnode.go (the Ready contract, crash,
// restart, snapshots), raftcheck.go (election safety, log matching, leader
// completeness, state machine safety, commit monotonicity after every
// event), raftnemesis.go (leader isolation and crashes, transfers,
// membership changes, disk faults), raftclient.go (clients whose history
// porcupine checks). Seeds that ever failed live in testdata/seeds.
//
// The SQL campaign (sql*.go; `go test ./sim -run TestSQL -seeds=N`) runs
// the whole-database cluster and nemeses with SQL clients: each drives a
// sql.Session, turning its Begin/Commit/Abort actions into the replica's
// asynchronous node.Begin/node.Commit (sqlconn.go), for a bank and a
// list-append workload written in SQL plus CREATE TABLE / CREATE INDEX
// mid-run, checked by the same CheckBank and CheckListAppend (strict).
// It does not go through pgwire: pgwire.Conn needs no goroutines, but
// Conn.Serve is a blocking read loop that returns only when the
// connection ends, and its sql backend calls the synchronous kv.Store
// Begin/Commit, which inside one goroutine could only complete by running
// the kernel re-entrantly from inside an event. A pgwire Conn that could
// be fed bytes and suspended on a pending kv action, as sql.Session is,
// would let the campaign put the wire protocol in the loop too.
package sim
