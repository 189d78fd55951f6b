package config

import (
	"bufio"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Docker is not runnable in CI, so the deployment files are checked here:
// they parse, and the configuration each container would see loads through
// Load to the runbook's three-node layout.

type composeFile struct {
	Services map[string]struct {
		Image       string   `yaml:"image"`
		Build       string   `yaml:"build"`
		Hostname    string   `yaml:"hostname"`
		Profiles    []string `yaml:"profiles"`
		Command     []string `yaml:"command"`
		Environment []string `yaml:"environment"`
		Ports       []string `yaml:"ports"`
		Volumes     []string `yaml:"volumes"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		Networks map[string]struct {
			Aliases []string `yaml:"aliases"`
		} `yaml:"networks"`
	} `yaml:"services"`
}

func repoFile(t *testing.T, name string) string {
	t.Helper()
	return readTestdata(t, filepath.Join("..", "..", name))
}

// dockerfileEnv returns the KEY=VALUE pairs of the Dockerfile's ENV lines
// (single-line form).
func dockerfileEnv(t *testing.T, text string) []string {
	t.Helper()
	var env []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 1 && fields[0] == "ENV" {
			env = append(env, fields[1:]...)
		}
	}
	return env
}

// scrapeTargets returns the targets of monitoring/prometheus/prometheus.yml.
func scrapeTargets(t *testing.T) []string {
	t.Helper()
	var pf struct {
		ScrapeConfigs []struct {
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal([]byte(repoFile(t, "monitoring/prometheus/prometheus.yml")), &pf); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	var out []string
	for _, sc := range pf.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			out = append(out, st.Targets...)
		}
	}
	return out
}

func TestDockerCompose(t *testing.T) {
	var cf composeFile
	if err := yaml.Unmarshal([]byte(repoFile(t, "docker-compose.yml")), &cf); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	imageEnv := dockerfileEnv(t, repoFile(t, "Dockerfile"))
	scrape := scrapeTargets(t)
	for i := 1; i <= 3; i++ {
		n := strconv.Itoa(i)
		svc, ok := cf.Services["lineradb-node"+n]
		if !ok {
			t.Fatalf("service lineradb-node%s missing", n)
		}
		// The container's environment: the image's ENV, then compose's.
		cfg, err := Load(svc.Command, append(slices.Clone(imageEnv), svc.Environment...), files(nil))
		if err != nil {
			t.Fatalf("node %s does not load: %v", n, err)
		}
		var peerIDs []uint64
		for _, p := range cfg.Raft.Peers {
			peerIDs = append(peerIDs, p.ID)
			if !strings.HasSuffix(p.Addr, ":9090") {
				t.Errorf("node %s: peer %s not on the Raft port", n, p)
			}
		}
		wantPeers := slices.DeleteFunc([]uint64{1, 2, 3}, func(id uint64) bool { return id == uint64(i) })
		switch {
		case cfg.Server.NodeID != uint64(i):
			t.Errorf("node %s: node_id %d", n, cfg.Server.NodeID)
		case !reflect.DeepEqual(peerIDs, wantPeers):
			t.Errorf("node %s: peers %v, want %v", n, cfg.Raft.Peers, wantPeers)
		case cfg.Server.BootstrapCluster != (i == 1):
			t.Errorf("node %s: bootstrap %v, want only node 1", n, cfg.Server.BootstrapCluster)
		case cfg.Server.DataDir != "/var/lib/lineradb":
			t.Errorf("node %s: data_dir %q", n, cfg.Server.DataDir)
		case cfg.Source("server.node_id") != "env NODE_ID":
			t.Errorf("node %s: node_id from %q, want the runbook's NODE_ID", n, cfg.Source("server.node_id"))
		case !slices.Contains(scrape, "node"+n+":"+strconv.Itoa(cfg.Observability.Metrics.PrometheusPort)):
			// prometheus_port is off by default: compose must turn it on
			// where prometheus.yml scrapes.
			t.Errorf("node %s: prometheus_port %d, but prometheus.yml scrapes %q", n, cfg.Observability.Metrics.PrometheusPort, scrape)
		}
		wantPorts := []string{
			strconv.Itoa(5431+i) + ":5432", strconv.Itoa(9089+i) + ":9090", strconv.Itoa(8079+i) + ":8080",
		}
		if !slices.Equal(svc.Ports, wantPorts) {
			t.Errorf("node %s: ports %q, want %q", n, svc.Ports, wantPorts)
		}
		if want := []string{"./data/node" + n + ":/var/lib/lineradb"}; !slices.Equal(svc.Volumes, want) {
			t.Errorf("node %s: volumes %q, want %q", n, svc.Volumes, want)
		}
		if !strings.Contains(strings.Join(svc.Healthcheck.Test, " "), "/health") {
			t.Errorf("node %s: health check %q does not use /health", n, svc.Healthcheck.Test)
		}
		if !slices.Contains(svc.Networks["default"].Aliases, "node"+n) {
			t.Errorf("node %s: not reachable as node%s", n, n)
		}
	}
	for _, name := range []string{"prometheus", "grafana"} {
		if p := cf.Services[name].Profiles; !slices.Equal(p, []string{"monitoring"}) {
			t.Errorf("%s profiles = %q, want only under the monitoring profile", name, p)
		}
	}
}

// TestDockerfile checks the facts docker cannot check here: the stages, the
// non-root user, the runbook's ports and volume, and the entrypoint.
func TestDockerfile(t *testing.T) {
	text := repoFile(t, "Dockerfile")
	for _, want := range []string{
		"FROM golang:1.26-bookworm AS build",
		"CGO_ENABLED=1",
		"FROM debian:bookworm-slim",
		"COPY --from=build /out/ /usr/local/bin/",
		"USER lineradb:lineradb",
		"EXPOSE 5432 9090 8080 9100",
		"VOLUME /var/lib/lineradb",
		`ENTRYPOINT ["lineradb-server"]`,
		"http://127.0.0.1:8080/health",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// The image's environment alone must load, and name the volume.
	cfg, err := Load(nil, dockerfileEnv(t, text), files(nil))
	if err != nil {
		t.Fatalf("image environment: %v", err)
	}
	if cfg.Server.DataDir != "/var/lib/lineradb" {
		t.Errorf("image data_dir = %q", cfg.Server.DataDir)
	}
	// The health check and EXPOSE assume the default ports.
	d := Default()
	for _, addr := range []string{d.Server.ListenAddr, d.Server.HTTPAddr, d.Raft.Addr} {
		if _, port := splitAddr(addr); !strings.Contains(text, "EXPOSE") || !strings.Contains(text, " "+strconv.Itoa(port)) {
			t.Errorf("default port of %s not exposed", addr)
		}
	}
}
