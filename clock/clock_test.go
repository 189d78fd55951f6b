package clock

import (
	"testing"
	"time"
)

var testEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeTrue is the simulator's true time, advanced by hand.
type fakeTrue struct{ now time.Duration }

func (f *fakeTrue) read() time.Duration { return f.now }

func TestSimWithoutFaultsTracksTrueTime(t *testing.T) {
	tt := &fakeTrue{now: 5 * time.Second}
	c := NewSim(tt.read, testEpoch)
	if got := c.Monotonic(); got != 0 {
		t.Fatalf("monotonic at creation = %v, want 0", got)
	}
	tt.now += 1500 * time.Millisecond
	if got := c.Monotonic(); got != 1500*time.Millisecond {
		t.Fatalf("monotonic = %v, want 1.5s", got)
	}
	if got, want := c.Now(), testEpoch.Add(6500*time.Millisecond); !got.Equal(want) {
		t.Fatalf("wall = %v, want %v", got, want)
	}
}

func TestSimDriftScalesElapsedTimeFromWhenItIsSet(t *testing.T) {
	tt := &fakeTrue{}
	c := NewSim(tt.read, testEpoch)
	tt.now = 10 * time.Second
	c.SetDriftPPM(100_000) // 10 % fast from here on
	tt.now = 20 * time.Second
	if got, want := c.Monotonic(), 21*time.Second; got != want {
		t.Fatalf("monotonic = %v, want %v", got, want)
	}
	c.SetDriftPPM(-100_000) // 10 % slow from here on
	tt.now = 30 * time.Second
	if got, want := c.Monotonic(), 30*time.Second; got != want {
		t.Fatalf("monotonic = %v, want %v", got, want)
	}
}

func TestSimDriftIsClamped(t *testing.T) {
	tt := &fakeTrue{}
	c := NewSim(tt.read, testEpoch)
	c.SetDriftPPM(-5_000_000)
	if c.DriftPPM() != -DriftPPMMax {
		t.Fatalf("drift = %d, want clamp to %d", c.DriftPPM(), -DriftPPMMax)
	}
	tt.now = time.Second
	if c.Monotonic() <= 0 {
		t.Fatal("a clamped negative drift must still move monotonic time forward")
	}
}

func TestSimWallJumpsBackwardButMonotonicNeverDoes(t *testing.T) {
	tt := &fakeTrue{}
	c := NewSim(tt.read, testEpoch)
	c.SetOffset(2 * time.Second)
	tt.now = 10 * time.Second
	wallBefore, monoBefore := c.Now(), c.Monotonic()
	c.JumpWall(-time.Minute)
	tt.now += time.Millisecond
	if !c.Now().Before(wallBefore) {
		t.Fatal("wall time did not go backwards after a negative jump")
	}
	if c.Monotonic() < monoBefore {
		t.Fatal("monotonic time went backwards")
	}
	if want := testEpoch.Add(10*time.Second + time.Millisecond + 2*time.Second - time.Minute); !c.Now().Equal(want) {
		t.Fatalf("wall = %v, want %v", c.Now(), want)
	}
}

// A true-time source that goes backwards is a simulator bug, but the clock
// must still keep its promise.
func TestSimMonotonicHoldsWhenSourceRegresses(t *testing.T) {
	tt := &fakeTrue{now: time.Second}
	c := NewSim(tt.read, testEpoch)
	tt.now = 3 * time.Second
	high := c.Monotonic()
	tt.now = 2 * time.Second
	if got := c.Monotonic(); got < high {
		t.Fatalf("monotonic went from %v to %v", high, got)
	}
}

func TestRealMonotonicNeverDecreases(t *testing.T) {
	var c Clock = Real{}
	prev := c.Monotonic()
	for range 1000 {
		now := c.Monotonic()
		if now < prev {
			t.Fatalf("monotonic went from %v to %v", prev, now)
		}
		prev = now
	}
	if c.Now().IsZero() {
		t.Fatal("real wall clock returned the zero time")
	}
}

var _ Clock = (*Sim)(nil)
