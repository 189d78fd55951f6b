package clock

import "time"

// Clock reads wall and monotonic time. Implementations must be cheap to call;
// they are read on hot paths.
type Clock interface {
	// Now returns the wall-clock time. It may jump backwards.
	Now() time.Time
	// Monotonic returns the time elapsed since the clock's origin. It never
	// decreases between calls.
	Monotonic() time.Duration
}
