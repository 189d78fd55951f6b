package logictest

import (
	"path/filepath"
	"testing"
)

// TestLogic runs every script in testdata/logic.
func TestLogic(t *testing.T) {
	files, err := filepath.Glob("../../testdata/logic/*.test")
	if err != nil || len(files) == 0 {
		t.Fatalf("no logic tests found: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { RunFile(t, f) })
	}
}
