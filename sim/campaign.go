package sim

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/lineradb/lineradb/clock"
)

// SeedsMax bounds one campaign, so a typo in -seeds cannot queue a run
// that outlives the machine.
const SeedsMax = 10_000_000

// SeedResult is the outcome of simulating one seed.
type SeedResult struct {
	Seed   uint64
	Failed error
	// Ops counts client operations the workload issued.
	Ops int
	// Simulated is the true simulated time the run reached.
	Simulated time.Duration
	TraceHash uint64
	// Counters are the run's fault and traffic counts, sorted by name.
	Counters []Counter
	// Detail describes the seed's swarm-drawn configuration.
	Detail string
}

// CampaignConfig says which seeds to run and where to report.
type CampaignConfig struct {
	Seeds []uint64
	// Wall measures the campaign's real duration: clock.Real{} from tests
	// and cmd/, so the kernel itself never reads real time.
	Wall clock.Clock
	// Out receives the per-seed lines (when Verbose), failures and the
	// summary line. Nil discards.
	Out     io.Writer
	Verbose bool
	// Replay returns the command that replays one seed, printed for every
	// failure.
	Replay func(seed uint64) string
}

// CampaignResult aggregates a campaign.
type CampaignResult struct {
	Seeds     int
	Failed    int
	Ops       int
	Simulated time.Duration
	Wall      time.Duration
	Results   []SeedResult
	// Counters sums every seed's counters: a fault at zero never ran.
	Counters []Counter
}

// SeedRange returns count consecutive seeds from base.
func SeedRange(base uint64, count int) []uint64 {
	if count < 0 || count > SeedsMax {
		panic(fmt.Sprintf("sim: seed count %d outside [0,%d]", count, SeedsMax))
	}
	seeds := make([]uint64, count)
	for i := range seeds {
		seeds[i] = base + uint64(i)
	}
	return seeds
}

// RunSeeds runs every seed through run, one after another, and reports as
// it goes. A panicking seed counts as failed, with its stack.
func RunSeeds(cfg CampaignConfig, run func(seed uint64) SeedResult) CampaignResult {
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	start := cfg.Wall.Monotonic()
	var res CampaignResult
	for _, seed := range cfg.Seeds {
		r := runOne(seed, run)
		res.add(r)
		if cfg.Verbose {
			fmt.Fprintln(out, r.Line())
		}
		if r.Failed != nil {
			if !cfg.Verbose {
				fmt.Fprintln(out, r.Line())
			}
			if cfg.Replay != nil {
				fmt.Fprintf(out, "replay: %s\n", cfg.Replay(seed))
			}
		}
	}
	res.Wall = cfg.Wall.Monotonic() - start
	fmt.Fprintln(out, res.Summary())
	return res
}

func runOne(seed uint64, run func(seed uint64) SeedResult) (r SeedResult) {
	defer func() {
		if p := recover(); p != nil {
			r = SeedResult{Seed: seed, Failed: fmt.Errorf("panic: %v\n%s", p, debug.Stack())}
		}
	}()
	r = run(seed)
	r.Seed = seed
	return r
}

func (c *CampaignResult) add(r SeedResult) {
	c.Seeds++
	if r.Failed != nil {
		c.Failed++
	}
	c.Ops += r.Ops
	c.Simulated += r.Simulated
	c.Results = append(c.Results, r)
	c.Counters = MergeCounters(c.Counters, r.Counters)
}

// Summary is the campaign's one-line report, in the fixed format tools
// grep for.
func (c CampaignResult) Summary() string {
	return fmt.Sprintf("sim: seeds=%d failed=%d ops=%d simulated=%.1fs wall=%.2fs",
		c.Seeds, c.Failed, c.Ops, c.Simulated.Seconds(), c.Wall.Seconds())
}

// Line is one seed's report line.
func (r SeedResult) Line() string {
	status := "ok"
	if r.Failed != nil {
		status = "FAILED: " + r.Failed.Error()
	}
	return fmt.Sprintf("seed=%d ops=%d simulated=%.1fs trace=%016x %s %s",
		r.Seed, r.Ops, r.Simulated.Seconds(), r.TraceHash, r.Detail, status)
}

// CountersLine formats counters as name=count pairs, in name order.
func CountersLine(cs []Counter) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s=%d", c.Name, c.Count)
	}
	return strings.Join(parts, " ")
}

// ErrNondeterministic reports that one seed gave two different traces.
var ErrNondeterministic = errors.New("sim: nondeterministic")

// CheckDeterminism runs every seed twice through run and requires identical
// trace hashes; it also requires distinct seeds to give distinct hashes, or
// the hash would not be witnessing anything.
func CheckDeterminism(seeds []uint64, run func(seed uint64) SeedResult) error {
	bySeed := make(map[uint64]uint64, len(seeds)) // hash -> seed, lookup only
	for _, seed := range seeds {
		a, b := runOne(seed, run), runOne(seed, run)
		if err := CompareRuns(a, b); err != nil {
			return err
		}
		if other, dup := bySeed[a.TraceHash]; dup {
			return fmt.Errorf("sim: seeds %d and %d share trace hash %016x", other, seed, a.TraceHash)
		}
		bySeed[a.TraceHash] = seed
	}
	return nil
}

// CompareRuns reports whether two runs of one seed were identical.
func CompareRuns(a, b SeedResult) error {
	if a.Seed != b.Seed {
		return fmt.Errorf("sim: comparing runs of seeds %d and %d", a.Seed, b.Seed)
	}
	if a.TraceHash != b.TraceHash || a.Ops != b.Ops || a.Simulated != b.Simulated {
		return fmt.Errorf("%w: seed %d: trace %016x vs %016x, ops %d vs %d, simulated %v vs %v",
			ErrNondeterministic, a.Seed, a.TraceHash, b.TraceHash, a.Ops, b.Ops, a.Simulated, b.Simulated)
	}
	if (a.Failed == nil) != (b.Failed == nil) {
		return fmt.Errorf("%w: seed %d failed in one run only: %v / %v", ErrNondeterministic, a.Seed, a.Failed, b.Failed)
	}
	return nil
}
