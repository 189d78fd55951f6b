// Command loadtest holds many concurrent client connections against a
// LineraDB cluster doing light work — point reads and small updates by
// primary key — and reports throughput, latency percentiles, errors and
// each node's peak resident memory.
//
//	go run ./loadtest                         # builds the server, 3 nodes, 1,000 connections, 60 s
//	go run ./loadtest -duration=10s -conns=200
//	go run ./loadtest -connect=postgres://admin@127.0.0.1:5432/lineradb,...  # an existing cluster (no RSS)
//
// Serialization failures (SQLSTATE 40001) are retried (up to -retries
// times) and counted; any other error counts as an error, by SQLSTATE.
// Latency is measured per operation including its retries.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

type options struct {
	nodes, conns, rows, retries     int
	duration, think, connectTimeout time.Duration
	writePercent                    int
	connect, bin                    string
	seed                            uint64
}

func main() {
	var o options
	flag.IntVar(&o.nodes, "nodes", 3, "cluster size when starting one")
	flag.IntVar(&o.conns, "conns", 1000, "concurrent client connections, spread over the nodes")
	flag.IntVar(&o.rows, "rows", 10000, "rows in the table the clients work on")
	flag.IntVar(&o.retries, "retries", 20, "retries of an operation that fails with 40001")
	flag.IntVar(&o.writePercent, "write-percent", 20, "share of operations that are updates")
	flag.DurationVar(&o.duration, "duration", time.Minute, "how long the load runs")
	flag.DurationVar(&o.think, "think", 20*time.Millisecond, "pause between a connection's operations (light work)")
	flag.DurationVar(&o.connectTimeout, "connect-timeout", 60*time.Second, "time allowed to open all connections")
	flag.StringVar(&o.connect, "connect", "", "comma-separated DSNs of an existing cluster (default: start one)")
	flag.StringVar(&o.bin, "bin", "", "lineradb-server binary (default: go build ../cmd/lineradb-server)")
	flag.Uint64Var(&o.seed, "seed", uint64(time.Now().UnixNano()), "seed of the clients' key choices")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	fmt.Printf("loadtest: seed=%d conns=%d duration=%v think=%v write-percent=%d rows=%d\n",
		o.seed, o.conns, o.duration, o.think, o.writePercent, o.rows)
	var c *cluster
	dsns := splitNonEmpty(o.connect)
	if len(dsns) == 0 {
		var err error
		if c, err = startCluster(o.nodes, o.bin); err != nil {
			return err
		}
		defer c.stop()
		dsns = c.dsns()
	}
	if err := setup(dsns[0], o.rows); err != nil {
		return err
	}
	res, err := load(o, dsns, c)
	if err != nil {
		return err
	}
	res.print(o, c)
	return nil
}

func splitNonEmpty(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// setupChunkRows bounds one loading transaction.
const setupChunkRows = 20_000

func setup(dsn string, rows int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := connectRetry(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	stmts := []string{"DROP TABLE IF EXISTS loadtest", "CREATE TABLE loadtest (k int PRIMARY KEY, v bigint NOT NULL, pad text)"}
	for first := 1; first <= rows; first += setupChunkRows {
		last := min(first+setupChunkRows-1, rows)
		stmts = append(stmts, fmt.Sprintf("INSERT INTO loadtest SELECT g, 0, repeat('x', 32) FROM generate_series(%d, %d) g", first, last))
	}
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("setup: %s: %w", s, err)
		}
	}
	return nil
}

