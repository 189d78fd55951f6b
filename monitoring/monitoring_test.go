package monitoring

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const (
	dashboardFile = "grafana/lineradb-overview.json"
	alertsFile    = "prometheus/alerts.yml"
	alertsTests   = "prometheus/alerts_test.yml"
	promFile      = "prometheus/prometheus.yml"
)

// The runbook's four dashboards, in order, and what each must show.
var wantRows = []struct {
	title   string
	metrics []string // each must appear in some expression of the row
}{
	{"Cluster Overview", []string{"up", "lineradb_raft_is_leader", "lineradb_raft_replication_lag_ms"}},
	{"Storage", []string{"lineradb_storage_disk_usage_bytes", "lineradb_storage_compaction_duration_seconds", "lineradb_storage_sstable_count"}},
	{"Query Performance", []string{"lineradb_sql_query_latency_ms", "lineradb_sql_queries_total", "lineradb_sql_slow_queries_total"}},
	{"Raft Internals", []string{"lineradb_raft_leader_elections_total", "lineradb_raft_heartbeats_total", "lineradb_raft_log_size_bytes"}},
}

// wantExprFragments are the runbook's own queries, which must appear as
// written (modulo the dashboard's label selector).
var wantExprFragments = []string{
	`quantile="0.5"`,
	`quantile="0.99"`,
	`rate(lineradb_sql_queries_total{job="lineradb", instance=~"$instance"}[1m])`,
	`up{job="lineradb"`,
}

func loadDashboard(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s is not valid JSON: %v", dashboardFile, err)
	}
	return d
}

func TestDashboard(t *testing.T) {
	d := loadDashboard(t)
	if problems := checkDashboard(d); len(problems) > 0 {
		t.Fatalf("%s:\n%s", dashboardFile, strings.Join(problems, "\n"))
	}
	var all string
	for _, p := range panelsOf(d) {
		all += strings.Join(exprsOf(p), "\n") + "\n"
	}
	for _, f := range wantExprFragments {
		if !strings.Contains(all, f) {
			t.Errorf("no expression contains the runbook's %s", f)
		}
	}
}

// TestDashboardCheckerRejects proves checkDashboard can fail: each broken
// copy of the real dashboard must be reported.
func TestDashboardCheckerRejects(t *testing.T) {
	breakages := []struct {
		name string
		mut  func(d map[string]any)
		want string
	}{
		{"unknown metric", func(d map[string]any) {
			setExpr(d, 1, `rate(thunderdb_queries_total[1m])`)
		}, "thunderdb_queries_total"},
		{"histogram suffix of a listed metric", func(d map[string]any) {
			setExpr(d, 1, `histogram_quantile(0.99, rate(lineradb_sql_query_latency_ms_bucket[5m]))`)
		}, "lineradb_sql_query_latency_ms_bucket"},
		{"missing row", func(d map[string]any) {
			ps := d["panels"].([]any)
			d["panels"] = ps[1:]
		}, `row "Cluster Overview"`},
		{"row renamed", func(d map[string]any) {
			firstRow(d, "Storage")["title"] = "Disks"
		}, `row "Storage"`},
		{"panel without targets", func(d map[string]any) {
			d["panels"].([]any)[1].(map[string]any)["targets"] = []any{}
		}, "no queries"},
		{"duplicate id", func(d map[string]any) {
			ps := d["panels"].([]any)
			ps[2].(map[string]any)["id"] = ps[1].(map[string]any)["id"]
		}, "duplicate panel id"},
		{"old schema", func(d map[string]any) { d["schemaVersion"] = 16.0 }, "schemaVersion"},
		{"variable on unknown metric", func(d map[string]any) {
			v := d["templating"].(map[string]any)["list"].([]any)[1].(map[string]any)
			v["definition"] = `label_values(thunderdb_up, instance)`
		}, "thunderdb_up"},
	}
	for _, b := range breakages {
		t.Run(b.name, func(t *testing.T) {
			d := loadDashboard(t)
			b.mut(d)
			problems := strings.Join(checkDashboard(d), "\n")
			if !strings.Contains(problems, b.want) {
				t.Errorf("broken dashboard not caught: want a problem mentioning %q, got:\n%s", b.want, problems)
			}
		})
	}
}

func setExpr(d map[string]any, panel int, expr string) {
	p := d["panels"].([]any)[panel].(map[string]any)
	p["targets"].([]any)[0].(map[string]any)["expr"] = expr
}

func firstRow(d map[string]any, title string) map[string]any {
	for _, p := range d["panels"].([]any) {
		if pm := p.(map[string]any); pm["type"] == "row" && pm["title"] == title {
			return pm
		}
	}
	return nil
}

