package raftbench

import (
	"fmt"
	"testing"
)

// BenchmarkRaft measures one entry per op: allocs/op is allocations per
// entry applied on all three members. Setup and the election are outside
// the timer.
//
//	cd bench && go test -run '^$' -bench Raft -benchmem ./raftbench
func BenchmarkRaft(b *testing.B) {
	for _, impl := range Impls {
		for _, size := range []int{16, 256} {
			b.Run(fmt.Sprintf("impl=%s/size=%d", impl, size), func(b *testing.B) {
				h, err := New(Options{Impl: impl, EntrySizeBytes: size, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				st, err := h.Run(b.N)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(st.Entries)/b.Elapsed().Seconds(), "entries/s")
				b.ReportMetric(float64(st.Messages)/float64(st.Entries), "msgs/entry")
			})
		}
	}
}
