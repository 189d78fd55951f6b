package clock

import "time"

// Real is the operating system's clock. Its zero value is ready to use; the
// monotonic origin is the first time the process loaded this package.
type Real struct{}

var processStart = time.Now()

// Now returns the wall-clock time.
func (Real) Now() time.Time { return time.Now() }

// Monotonic returns the time elapsed since the process started, read from
// Go's monotonic clock (immune to wall-clock steps).
func (Real) Monotonic() time.Duration { return time.Since(processStart) }
