// Package detlint enforces LineraDB's determinism contract (DESIGN.md) on the
// core packages: raft, lsm, node, sql, checker and sim.
//
// Their non-test files must never
//
//   - read time: time.Now, Since, Until, Sleep, After, AfterFunc, Tick,
//     NewTimer, NewTicker (take a clock.Clock or abstract ticks instead);
//   - start goroutines or coordinate with channels, select or
//     sync.WaitGroup;
//   - use math/rand's global functions or crypto/rand (take a seeded
//     *rand.Rand: rand.New and the source constructors are allowed);
//   - import os, net, syscall or their children (use diskio and netio);
//   - range over a map, or over maps.Keys/Values/All unless the iterator is
//     handed straight to slices.Sorted, because Go randomises map order.
//
// Escape hatches are explicit and greppable, and must say why:
//
//   - //detlint:ordered <reason> on the line of (or just above) a map range
//     whose result does not depend on order (a sum, a copy into a map);
//   - //detlint:exempt <reason> in a file's leading comment, for the thin
//     production-only files the design allows in core packages (the node
//     runtime, pgwire's socket loop).
//
// The checker type-checks packages with go/types, so it sees through import
// renames and type aliases; it is proven able to fail by a fixture package
// (testdata/bad) in which every forbidden construct must be reported.
package detlint
