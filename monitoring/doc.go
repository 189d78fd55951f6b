// Package monitoring holds the operators' monitoring assets for
// lineradb-server; it has no Go code of its own, only tests that keep the
// assets honest:
//
//   - grafana/lineradb-overview.json: the runbook's four dashboards (Cluster
//     Overview, Storage, Query Performance, Raft Internals) as rows of one
//     Grafana dashboard, with a data source and a node selector.
//   - prometheus/alerts.yml: the runbook's three alerts verbatim, plus
//     no-leader, split-brain, election, apply-lag, connection, abort-rate
//     and disk-space alerts; prometheus/alerts_test.yml shows each one
//     firing and staying silent (promtool test rules).
//   - prometheus/prometheus.yml: scrape configuration for the runbook's
//     three-node layout (job "lineradb").
//
// The contract with the server is the metric list ExportedMetrics
// (metrics.go): every dashboard and alert expression may use only those
// names, and lineradb-server must export all of them. The tests here check
// the first half; the server's tests should check the second against this
// same list.
package monitoring