// checkDashboard lists what is wrong with a dashboard; nil when nothing is.
func checkDashboard(d map[string]any) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if v, _ := d["schemaVersion"].(float64); v < 36 {
		add("schemaVersion %v is older than 36 (Grafana 9+)", d["schemaVersion"])
	}
	if d["title"] == nil || d["uid"] == nil {
		add("dashboard needs a title and a uid")
	}
	rows := map[string][]string{} // row title -> expressions under it
	var order []string
	ids := map[float64]bool{}
	row := ""
	for _, p := range panelsOf(d) {
		id, _ := p["id"].(float64)
		if ids[id] {
			add("duplicate panel id %v", id)
		}
		ids[id] = true
		if p["type"] == "row" {
			row, _ = p["title"].(string)
			order = append(order, row)
			continue
		}
		exprs := exprsOf(p)
		if len(exprs) == 0 {
			add("panel %q has no queries", p["title"])
		}
		if p["gridPos"] == nil {
			add("panel %q has no gridPos", p["title"])
		}
		rows[row] = append(rows[row], exprs...)
	}
	for _, q := range variableQueries(d) {
		problems = append(problems, checkExpr("template variable", q, nil)...)
	}
	for _, w := range wantRows {
		exprs, ok := rows[w.title]
		if !ok {
			add("row %q is missing", w.title)
			continue
		}
		for _, e := range exprs {
			problems = append(problems, checkExpr(w.title, e, nil)...)
		}
		used := map[string]bool{}
		for _, e := range exprs {
			for _, m := range metricNames(e) {
				used[m] = true
			}
		}
		for _, m := range w.metrics {
			if !used[m] {
				add("row %q does not show %s", w.title, m)
			}
		}
	}
	if len(order) != len(wantRows) {
		add("rows = %q, want the runbook's four", order)
	}
	return problems
}

// checkExpr reports metric names in expr outside ExportedMetrics and extra.
func checkExpr(where, expr string, extra []string) []string {
	var problems []string
	for _, m := range metricNames(expr) {
		if !slices.Contains(ExportedMetrics, m) && !slices.Contains(extra, m) {
			problems = append(problems, fmt.Sprintf("%s: %q uses %s, which lineradb-server does not export", where, expr, m))
		}
	}
	return problems
}

// panelsOf flattens top-level panels and those inside collapsed rows, in
// order.
func panelsOf(d map[string]any) []map[string]any {
	var out []map[string]any
	ps, _ := d["panels"].([]any)
	for _, p := range ps {
		pm, ok := p.(map[string]any)
		if !ok {
			continue
		}
		out = append(out, pm)
		inner, _ := pm["panels"].([]any)
		for _, q := range inner {
			if qm, ok := q.(map[string]any); ok {
				out = append(out, qm)
			}
		}
	}
	return out
}

