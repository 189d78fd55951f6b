package simreport

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteHTMLWritesTheSeedsFile(t *testing.T) {
	dir := t.TempDir()
	path, err := WriteHTML(dir, "x-", 7, func(w io.Writer) error {
		_, err := io.WriteString(w, "<html>7</html>")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "seed-7.html") {
		t.Fatalf("path = %s", path)
	}
	if b, _ := os.ReadFile(path); string(b) != "<html>7</html>" {
		t.Fatalf("content = %q", b)
	}
}

func TestWriteHTMLReportsTheWritersError(t *testing.T) {
	boom := errors.New("boom")
	if _, err := WriteHTML(t.TempDir(), "x-", 1, func(io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the writer's error", err)
	}
}
