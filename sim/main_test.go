package sim

import (
	"os"
	"runtime/debug"
	"testing"
)

// simGCPercent is the GOGC this package's tests and benchmarks run with
// unless GOGC is set in the environment. A simulated cluster's live heap
// is a few megabytes while it allocates hundreds per seed, so at the
// default of 100 the collector ran every few megabytes and took a third
// of the CPU; at 400 the heap peaks near five times the live set (tens of
// megabytes) and `TestSim -seeds=100` needs about a third less CPU. The
// collector never changes what a seed does, only how fast it runs.
const simGCPercent = 400

func TestMain(m *testing.M) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(simGCPercent)
	}
	os.Exit(m.Run())
}
