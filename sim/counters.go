package sim

import (
	"maps"
	"slices"
)

// Counter is one named count, e.g. how often a fault fired. Campaigns
// aggregate them into coverage probes: a fault kind that never fired across
// a campaign was never tested.
type Counter struct {
	Name  string
	Count uint64
}

// counterSet counts named occurrences. Its map is only ever read through
// sorted, so map order never reaches output.
type counterSet map[string]uint64

func (c counterSet) inc(name string) { c[name]++ }

// sorted returns the counters ordered by name.
func (c counterSet) sorted() []Counter {
	out := make([]Counter, 0, len(c))
	for _, name := range slices.Sorted(maps.Keys(c)) {
		out = append(out, Counter{Name: name, Count: c[name]})
	}
	return out
}

// MergeCounters adds b into a, keeping the result sorted by name.
func MergeCounters(a, b []Counter) []Counter {
	set := counterSet{}
	for _, c := range a {
		set[c.Name] += c.Count
	}
	for _, c := range b {
		set[c.Name] += c.Count
	}
	return set.sorted()
}
