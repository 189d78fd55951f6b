// Package bad breaks every rule of the determinism contract; the lint must
// report each line marked with a want comment, and nothing else.
package bad

import (
	crand "crypto/rand" // want "import of \"crypto/rand\""
	"maps"
	"math/rand"
	randv2 "math/rand/v2"
	"os" // want "import of \"os\""
	"sync"
	clk "time"
)

type waiter struct {
	wg sync.WaitGroup // want "sync.WaitGroup"
}

func wallClock() clk.Duration {
	start := clk.Now()         // want "time.Now"
	clk.Sleep(clk.Millisecond) // want "time.Sleep"
	<-clk.After(clk.Second)    // want "channel receive" "time.After"
	return clk.Since(start)    // want "time.Since"
}

func globalRandom() int {
	b := make([]byte, 4)
	_, _ = crand.Read(b)                  // the import is what is reported
	return rand.Intn(10) + randv2.IntN(3) // want "rand.Intn" "rand.IntN"
}

func goroutines(m map[string]int) int {
	ch := make(chan int) // want "channel type"
	go func() {          // want "go statement"
		ch <- 1 // want "channel send"
	}()
	select { // want "select statement"
	case v := <-ch: // want "channel receive"
		return v
	}
}

func mapOrder(m map[string]int) []string {
	var out []string
	for k := range m { // want "range over a map"
		out = append(out, k)
	}
	for k := range maps.Keys(m) { // want "maps.Keys"
		out = append(out, k)
	}
	_ = os.Getpid()
	return out
}
