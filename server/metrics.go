package server

import (
	"errors"
	"sort"
	"strconv"
	"time"

	"github.com/lineradb/lineradb/node"
	"github.com/lineradb/lineradb/node/kv"
	"github.com/lineradb/lineradb/raft"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics is the server's Prometheus registry. Counters and summaries that
// the server itself observes (queries, commits) are ordinary client_golang
// metrics; everything read from the node is produced at scrape time by
// nodeCollector, so a scrape always shows one consistent Status/Metrics pair.
type metrics struct {
	reg *prometheus.Registry

	queries       prometheus.Counter
	slowQueries   prometheus.Counter
	queryLatency  prometheus.Summary
	commitLatency prometheus.Summary
	txnCommitted  prometheus.Counter
	txnAborted    prometheus.Counter
}

// latencyObjectives are the runbook's p50 and p99 (with their allowed
// rank errors).
var latencyObjectives = map[float64]float64{0.5: 0.05, 0.99: 0.001}

// nodeSnapshot is what one scrape reads from the node and the server.
type nodeSnapshot struct {
	Status            node.Status
	Metrics           node.Metrics
	Connections       int
	LagMs             map[uint64]float64
	ReadOnly          bool
	CompactionSeconds float64
	OK                bool // false when the node could not be asked
}

func newMetrics(snapshot func() nodeSnapshot) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.queries = prometheus.NewCounter(prometheus.CounterOpts{Name: "lineradb_sql_queries_total", Help: "SQL query strings executed."})
	m.slowQueries = prometheus.NewCounter(prometheus.CounterOpts{Name: "lineradb_sql_slow_queries_total", Help: "SQL query strings slower than observability.logging.slow_query_threshold."})
	m.queryLatency = prometheus.NewSummary(prometheus.SummaryOpts{Name: "lineradb_sql_query_latency_ms", Help: "SQL query latency in milliseconds.", Objectives: latencyObjectives, MaxAge: time.Minute})
	m.commitLatency = prometheus.NewSummary(prometheus.SummaryOpts{Name: "lineradb_raft_commit_latency_ms", Help: "Latency of writing commits through Raft (proposal to local apply), milliseconds.", Objectives: latencyObjectives, MaxAge: time.Minute})
	m.txnCommitted = prometheus.NewCounter(prometheus.CounterOpts{Name: "lineradb_txn_committed_total", Help: "Transactions committed through this node."})
	m.txnAborted = prometheus.NewCounter(prometheus.CounterOpts{Name: "lineradb_txn_aborted_total", Help: "Transactions aborted at commit (serialization failure, too old, read-only node)."})
	m.reg.MustRegister(m.queries, m.slowQueries, m.queryLatency, m.commitLatency, m.txnCommitted, m.txnAborted)
	m.reg.MustRegister(newNodeCollector(snapshot))
	// The standard series for the process's resident memory and the Go
	// heap, next to the memory budget (memory.go).
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observeCommit records one commit's outcome. Ambiguous outcomes count as
// neither committed nor aborted: nobody knows which they were.
func (m *metrics) observeCommit(wrote bool, d time.Duration, err error) {
	switch {
	case err == nil:
		m.txnCommitted.Inc()
		if wrote {
			m.commitLatency.Observe(float64(d) / float64(time.Millisecond))
		}
	case errors.Is(err, kv.ErrSerialization), errors.Is(err, kv.ErrTooOld):
		m.txnAborted.Inc()
	}
}

type gaugeDef struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(s *nodeSnapshot) float64
}

// nodeCollector produces the node-derived series at scrape time.
type nodeCollector struct {
	snapshot func() nodeSnapshot
	gauges   []gaugeDef
	lag      *prometheus.Desc
}

