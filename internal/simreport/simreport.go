// Package simreport writes the artefacts a failing simulation seed leaves
// behind for a human: porcupine's HTML visualization of a rejected history.
// It does file I/O, so it sits outside the deterministic sim package and is
// shared by sim's tests and cmd/lineradb-sim.
package simreport

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteHTML writes one seed's visualization, produced by write, to
// dir/seed-N.html and returns the path. An empty dir means a new temporary
// directory named after prefix, kept so the file outlives the process.
func WriteHTML(dir, prefix string, seed uint64, write func(io.Writer) error) (string, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", prefix)
		if err != nil {
			return "", err
		}
		dir = d
	}
	path := filepath.Join(dir, fmt.Sprintf("seed-%d.html", seed))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := write(f); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

// Annotate names an artefact in a seed's failure: its path, or why it
// could not be written.
func Annotate(failed error, what, path string, err error) error {
	if err != nil {
		return fmt.Errorf("%w (%s not written: %v)", failed, what, err)
	}
	return fmt.Errorf("%w; %s: %s", failed, what, path)
}
