package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"
)

// The file layer walks yaml.v3's node tree against the key table instead of
// decoding into structs, so that every error can name the full dotted key and
// its line: an unknown key at any depth, a duplicate key, a list where one
// value belongs, or a bad value.

// lineError is a value error that knows a more precise line than its key's.
type lineError struct {
	line int
	err  error
}

func (e lineError) Error() string { return e.err.Error() }

func (l *loader) loadFileAt(path, source string, readFile func(string) ([]byte, error)) {
	l.cfg.ConfigFile = path
	data, err := readFile(path)
	if err != nil {
		l.fail(&Error{Key: "config file " + path, Source: source, Reason: "cannot be read: " + err.Error(), Err: err})
		return
	}
	l.loadFile(path, data)
}

// loadFile applies the YAML document in data; file names the source in
// errors.
func (l *loader) loadFile(file string, data []byte) {
	if len(data) > configFileBytesMax {
		l.fail(&Error{Key: "config file", Source: file,
			Reason: fmt.Sprintf("is %d bytes; at most %d are allowed", len(data), configFileBytesMax)})
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return // an empty file: defaults
		}
		l.fail(&Error{Key: "config file", Source: file, Reason: "is not valid YAML: " + err.Error(), Err: err})
		return
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		l.fail(&Error{Key: "config file", Source: file, Reason: "must hold one YAML document, not several"})
		return
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = resolve(root.Content[0])
	}
	if isNull(root) {
		return
	}
	if root.Kind != yaml.MappingNode {
		l.fail(&Error{Key: "config file", Source: at(file, root.Line),
			Reason: "must be a mapping of sections (server:, raft:, ...)"})
		return
	}
	l.walk(file, root, "")
}

// walk applies one mapping whose keys sit under prefix.
func (l *loader) walk(file string, m *yaml.Node, prefix string) {
	firstLine := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, vn := m.Content[i], resolve(m.Content[i+1])
		src := at(file, kn.Line)
		if kn.Kind != yaml.ScalarNode || kn.ShortTag() == "!!merge" {
			l.fail(&Error{Key: join(prefix, "<key>"), Source: src,
				Reason: "keys must be plain names (merge keys and complex keys are not supported)"})
			continue
		}
		path := join(prefix, kn.Value)
		if line, dup := firstLine[kn.Value]; dup {
			l.fail(&Error{Key: path, Source: src, Reason: fmt.Sprintf("is set twice (first at line %d)", line)})
			continue
		}
		firstLine[kn.Value] = kn.Line
		switch k := keyByPath(path); {
		case k != nil:
			l.fileValue(k, file, vn)
		case isSection(path):
			l.fileSection(file, path, vn)
		default:
			l.fail(&Error{Key: path, Source: src, Reason: "unknown key" + suggest(path)})
		}
	}
}

func (l *loader) fileSection(file, path string, vn *yaml.Node) {
	if isNull(vn) {
		return // "section:" with nothing under it
	}
	if vn.Kind != yaml.MappingNode {
		l.fail(&Error{Key: path, Source: at(file, vn.Line), Reason: "is a section: it must hold keys, not a value"})
		return
	}
	l.walk(file, vn, path)
}

// fileValue applies a key's node according to the key's kind.
func (l *loader) fileValue(k *key, file string, vn *yaml.Node) {
	src := at(file, vn.Line)
	switch {
	case k.kind == kindRegions:
		if err := k.setNode(l.cfg, vn); err != nil {
			var le lineError
			if errors.As(err, &le) {
				src = at(file, le.line)
			}
			l.fail(&Error{Key: k.path, Source: src, Reason: err.Error()})
			return
		}
		l.record(k, src)
	case k.kind == kindList:
		items, err := sequenceItems(vn)
		if err != nil {
			var le lineError
			if errors.As(err, &le) {
				src = at(file, le.line)
			}
			l.fail(&Error{Key: k.path, Source: src, Reason: err.Error()})
			return
		}
		l.setItems(k, src, items)
	case vn.Kind != yaml.ScalarNode:
		l.fail(&Error{Key: k.path, Source: src, Reason: "must be a single value, not a list or mapping"})
	case isNull(vn):
		l.fail(&Error{Key: k.path, Source: src, Reason: "has no value (remove the line to keep the default)"})
	default:
		l.setText(k, src, vn.Value)
	}
}

// sequenceItems reads a list key: a sequence of scalars, a comma-separated
// scalar, or null (the empty list).
func sequenceItems(vn *yaml.Node) ([]string, error) {
	switch {
	case isNull(vn):
		return nil, nil
	case vn.Kind == yaml.ScalarNode:
		return splitList(vn.Value), nil
	case vn.Kind != yaml.SequenceNode:
		return nil, errors.New("must be a list")
	}
	items := make([]string, 0, len(vn.Content))
	for i, item := range vn.Content {
		item = resolve(item)
		if item.Kind != yaml.ScalarNode || isNull(item) {
			return nil, lineError{item.Line, fmt.Errorf("entry %d must be a single value", i+1)}
		}
		items = append(items, strings.TrimSpace(item.Value))
	}
	return items, nil
}

// resolve follows an alias (*name) to its anchored node.
func resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func at(file string, line int) string { return fmt.Sprintf("%s:%d", file, line) }

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// suggest names the key the operator probably meant: one in another section
// with the same name (a key in the wrong section), or the nearest path by
// edit distance.
func suggest(path string) string {
	name := path[strings.LastIndex(path, ".")+1:]
	for i := range keys {
		p := keys[i].path
		if p[strings.LastIndex(p, ".")+1:] == name {
			return fmt.Sprintf(" (did you mean %s?)", p)
		}
	}
	best, bestDist := "", 4 // suggest only within 3 edits
	for _, p := range allPaths() {
		if d := editDistance(path, p); d < bestDist {
			best, bestDist = p, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// allPaths lists every key and section path, in table order.
func allPaths() []string {
	var out []string
	seen := map[string]bool{}
	for i := range keys {
		parts := strings.Split(keys[i].path, ".")
		for j := 1; j <= len(parts); j++ {
			if p := strings.Join(parts[:j], "."); !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}