func newNodeCollector(snapshot func() nodeSnapshot) *nodeCollector {
	c := &nodeCollector{snapshot: snapshot}
	c.lag = prometheus.NewDesc("lineradb_raft_peer_replication_lag_ms",
		"How long each follower has been behind the leader's last index, in milliseconds (exported by the leader; 0 when caught up).", []string{"peer"}, nil)
	add := func(name, help string, kind prometheus.ValueType, f func(s *nodeSnapshot) float64) {
		c.gauges = append(c.gauges, gaugeDef{prometheus.NewDesc(name, help, nil, nil), kind, f})
	}
	g, ctr := prometheus.GaugeValue, prometheus.CounterValue
	add("lineradb_raft_leader_elections_total", "Elections this node won.", ctr, func(s *nodeSnapshot) float64 { return float64(s.Metrics.Raft.ElectionsWon) })
	add("lineradb_raft_replication_lag_ms", "The largest follower lag seen by this node as leader, in milliseconds (0 on followers and when caught up).", g, maxLag)
	add("lineradb_raft_elections_started_total", "Elections this node started.", ctr, func(s *nodeSnapshot) float64 { return float64(s.Metrics.Raft.ElectionsStarted) })
	add("lineradb_raft_heartbeats_total", "Heartbeats this node sent as leader.", ctr, func(s *nodeSnapshot) float64 { return float64(s.Metrics.Raft.MessagesSent[raft.MsgHeartbeat]) })
	add("lineradb_raft_term", "Current Raft term.", g, func(s *nodeSnapshot) float64 { return float64(s.Status.Term) })
	add("lineradb_raft_is_leader", "Whether this node is the Raft leader (1) or not (0).", g, func(s *nodeSnapshot) float64 { return b2f(s.Status.Role == raft.RoleLeader) })
	add("lineradb_raft_commit_index", "Raft commit index.", g, func(s *nodeSnapshot) float64 { return float64(s.Status.Commit) })
	add("lineradb_raft_applied_index", "Raft applied index.", g, func(s *nodeSnapshot) float64 { return float64(s.Status.Applied) })
	add("lineradb_raft_log_size_bytes", "Size of the Raft log (the WAL) on disk.", g, func(s *nodeSnapshot) float64 { return float64(s.Metrics.RaftLogBytes) })
	add("lineradb_raft_snapshots_taken_total", "Snapshots this node took.", ctr, func(s *nodeSnapshot) float64 { return float64(s.Metrics.SnapshotsTaken) })
	add("lineradb_raft_snapshots_installed_total", "Snapshots this node installed from a leader.", ctr, func(s *nodeSnapshot) float64 { return float64(s.Metrics.SnapshotsInstalled) })
	add("lineradb_storage_disk_usage_bytes", "Bytes of installed SSTables plus live LSM WALs.", g, func(s *nodeSnapshot) float64 { return float64(s.Metrics.LSM.DiskUsageBytes) })
	add("lineradb_storage_sstable_count", "Installed SSTables.", g, func(s *nodeSnapshot) float64 { return float64(s.Metrics.LSM.SSTableCount()) })
	add("lineradb_storage_compaction_duration_seconds", "Cumulative wall time of completed compactions (paced steps × tick interval).", g, func(s *nodeSnapshot) float64 { return s.CompactionSeconds })
	add("lineradb_storage_compactions_total", "Completed compactions.", ctr, func(s *nodeSnapshot) float64 { return float64(s.Metrics.LSM.CompactionCount) })
	add("lineradb_storage_read_only", "Whether the node refuses writes because disk space is critical (1) or not (0).", g, func(s *nodeSnapshot) float64 { return b2f(s.ReadOnly) })
	add("lineradb_sql_connections", "Open PostgreSQL client connections.", g, func(s *nodeSnapshot) float64 { return float64(s.Connections) })
	add("lineradb_node_stopped", "Whether the replica stopped on a fault (1; see /status) or runs (0).", g, func(s *nodeSnapshot) float64 { return b2f(s.Status.Stopped != nil || !s.OK) })
	return c
}

func maxLag(s *nodeSnapshot) float64 {
	var m float64
	for _, v := range s.LagMs {
		m = max(m, v)
	}
	return m
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c *nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, gd := range c.gauges {
		ch <- gd.desc
	}
	ch <- c.lag
}

func (c *nodeCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.snapshot()
	for _, gd := range c.gauges {
		ch <- prometheus.MustNewConstMetric(gd.desc, gd.kind, gd.value(&s))
	}
	ids := make([]uint64, 0, len(s.LagMs))
	for id := range s.LagMs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, s.LagMs[id], strconv.FormatUint(id, 10))
	}
}
