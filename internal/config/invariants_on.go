//go:build invariants

package config

import "fmt"

// checkLoaded asserts what Load promises about a Config it returns: it passes
// validation again (validate depends only on the Config), and every key's
// printed value parses back to itself (Settings output can be fed back in).
func checkLoaded(c *Config) {
	cp := *c
	cp.Warnings = nil
	l := &loader{cfg: &cp}
	l.validate()
	if err := l.err(); err != nil {
		panic(fmt.Sprintf("config: Load returned a config that fails validation: %v", err))
	}
	for i := range keys {
		k := &keys[i]
		if k.kind == kindRegions {
			continue
		}
		v := k.get(c)
		var err error
		if k.kind == kindList {
			err = k.setList(&cp, splitList(v))
		} else {
			err = k.set(&cp, v)
		}
		if err != nil || k.get(&cp) != v {
			panic(fmt.Sprintf("config: %s value %q does not round-trip (%v)", k.path, k.display(c), err))
		}
	}
}
