package diskio

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestOSFSRoundTrip(t *testing.T) {
	root := t.TempDir()
	fsys := NewOSFS(root)
	if err := fsys.MkdirAll("n1/wal"); err != nil {
		t.Fatal(err)
	}
	f := mustCreate(t, fsys, "n1/wal/0001", []byte("hello "))
	if _, err := f.Write([]byte("world")); err != nil {
		t.Fatal(err)
	}
	mustSync(t, f)
	mustSyncDir(t, fsys, "n1/wal")
	if err := f.Truncate(5); err != nil {
		t.Fatal(err)
	}
	if size, err := f.Size(); size != 5 || err != nil {
		t.Fatalf("size = %d %v", size, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// Appends go to the end even though the file was reopened.
	g, err := fsys.OpenAppend("n1/wal/0001")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Write([]byte("!")); err != nil {
		t.Fatal(err)
	}
	_ = g.Close()
	onDisk, err := os.ReadFile(filepath.Join(root, "n1", "wal", "0001"))
	if err != nil || string(onDisk) != "hello!" {
		t.Fatalf("on disk: %q %v", onDisk, err)
	}
	if err := fsys.Rename("n1/wal/0001", "n1/wal/0002"); err != nil {
		t.Fatal(err)
	}
	names, err := fsys.List("n1/wal")
	if err != nil || len(names) != 1 || names[0] != "0002" {
		t.Fatalf("list = %v %v", names, err)
	}
	if size, err := fsys.Stat("n1/wal/0002"); size != 6 || err != nil {
		t.Fatalf("stat = %d %v", size, err)
	}
	if err := fsys.Remove("n1/wal/0002"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Remove("n1/wal"); err != nil {
		t.Fatal(err)
	}
}

func TestOSFSListIsSorted(t *testing.T) {
	fsys := NewOSFS(t.TempDir())
	for _, n := range []string{"c", "a", "b10", "b2"} {
		f := mustCreate(t, fsys, n, nil)
		_ = f.Close()
	}
	names, err := fsys.List(".")
	if err != nil || strings.Join(names, ",") != "a,b10,b2,c" {
		t.Fatalf("list = %v %v", names, err)
	}
}

func TestOSFSErrors(t *testing.T) {
	fsys := NewOSFS(t.TempDir())
	_, err := fsys.Open("missing")
	wantErr(t, "open missing", err, ErrNotExist)
	_, err = fsys.Create("missing/f")
	wantErr(t, "create without parent", err, ErrNotExist)
	f := mustCreate(t, fsys, "f", []byte("abc"))
	_, err = fsys.Create("f/x")
	wantErr(t, "create under a file", err, ErrNotDir)
	if err := fsys.MkdirAll("d/e"); err != nil {
		t.Fatal(err)
	}
	_, err = fsys.Open("d")
	wantErr(t, "open a dir", err, ErrIsDir)
	_, err = fsys.Create("d")
	wantErr(t, "create a dir", err, ErrIsDir)
	_, err = fsys.Stat("d")
	wantErr(t, "stat a dir", err, ErrIsDir)
	wantErr(t, "remove non-empty", fsys.Remove("d"), ErrNotEmpty)
	wantErr(t, "remove root", fsys.Remove("."), ErrInvalid)
	wantErr(t, "rename a dir", fsys.Rename("d", "z"), ErrIsDir)
	wantErr(t, "rename onto a dir", fsys.Rename("f", "d"), ErrIsDir)
	wantErr(t, "syncdir a file", fsys.SyncDir("f"), ErrNotDir)
	wantErr(t, "mkdirall over a file", fsys.MkdirAll("f"), ErrNotDir)
	_, err = fsys.List("f")
	wantErr(t, "list a file", err, ErrNotDir)
	_, err = fsys.Open("../outside")
	wantErr(t, "escape the root", err, ErrInvalid)
	wantErr(t, "truncate beyond size", f.Truncate(10), ErrInvalid)
	_, err = f.ReadAt(make([]byte, 1), -1)
	wantErr(t, "negative offset", err, ErrInvalid)
	p := make([]byte, 5)
	if n, err := f.ReadAt(p, 1); n != 2 || err != io.EOF {
		t.Fatalf("short read = %d %v, want 2 io.EOF", n, err)
	}
	r, err := fsys.Open("f")
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Write([]byte("x"))
	wantErr(t, "write read-only", err, ErrReadOnly)
	_ = r.Close()
	wantErr(t, "double close", r.Close(), ErrClosed)
	_, err = r.ReadAt(p, 0)
	wantErr(t, "read closed", err, ErrClosed)
	wantErr(t, "sync closed", r.Sync(), ErrClosed)
}

func TestOSFSErrorsNameOpAndPathAndKeepTheErrno(t *testing.T) {
	fsys := NewOSFS(t.TempDir())
	_, err := fsys.Open("dir/missing")
	var oe *OpError
	if !errors.As(err, &oe) || oe.Op != "open" || oe.Path != "dir/missing" {
		t.Fatalf("error %v is not an *OpError naming open dir/missing", err)
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) || errno != syscall.ENOENT {
		t.Fatalf("error %v does not carry ENOENT", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v is not fs.ErrNotExist through its errno", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "open dir/missing") {
		t.Fatalf("message %q does not name the op and path", msg)
	}
}

func TestErrnoMapping(t *testing.T) {
	cases := []struct {
		errno syscall.Errno
		want  error
	}{
		{syscall.ENOENT, ErrNotExist}, {syscall.EEXIST, ErrExist}, {syscall.EIO, ErrIO},
		{syscall.ENOSPC, ErrNoSpace}, {syscall.EDQUOT, ErrNoSpace}, {syscall.EISDIR, ErrIsDir},
		{syscall.ENOTDIR, ErrNotDir}, {syscall.ENOTEMPTY, ErrNotEmpty}, {syscall.EINVAL, ErrInvalid},
		{syscall.EBADF, ErrClosed},
	}
	for _, c := range cases {
		err := osErr("write", "f", &os.PathError{Op: "write", Path: "/x/f", Err: c.errno})
		if !errors.Is(err, c.want) {
			t.Fatalf("%v maps to %v, want %v", c.errno, err, c.want)
		}
	}
	// An errno without a sentinel is kept as is, never mislabelled.
	err := osErr("write", "f", syscall.EROFS)
	for _, c := range cases {
		if errors.Is(err, c.want) {
			t.Fatalf("EROFS mapped to %v", c.want)
		}
	}
	if !errors.Is(err, syscall.EROFS) {
		t.Fatalf("EROFS lost: %v", err)
	}
}

func TestCleanPath(t *testing.T) {
	good := map[string]string{"a": "a", "a/b/": "a/b", "./a": "a", "a/../b": "b", "": ".", ".": "."}
	for in, want := range good {
		if got, err := cleanPath("t", in); got != want || err != nil {
			t.Fatalf("cleanPath(%q) = %q %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"..", "../a", "a/../../b", "/a", "a\x00b"} {
		if _, err := cleanPath("t", in); !errors.Is(err, ErrInvalid) {
			t.Fatalf("cleanPath(%q) = %v, want ErrInvalid", in, err)
		}
	}
}
