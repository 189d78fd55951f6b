// Package good uses everything the determinism contract allows; the lint
// must report nothing here.
package good

import (
	"maps"
	"math/rand/v2"
	"slices"
	"time"
)

type node struct {
	rng     *rand.Rand
	timeout time.Duration
}

func newNode(seed uint64) *node {
	return &node{rng: rand.New(rand.NewPCG(seed, 1)), timeout: 150 * time.Millisecond}
}

func (n *node) jitter() time.Duration {
	return time.Duration(n.rng.Int64N(int64(n.timeout)))
}

func sortedKeys(m map[string]int) []string {
	return slices.Sorted(maps.Keys(m))
}

func total(m map[string]int) int {
	sum := 0
	//detlint:ordered addition is commutative
	for _, v := range m {
		sum += v
	}
	return sum
}
