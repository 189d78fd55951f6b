package sim

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fakeWall advances a fixed step per reading, so wall time in the summary
// is predictable.
type fakeWall struct{ mono time.Duration }

func (w *fakeWall) Now() time.Time { return time.Unix(0, 0).Add(w.mono) }

func (w *fakeWall) Monotonic() time.Duration {
	w.mono += 1500 * time.Millisecond
	return w.mono
}

func TestRunSeedsSummaryAndReplay(t *testing.T) {
	var out strings.Builder
	res := RunSeeds(CampaignConfig{
		Seeds:  SeedRange(10, 4),
		Wall:   &fakeWall{},
		Out:    &out,
		Replay: func(seed uint64) string { return fmt.Sprintf("replay-cmd %d", seed) },
	}, func(seed uint64) SeedResult {
		switch seed {
		case 11:
			return SeedResult{Failed: errors.New("broken"), Ops: 1, Simulated: time.Second}
		case 12:
			panic("kaboom")
		}
		return SeedResult{Ops: 10, Simulated: 2500 * time.Millisecond, TraceHash: seed}
	})
	if res.Seeds != 4 || res.Failed != 2 || res.Ops != 21 {
		t.Fatalf("aggregate %+v", res)
	}
	if res.Results[2].Seed != 12 || !strings.Contains(res.Results[2].Failed.Error(), "panic: kaboom") {
		t.Fatalf("panicking seed recorded as %+v", res.Results[2])
	}
	text := out.String()
	want := "sim: seeds=4 failed=2 ops=21 simulated=6.0s wall=1.50s\n"
	if !strings.HasSuffix(text, want) {
		t.Fatalf("output does not end with the summary %q:\n%s", want, text)
	}
	for _, line := range []string{"replay: replay-cmd 11\n", "replay: replay-cmd 12\n"} {
		if !strings.Contains(text, line) {
			t.Errorf("missing %q in:\n%s", line, text)
		}
	}
	if strings.Contains(text, "seed=10 ") {
		t.Errorf("passing seed printed without Verbose:\n%s", text)
	}
}

func TestRunSeedsVerbosePrintsEverySeed(t *testing.T) {
	var out strings.Builder
	RunSeeds(CampaignConfig{Seeds: SeedRange(0, 3), Wall: &fakeWall{}, Out: &out, Verbose: true},
		func(seed uint64) SeedResult { return SeedResult{TraceHash: 0xabc} })
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want 3 seeds and a summary:\n%s", len(lines), out.String())
	}
	re := regexp.MustCompile(`^seed=\d+ ops=0 simulated=0\.0s trace=0000000000000abc .* ok$`)
	for _, l := range lines[:3] {
		if !re.MatchString(l) {
			t.Errorf("seed line %q does not match %s", l, re)
		}
	}
}

func TestCompareRunsRejectsDifferences(t *testing.T) {
	a := SeedResult{Seed: 1, TraceHash: 5, Ops: 3}
	if err := CompareRuns(a, a); err != nil {
		t.Fatal(err)
	}
	for _, b := range []SeedResult{
		{Seed: 1, TraceHash: 6, Ops: 3},
		{Seed: 1, TraceHash: 5, Ops: 4},
		{Seed: 1, TraceHash: 5, Ops: 3, Failed: errors.New("x")},
	} {
		if err := CompareRuns(a, b); !errors.Is(err, ErrNondeterministic) {
			t.Errorf("CompareRuns(%+v, %+v) = %v", a, b, err)
		}
	}
}
