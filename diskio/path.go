package diskio

import (
	"path"
	"strings"
)

// rootPath is the cleaned name of the FS root.
const rootPath = "."

// cleanPath turns a caller's name into the canonical relative path both
// implementations key on. Names that are absolute, escape the root, or hold a
// NUL byte are rejected rather than silently clamped: a storage engine that
// builds such a name has a bug worth surfacing.
func cleanPath(op, name string) (string, error) {
	if strings.IndexByte(name, 0) >= 0 {
		return "", opErr(op, name, ErrInvalid)
	}
	if strings.HasPrefix(name, "/") {
		return "", opErr(op, name, ErrInvalid)
	}
	p := path.Clean(name)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", opErr(op, name, ErrInvalid)
	}
	return p, nil
}

// splitPath returns the components of a cleaned path; the root has none.
func splitPath(p string) []string {
	if p == rootPath {
		return nil
	}
	return strings.Split(p, "/")
}

// parentOf returns the directory holding a cleaned path and the entry name.
func parentOf(p string) (dir, base string) {
	d, b := path.Split(p)
	if d == "" {
		return rootPath, b
	}
	return strings.TrimSuffix(d, "/"), b
}
