// Package clock is the only way LineraDB code learns the time.
//
// Core packages (raft, lsm, node, sql, checker, sim) never call time.Now or
// sleep: they are handed a Clock. Production wires Real; the simulator wires
// one Sim clock per node, all driven by the simulator's single notion of
// "true" simulated time, each with its own offset, drift and jumps.
//
// Two readings are offered because they have different contracts:
//
//   - Now is wall time. It is what a human would read off the node's clock:
//     it may be offset from other nodes, drift, and jump backwards or
//     forwards (an NTP step, an operator). Use it for timestamps shown to
//     users (now(), log lines), never to measure intervals.
//   - Monotonic is elapsed time since the clock's origin. It never
//     decreases, though it may run fast or slow (drift). Use it for timeouts,
//     leases and latency.
//
// Invariant: successive calls to Monotonic on one clock return values that
// never decrease.
package clock
