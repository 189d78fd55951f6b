package diskio

import (
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"pgregory.net/rapid"
)

// The conformance test runs one random sequence of non-crash operations
// against OSFS (in a temporary directory) and MemFS side by side and
// requires identical outcomes, errors included. MemFS is what the
// simulator tests the storage engines on; this is what makes those tests
// say something about production.

// errorClasses are the outcomes errors are compared by, most specific first.
var errorClasses = []struct {
	name string
	err  error
}{
	{"ErrNotExist", ErrNotExist}, {"ErrExist", ErrExist}, {"ErrIsDir", ErrIsDir},
	{"ErrNotDir", ErrNotDir}, {"ErrNotEmpty", ErrNotEmpty}, {"ErrInvalid", ErrInvalid},
	{"ErrReadOnly", ErrReadOnly}, {"ErrClosed", ErrClosed}, {"ErrIO", ErrIO},
	{"ErrNoSpace", ErrNoSpace}, {"EOF", io.EOF},
}

func classify(err error) string {
	if err == nil {
		return "ok"
	}
	for _, c := range errorClasses {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	return "unclassified(" + err.Error() + ")"
}

var (
	conformanceFiles = []string{"a", "b", "d/a", "d/b", "d/e/f", "a/x", "d", ".", "..", "/abs", "d/../b", ""}
	conformanceDirs  = []string{".", "d", "d/e", "a", "zz/y", "../up"}
)

// conformanceRun holds one FS and the files opened on it, addressed by the
// order they were opened in (the same on both sides while outcomes agree).
type conformanceRun struct {
	fs    FS
	files []File
}

// step performs the chosen operation and describes its outcome.
type step func(r *conformanceRun) string

// drawStep chooses one operation; the same step then runs on both sides.
func drawStep(c chooser, openFiles int) (string, step) {
	fileOps := []string{"write", "read", "sync", "truncate", "size", "close", "name"}
	fsOps := []string{"create", "open", "openappend", "rename", "remove", "list", "mkdirall", "syncdir", "stat"}
	ops := fsOps
	if openFiles > 0 {
		ops = append(append([]string{}, fsOps...), fileOps...)
	}
	op := pick(c, "op", ops)
	switch op {
	case "create", "open", "openappend", "remove", "stat":
		name := pick(c, "name", conformanceFiles)
		return op + " " + name, func(r *conformanceRun) string { return r.fsStep(op, name) }
	case "rename":
		from, to := pick(c, "from", conformanceFiles), pick(c, "to", conformanceFiles)
		return "rename " + from + " " + to, func(r *conformanceRun) string {
			return classify(r.fs.Rename(from, to))
		}
	case "list", "mkdirall", "syncdir":
		dir := pick(c, "dir", conformanceDirs)
		return op + " " + dir, func(r *conformanceRun) string { return r.dirStep(op, dir) }
	}
	i := c.intn(openFiles, "file")
	size := pick(c, "size", writeLengths)
	off := pick(c, "off", []int{-1, 0, 1, 300, 512, 2000})
	desc := fmt.Sprintf("%s file#%d size=%d off=%d", op, i, size, off)
	return desc, func(r *conformanceRun) string { return r.fileStep(op, r.files[i], size, off) }
}

func (r *conformanceRun) fsStep(op, name string) string {
	var f File
	var err error
	switch op {
	case "create":
		f, err = r.fs.Create(name)
	case "open":
		f, err = r.fs.Open(name)
	case "openappend":
		f, err = r.fs.OpenAppend(name)
	case "remove":
		return classify(r.fs.Remove(name))
	case "stat":
		size, err := r.fs.Stat(name)
		return fmt.Sprintf("%d %s", size, classify(err))
	}
	if err == nil {
		r.files = append(r.files, f)
	}
	return classify(err)
}

func (r *conformanceRun) dirStep(op, dir string) string {
	switch op {
	case "list":
		names, err := r.fs.List(dir)
		return fmt.Sprintf("%q %s", names, classify(err))
	case "mkdirall":
		return classify(r.fs.MkdirAll(dir))
	}
	return classify(r.fs.SyncDir(dir))
}

func (r *conformanceRun) fileStep(op string, f File, size, off int) string {
	switch op {
	case "write":
		n, err := f.Write(patternBytes(len(r.files)+size, size))
		return fmt.Sprintf("%d %s", n, classify(err))
	case "read":
		p := make([]byte, size)
		n, err := f.ReadAt(p, int64(off))
		return fmt.Sprintf("%d %x %s", n, p[:n], classify(err))
	case "sync":
		return classify(f.Sync())
	case "truncate":
		return classify(f.Truncate(int64(off)))
	case "size":
		s, err := f.Size()
		return fmt.Sprintf("%d %s", s, classify(err))
	case "close":
		return classify(f.Close())
	}
	return f.Name()
}

// runConformance drives both FSs through steps random steps and returns
// the first disagreement.
func runConformance(c chooser, a, b FS, steps int) error {
	ra, rb := &conformanceRun{fs: a}, &conformanceRun{fs: b}
	for i := 0; i < steps; i++ {
		desc, st := drawStep(c, len(ra.files))
		outA, outB := st(ra), st(rb)
		if outA != outB {
			return fmt.Errorf("step %d (%s): %s, %s", i, desc, outA, outB)
		}
	}
	return nil
}

func TestConformanceOSFSAndMemFS(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		root, err := os.MkdirTemp(t.TempDir(), "conf")
		if err != nil {
			rt.Fatalf("temp dir: %v", err)
		}
		defer os.RemoveAll(root)
		steps := rapid.IntRange(1, 60).Draw(rt, "steps")
		if err := runConformance(rapidChooser{rt}, NewOSFS(root), NewMemFS(1), steps); err != nil {
			rt.Fatalf("OSFS and MemFS disagree: %v", err)
		}
	})
}

// statOffByOne is a deliberately wrong FS: Stat reports one byte too many.
type statOffByOne struct{ *MemFS }

func (s statOffByOne) Stat(name string) (int64, error) {
	n, err := s.MemFS.Stat(name)
	return n + 1, err
}

func TestConformanceCatchesADifference(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		err := runConformance(newPRNGChooser(seed), NewMemFS(1), statOffByOne{NewMemFS(1)}, 60)
		if err != nil {
			t.Logf("seed %d caught: %v", seed, err)
			return
		}
	}
	t.Fatal("the conformance check never noticed Stat reporting one byte too many")
}
