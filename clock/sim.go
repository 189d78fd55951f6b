package clock

import "time"

// ppmPerUnit is parts per million in one unit of rate.
const ppmPerUnit = 1_000_000

// DriftPPMMax bounds the drift a simulated clock accepts. Real quartz drifts
// tens of ppm; the simulator goes far beyond that to stress lease bounds, but
// a rate at or below zero would stop or reverse monotonic time.
const DriftPPMMax = 500_000

// Sim is one node's clock in the simulator. The simulator owns the single
// "true" simulated time and hands each node a Sim reading it through its own
// imperfections:
//
//   - drift: both readings advance (1 + driftPPM/1e6) times as fast as true
//     time, from the moment the drift was set;
//   - offset and jumps: wall time is shifted by an offset and by jumps,
//     which may be negative (wall time goes backwards);
//   - monotonic time never decreases, whatever is done to the clock.
//
// Sim is not safe for concurrent use; the simulator is single-threaded.
type Sim struct {
	trueTime func() time.Duration
	epoch    time.Time
	// origin is the true time at creation: monotonic time counts from it,
	// wall time from the epoch at true time zero.
	origin time.Duration

	// Monotonic time is piecewise linear in true time: since anchorTrue it
	// advances at rate (1e6+driftPPM)/1e6 from anchorMono.
	anchorTrue time.Duration
	anchorMono time.Duration
	driftPPM   int64

	// wallShift is the sum of the offset and all jumps.
	wallShift time.Duration
	// lastMono is the largest monotonic reading returned, so a reading can
	// never go backwards even through rounding.
	lastMono time.Duration
}

// NewSim returns a clock that reads the simulator's true time through
// trueTime. Wall time starts at epoch when true time is zero.
func NewSim(trueTime func() time.Duration, epoch time.Time) *Sim {
	now := trueTime()
	return &Sim{trueTime: trueTime, epoch: epoch, origin: now, anchorTrue: now}
}

// Monotonic returns the drifted elapsed time since the clock was created.
func (c *Sim) Monotonic() time.Duration {
	m := c.monoAt(c.trueTime())
	if m < c.lastMono {
		m = c.lastMono
	}
	c.lastMono = m
	return m
}

// Now returns the wall time: epoch plus drifted elapsed time plus offset and
// jumps.
func (c *Sim) Now() time.Time {
	return c.epoch.Add(c.origin + c.Monotonic() + c.wallShift)
}

// SetOffset sets the wall-clock offset, replacing earlier offsets and jumps.
func (c *Sim) SetOffset(d time.Duration) { c.wallShift = d }

// JumpWall moves wall time by d, which may be negative. Monotonic time is
// unaffected, as with an NTP step on a real machine.
func (c *Sim) JumpWall(d time.Duration) { c.wallShift += d }

// SetDriftPPM sets the rate error in parts per million, clamped to
// ±DriftPPMMax. Time already elapsed is not rewritten.
func (c *Sim) SetDriftPPM(ppm int64) {
	ppm = min(max(ppm, -DriftPPMMax), DriftPPMMax)
	now := c.trueTime()
	c.anchorMono = c.monoAt(now)
	c.anchorTrue = now
	c.driftPPM = ppm
}

// DriftPPM returns the current rate error in parts per million.
func (c *Sim) DriftPPM() int64 { return c.driftPPM }

func (c *Sim) monoAt(trueNow time.Duration) time.Duration {
	elapsed := trueNow - c.anchorTrue
	if elapsed < 0 {
		// True time never goes back in the simulator; if a caller's
		// source did, hold still rather than reverse.
		elapsed = 0
	}
	scaled := elapsed + time.Duration(int64(elapsed)/ppmPerUnit*c.driftPPM) +
		time.Duration(int64(elapsed)%ppmPerUnit*c.driftPPM/ppmPerUnit)
	return c.anchorMono + scaled
}