func exprsOf(p map[string]any) []string {
	var out []string
	ts, _ := p["targets"].([]any)
	for _, t := range ts {
		if tm, ok := t.(map[string]any); ok {
			if e, _ := tm["expr"].(string); e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

// variableQueries returns the PromQL inside template variables'
// label_values(<expr>, label) queries.
func variableQueries(d map[string]any) []string {
	var out []string
	tl, _ := d["templating"].(map[string]any)
	vars, _ := tl["list"].([]any)
	labelValues := regexp.MustCompile(`^label_values\((.*),\s*[A-Za-z_]\w*\s*\)$`)
	for _, v := range vars {
		vm, _ := v.(map[string]any)
		if vm["type"] != "query" {
			continue
		}
		def, _ := vm["definition"].(string)
		if m := labelValues.FindStringSubmatch(def); m != nil {
			out = append(out, m[1])
		} else {
			out = append(out, def)
		}
	}
	return out
}

var (
	stringLit = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	braces    = regexp.MustCompile(`\{[^}]*\}`)
	brackets  = regexp.MustCompile(`\[[^\]]*\]`)
	grouping  = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	ident     = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
)

// promqlKeywords are the words that are neither functions nor metrics.
var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true,
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true, "inf": true, "nan": true,
}

// metricNames extracts the metric names an expression selects: identifiers
// outside strings, label matchers, ranges and grouping clauses that are not
// function calls, keywords, Grafana variables or parts of numbers.
func metricNames(expr string) []string {
	s := stringLit.ReplaceAllString(expr, `""`)
	s = braces.ReplaceAllString(s, " ")
	s = brackets.ReplaceAllString(s, " ")
	s = grouping.ReplaceAllString(s, " ")
	var out []string
	for _, loc := range ident.FindAllStringIndex(s, -1) {
		word := s[loc[0]:loc[1]]
		if loc[0] > 0 && strings.ContainsAny(s[loc[0]-1:loc[0]], "$.0123456789") {
			continue // a Grafana variable or an exponent/unit in a number
		}
		if strings.HasPrefix(strings.TrimLeft(s[loc[1]:], " \t\n"), "(") || promqlKeywords[strings.ToLower(word)] {
			continue
		}
		if !slices.Contains(out, word) {
			out = append(out, word)
		}
	}
	return out
}

func TestMetricNames(t *testing.T) {
	cases := []struct {
		expr string
		want []string
	}{
		{`up{job="lineradb"} == 0`, []string{"up"}},
		{`rate(lineradb_sql_queries_total[1m])`, []string{"lineradb_sql_queries_total"}},
		{`sum by (instance) (rate(a_total{x=~"$instance"}[$__rate_interval])) / on (instance) group_left b`, []string{"a_total", "b"}},
		{`histogram_quantile(0.99, sum(rate(x_bucket[5m])) by (le)) > 1e3`, []string{"x_bucket"}},
		{`100 * avail{m="/"} / size < 10 and bool 1`, []string{"avail", "size"}},
		{`max_over_time(lag_ms[10m:1m] offset 5m)`, []string{"lag_ms"}},
		{`-t + 2.5e-3 * 0x1F`, []string{"t"}},
	}
	for _, c := range cases {
		if got := metricNames(c.expr); !reflect.DeepEqual(got, c.want) {
			t.Errorf("metricNames(%q) = %q, want %q", c.expr, got, c.want)
		}
	}
}

// rulesFile is the part of a Prometheus rules file the tests read.
type rulesFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// runbookAlerts is the runbook's alerting block, copied from it verbatim.
const runbookAlerts = `
groups:
  - name: lineradb
    interval: 30s
    rules:
      - alert: LineraDBNodeDown
        expr: up{job="lineradb"} == 0
        for: 1m
        labels:
          severity: critical
        annotations:
          summary: "LineraDB node {{ $labels.instance }} is down"

      - alert: LineraDBHighReplicationLag
        expr: lineradb_raft_replication_lag_ms > 1000
        for: 5m
        labels:
          severity: warning
        annotations:
          summary: "Replication lag on {{ $labels.instance }} > 1s"

      - alert: LineraDBSlowQueries
        expr: rate(lineradb_sql_slow_queries_total[5m]) > 10
        for: 5m
        labels:
          severity: warning
        annotations:
          summary: "High slow query rate on {{ $labels.instance }}"
`

func readRules(t *testing.T, text string) rulesFile {
	t.Helper()
	var rf rulesFile
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("rules do not parse: %v", err)
	}
	return rf
}

// TestAlertsKeepRunbookRules: the runbook's group is in alerts.yml exactly.
func TestAlertsKeepRunbookRules(t *testing.T) {
	b, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	got, want := readRules(t, string(b)), readRules(t, runbookAlerts)
	if !reflect.DeepEqual(got.Groups[0], want.Groups[0]) {
		t.Errorf("first group differs from the runbook's:\ngot  %+v\nwant %+v", got.Groups[0], want.Groups[0])
	}
	if !strings.Contains(string(b), strings.TrimPrefix(runbookAlerts, "\n")) {
		t.Errorf("%s does not contain the runbook's block byte for byte", alertsFile)
	}
	names := map[string]bool{}
	for _, g := range got.Groups {
		for _, r := range g.Rules {
			if names[r.Alert] {
				t.Errorf("alert %s defined twice", r.Alert)
			}
			names[r.Alert] = true
			if r.Labels["severity"] != "critical" && r.Labels["severity"] != "warning" {
				t.Errorf("%s: severity %q", r.Alert, r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("%s has no summary", r.Alert)
			}
			for _, p := range checkExpr(r.Alert, r.Expr, NodeExporterMetrics) {
				t.Error(p)
			}
		}
	}
	for _, n := range []string{"LineraDBNoLeader", "LineraDBDiskSpaceCritical"} {
		if !names[n] {
			t.Errorf("alert %s missing", n)
		}
	}
}

// TestPromtool runs promtool over the rules, their unit tests and the scrape
// config, and proves the check can fail on a broken copy. CI installs
// promtool (Debian's prometheus package); without it the test skips.
func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install prometheus)")
	}
	run := func(args ...string) (string, error) {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		return string(out), err
	}
	for _, args := range [][]string{
		{"check", "rules", alertsFile},
		{"test", "rules", alertsTests},
		{"check", "config", promFile},
	} {
		if out, err := run(args...); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	b, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(b), "expr: up{job=\"lineradb\"} == 0", "expr: up{job=\"lineradb\" == 0", 1)
	path := filepath.Join(t.TempDir(), "broken.yml")
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run("check", "rules", path); err == nil {
		t.Errorf("promtool accepted a rule with a syntax error:\n%s", out)
	}
}

func TestPrometheusConfigScrapesThreeNodes(t *testing.T) {
	b, err := os.ReadFile(promFile)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.ScrapeConfigs) != 1 || cfg.ScrapeConfigs[0].JobName != "lineradb" {
		t.Fatalf("scrape configs = %+v, want one job lineradb", cfg.ScrapeConfigs)
	}
	got := cfg.ScrapeConfigs[0].StaticConfigs[0].Targets
	if want := []string{"node1:9100", "node2:9100", "node3:9100"}; !slices.Equal(got, want) {
		t.Errorf("targets = %q, want %q", got, want)
	}
	if !slices.Equal(cfg.RuleFiles, []string{"alerts.yml"}) {
		t.Errorf("rule_files = %q", cfg.RuleFiles)
	}
}
