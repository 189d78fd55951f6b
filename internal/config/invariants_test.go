//go:build invariants

package config

import "testing"

// TestCheckLoadedCatches proves the invariant check fires on a Config that
// Load could never have returned.
func TestCheckLoadedCatches(t *testing.T) {
	broken := Default()
	broken.Raft.HeartbeatIntervalMs = broken.Raft.ElectionTimeoutMs
	defer func() {
		if recover() == nil {
			t.Error("checkLoaded accepted heartbeat == election timeout")
		}
	}()
	checkLoaded(broken)
}

func TestCheckLoadedCatchesUnparsableValue(t *testing.T) {
	broken := Default()
	broken.Server.LogLevel = "loud"
	defer func() {
		if recover() == nil {
			t.Error("checkLoaded accepted a log level that does not parse")
		}
	}()
	checkLoaded(broken)
}
