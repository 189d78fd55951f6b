package diskio

import (
	"math/rand/v2"

	"pgregory.net/rapid"
)

// chooser makes the random choices of a scenario. Under rapid the choices
// are drawn (and shrunk) by rapid; in the tests that prove a checker can
// fail they come from a seeded PRNG, which writes no rapid fail files and
// replays from the seed the test prints.
type chooser interface {
	intn(n int, label string) int
}

type rapidChooser struct{ t *rapid.T }

func (c rapidChooser) intn(n int, label string) int {
	return rapid.IntRange(0, n-1).Draw(c.t, label)
}

type prngChooser struct{ rng *rand.Rand }

func newPRNGChooser(seed uint64) prngChooser {
	return prngChooser{rng: rand.New(rand.NewPCG(seed, 0))}
}

func (c prngChooser) intn(n int, _ string) int { return c.rng.IntN(n) }

func pick[T any](c chooser, label string, xs []T) T {
	return xs[c.intn(len(xs), label)]
}

// writeLengths are the append sizes scenarios use: around the sector size,
// where tearing and rounding bugs live.
var writeLengths = []int{0, 1, 7, 100, 511, 512, 513, 1100}

// patternBytes returns n bytes derived from tag, distinct per tag, so that a
// read that returns the wrong append is told apart.
func patternBytes(tag, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(tag*31 + i*7 + i/256)
	}
	return b
}
