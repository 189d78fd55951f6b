package checker

import (
	"math/rand/v2"
	"testing"
)

// Benchmarks over generated histories; figures are for docs, never for
// pass/fail. go test ./checker -run '^$' -bench .

func benchHistory(b *testing.B, gen func(*rand.Rand) []genOp) History {
	b.Helper()
	return record(b, gen(rand.New(rand.NewPCG(1, 2))))
}

func BenchmarkListAppend2000Strict(b *testing.B) {
	h := benchHistory(b, func(rng *rand.Rand) []genOp { return genListAppend(rng, 2000, 10, 10) })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := CheckListAppend(h, strict)
		if err != nil || !res.Valid {
			b.Fatalf("err=%v valid=%v", err, res.Valid)
		}
	}
}

func BenchmarkRegister500(b *testing.B) {
	h := benchHistory(b, func(rng *rand.Rand) []genOp { return genRegister(rng, 500, 10) })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res, err := Linearizable(h); err != nil || !res.OK {
			b.Fatalf("err=%v ok=%v", err, res.OK)
		}
	}
}