func connectRetry(ctx context.Context, dsn string) (*pgx.Conn, error) {
	for {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			return conn, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connect %s: %w", dsn, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// result gathers what the workers saw.
type result struct {
	mu        sync.Mutex
	latencies []time.Duration
	reads     atomic.Int64
	writes    atomic.Int64
	retried   atomic.Int64 // operations that needed a retry
	retries   atomic.Int64 // total retries
	errs      map[string]int
	elapsed   time.Duration
	connected int
	rssPeakKB map[uint64]int64
}

func (r *result) addError(err error) {
	code := "other: " + err.Error()
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		code = pe.Code + " " + pe.Message
	}
	if len(code) > 120 {
		code = code[:120]
	}
	r.mu.Lock()
	r.errs[code]++
	r.mu.Unlock()
}

func load(o options, dsns []string, c *cluster) (*result, error) {
	res := &result{errs: map[string]int{}}
	conns, err := openAll(o, dsns)
	if err != nil {
		return nil, err
	}
	res.connected = len(conns)
	fmt.Printf("loadtest: %d connections open\n", len(conns))
	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()
	stopSampler := make(chan struct{})
	var samplerDone sync.WaitGroup
	if c != nil {
		samplerDone.Add(1)
		go func() { defer samplerDone.Done(); res.rssPeakKB = c.sampleRSS(stopSampler) }()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.merge(worker(ctx, o, conn, rand.New(rand.NewPCG(o.seed, uint64(i))), res))
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	close(stopSampler)
	samplerDone.Wait()
	for _, conn := range conns {
		conn.Close(context.Background())
	}
	return res, nil
}

// openAll opens o.conns connections round-robin over the nodes, a few at
// a time so the servers' accept loops are not flooded.
func openAll(o options, dsns []string) ([]*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), o.connectTimeout)
	defer cancel()
	conns := make([]*pgx.Conn, o.conns)
	sem := make(chan struct{}, 32)
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			conn, err := connectRetry(ctx, dsns[i%len(dsns)])
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			conns[i] = conn
		}()
	}
	wg.Wait()
	if firstErr != nil {
		for _, c := range conns {
			if c != nil {
				c.Close(context.Background())
			}
		}
		return nil, fmt.Errorf("opening %d connections: %w", o.conns, firstErr)
	}
	return conns, nil
}

func (r *result) merge(lat []time.Duration) {
	r.mu.Lock()
	r.latencies = append(r.latencies, lat...)
	r.mu.Unlock()
}

func worker(ctx context.Context, o options, conn *pgx.Conn, rng *rand.Rand, res *result) []time.Duration {
	var lat []time.Duration
	for ctx.Err() == nil {
		k := 1 + rng.IntN(o.rows)
		write := rng.IntN(100) < o.writePercent
		t0 := time.Now()
		err := op(ctx, o, conn, k, write, res)
		if ctx.Err() != nil {
			break // the run ended mid-operation: neither a result nor an error
		}
		if err != nil {
			res.addError(err)
		} else {
			lat = append(lat, time.Since(t0))
			if write {
				res.writes.Add(1)
			} else {
				res.reads.Add(1)
			}
		}
		if o.think > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(o.think):
			}
		}
	}
	return lat
}

// op runs one read or update, retrying serialization failures.
func op(ctx context.Context, o options, conn *pgx.Conn, k int, write bool, res *result) error {
	for attempt := 0; ; attempt++ {
		var err error
		if write {
			_, err = conn.Exec(ctx, "UPDATE loadtest SET v = v + 1 WHERE k = $1", k)
		} else {
			var v int64
			err = conn.QueryRow(ctx, "SELECT v FROM loadtest WHERE k = $1", k).Scan(&v)
		}
		var pe *pgconn.PgError
		if err == nil || !errors.As(err, &pe) || pe.Code != "40001" || attempt >= o.retries {
			return err
		}
		if attempt == 0 {
			res.retried.Add(1)
		}
		res.retries.Add(1)
	}
}

func (r *result) print(o options, c *cluster) {
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	pct := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
	}
	ops := r.reads.Load() + r.writes.Load()
	nerr := 0
	for _, n := range r.errs {
		nerr += n
	}
	fmt.Printf("loadtest: %d connections, %v: %d ops (%d reads, %d updates) = %.0f ops/s; latency p50 %v p99 %v p99.9 %v max %v\n",
		r.connected, r.elapsed.Round(time.Millisecond), ops, r.reads.Load(), r.writes.Load(), float64(ops)/r.elapsed.Seconds(),
		pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(0.999).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
	fmt.Printf("loadtest: 40001 retried: %d operations (%d retries); errors: %d\n", r.retried.Load(), r.retries.Load(), nerr)
	codes := make([]string, 0, len(r.errs))
	for code := range r.errs {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		fmt.Printf("loadtest:   error %s: %d\n", code, r.errs[code])
	}
	if c != nil {
		for _, n := range c.nodes {
			fmt.Printf("loadtest: node %d peak RSS during the load %d MiB, VmHWM since start %d MiB\n",
				n.id, r.rssPeakKB[n.id]/1024, n.statusKB("VmHWM")/1024)
		}
	}
}
