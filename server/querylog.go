package server

import (
	"log/slog"
	"sync"
	"time"
)

// slowQueriesMax bounds the slow-query ring /admin/slow-queries shows.
const slowQueriesMax = 100

// slowQueryTextBytesMax bounds one recorded query's text.
const slowQueryTextBytesMax = 4096

// SlowQuery is one entry of GET /admin/slow-queries.
type SlowQuery struct {
	Query      string    `json:"query"`
	DurationMs int64     `json:"duration_ms"`
	Timestamp  time.Time `json:"timestamp"`
}

// queryLog counts queries, times them, and keeps the newest slow ones.
type queryLog struct {
	m   *metrics
	log *slog.Logger

	mu        sync.Mutex
	enabled   bool
	threshold time.Duration
	ring      []SlowQuery // newest last, at most slowQueriesMax
}

func (q *queryLog) setSlow(enabled bool, threshold time.Duration) {
	q.mu.Lock()
	q.enabled, q.threshold = enabled, threshold
	q.mu.Unlock()
}

func (q *queryLog) finished(text string, d time.Duration) {
	q.m.queries.Inc()
	q.m.queryLatency.Observe(float64(d) / float64(time.Millisecond))
	q.mu.Lock()
	slow := q.enabled && d >= q.threshold
	if slow {
		if len(text) > slowQueryTextBytesMax {
			text = text[:slowQueryTextBytesMax]
		}
		if len(q.ring) == slowQueriesMax {
			q.ring = append(q.ring[:0], q.ring[1:]...)
		}
		q.ring = append(q.ring, SlowQuery{Query: text, DurationMs: d.Milliseconds(), Timestamp: time.Now().UTC()})
	}
	q.mu.Unlock()
	if slow {
		q.m.slowQueries.Inc()
		q.log.Warn("slow query", "duration_ms", d.Milliseconds(), "query", text)
	}
}

// recent returns the recorded slow queries, newest first.
func (q *queryLog) recent() []SlowQuery {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]SlowQuery, 0, len(q.ring))
	for i := len(q.ring) - 1; i >= 0; i-- {
		out = append(out, q.ring[i])
	}
	return out
}
