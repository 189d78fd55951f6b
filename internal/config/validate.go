package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// validate checks what no single key can: combinations, and settings that
// ask for features this build lacks. Harmless ones warn (the cluster works,
// just without the feature); ones whose silent absence would surprise an
// operator (unencrypted data, unauthenticated clients) fail.
func (l *loader) validate() {
	l.checkRaft()
	l.checkPeers()
	l.checkStorage()
	l.checkSecurity()
	l.checkListeners()
	l.warnUnsupported()
}

// setBy names a key with its source, for errors about combinations.
func (l *loader) setBy(path string) string {
	return path + " (" + l.cfg.Source(path) + ")"
}

// failKey reports a combination error against key path and its source.
func (l *loader) failKey(path, reason string) {
	l.fail(&Error{Key: path, Source: l.cfg.Source(path), Reason: reason})
}

func (l *loader) checkRaft() {
	r := l.cfg.Raft
	if r.ElectionTimeoutMs < 2*r.HeartbeatIntervalMs {
		l.failKey("raft.election_timeout_ms", fmt.Sprintf(
			"%d ms must be at least twice raft.heartbeat_interval_ms (%d ms), or followers campaign against a live leader",
			r.ElectionTimeoutMs, r.HeartbeatIntervalMs))
	}
}

func (l *loader) checkPeers() {
	self := l.cfg.Server.NodeID
	addrs := map[string]bool{}
	ids := map[uint64]bool{}
	for _, p := range l.cfg.Raft.Peers {
		switch {
		case addrs[p.Addr]:
			l.failKey("raft.peers", fmt.Sprintf("%s is listed twice", p.Addr))
		case p.ID != 0 && p.ID == self:
			l.failKey("raft.peers", fmt.Sprintf(
				"entry %s has this node's own id (server.node_id = %d); list only the other members", p, self))
		case p.ID != 0 && ids[p.ID]:
			l.failKey("raft.peers", fmt.Sprintf("node id %d is listed twice", p.ID))
		}
		addrs[p.Addr] = true
		ids[p.ID] = true
	}
}

func (l *loader) checkStorage() {
	s := l.cfg.Storage
	if s.Engine != "lsm" {
		l.failKey("storage.engine", fmt.Sprintf("%q is not available in this build; use lsm", s.Engine))
	}
	if s.DiskSpaceCriticalPercent > s.DiskSpaceWarnPercent {
		l.failKey("storage.disk_space_critical_percent", fmt.Sprintf(
			"%g must not exceed storage.disk_space_warn_percent (%g): the warning must come first",
			s.DiskSpaceCriticalPercent, s.DiskSpaceWarnPercent))
	}
}

func (l *loader) checkSecurity() {
	sec := l.cfg.Security
	if sec.TLS.Enabled {
		if sec.TLS.CertFile == "" {
			l.failKey("security.tls.cert_file", "is required when "+l.setBy("security.tls.enabled")+" is true")
		}
		if sec.TLS.KeyFile == "" {
			l.failKey("security.tls.key_file", "is required when "+l.setBy("security.tls.enabled")+" is true")
		}
	} else if sec.TLS.CertFile != "" || sec.TLS.KeyFile != "" {
		l.warn("security.tls.cert_file/key_file are set but security.tls.enabled is false: TLS is off")
	}
	l.checkAuth()
	if sec.EncryptionAtRest.Enabled {
		l.failKey("security.encryption_at_rest.enabled",
			"encryption at rest is not supported by this build, and data would be written unencrypted; "+
				"set it to false (an encrypted volume gives the same protection)")
	}
	if h := sec.Auth.SuperuserPasswordHash; h != "" && !strings.HasPrefix(h.Reveal(), "SCRAM-SHA-256$") {
		l.failKey("security.auth.superuser_password_hash",
			"must be a SCRAM-SHA-256 verifier as printed by lineradb-server --hash-password")
	}
	switch tok := sec.AdminToken.Reveal(); {
	case tok == "" && !isLoopback(l.cfg.Server.HTTPAddr):
		l.warn("security.admin_token is not set: the mutating /admin endpoints on %s need no credentials and answer loopback clients only",
			l.cfg.Server.HTTPAddr)
	case tok != "" && len(tok) < adminTokenBytesMin:
		l.warn("security.admin_token is shorter than %d characters: use a long random token", adminTokenBytesMin)
	}
}

// adminTokenBytesMin is the token length below which Load warns.
const adminTokenBytesMin = 16

func (l *loader) checkAuth() {
	sec := l.cfg.Security
	switch sec.Auth.Method {
	case "jwt":
		l.failKey("security.auth.method",
			"jwt is not supported by this build; use password (clients would otherwise not be authenticated as configured)")
	case "client_cert":
		if !sec.TLS.Enabled {
			l.failKey("security.auth.method", "client_cert needs security.tls.enabled: true")
		}
		if sec.TLS.CAFile == "" {
			l.failKey("security.tls.ca_file", "is required to verify client certificates ("+l.setBy("security.auth.method")+" is client_cert)")
		}
	case "trust":
		if !isLoopback(l.cfg.Server.ListenAddr) {
			l.warn("security.auth.method is trust and server.listen_addr %s is not loopback: any client can connect as any user",
				l.cfg.Server.ListenAddr)
		}
		// trust is the default, so setting only the hash is an easy
		// mistake that would leave the server open while looking secured.
		if sec.Auth.SuperuserPasswordHash.Reveal() != "" {
			l.warn("security.auth.superuser_password_hash is set but security.auth.method is trust: " +
				"passwords are not checked; set security.auth.method: password")
		}
	}
}

// listener is one socket the server binds.
type listener struct {
	key, host string
	port      int
}

// checkListeners refuses two listeners on one port, which would otherwise
// surface as a bind error after the node had started.
func (l *loader) checkListeners() {
	c := l.cfg
	var ls []listener
	for _, kv := range [][2]string{
		{"server.listen_addr", c.Server.ListenAddr},
		{"server.http_addr", c.Server.HTTPAddr},
		{"raft.addr", c.Raft.Addr},
	} {
		host, port := splitAddr(kv[1])
		ls = append(ls, listener{kv[0], host, port})
	}
	if m := c.Observability.Metrics; m.Enabled && m.PrometheusPort != 0 {
		host, _ := splitAddr(c.Server.HTTPAddr)
		ls = append(ls, listener{"observability.metrics.prometheus_port", host, m.PrometheusPort})
	}
	for i := range ls {
		for j := 0; j < i; j++ {
			if ls[i].port != 0 && ls[i].port == ls[j].port && hostsOverlap(ls[i].host, ls[j].host) {
				l.failKey(ls[i].key, fmt.Sprintf("port %d is already used by %s", ls[i].port, ls[j].key))
			}
		}
	}
}

// splitAddr splits an address that parsing already checked.
func splitAddr(addr string) (string, int) {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return host, p
}

func isWildcard(host string) bool { return host == "" || host == "0.0.0.0" || host == "::" }

func hostsOverlap(a, b string) bool { return a == b || isWildcard(a) || isWildcard(b) }

func isLoopback(addr string) bool {
	host, _ := splitAddr(addr)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// warnUnsupported names harmless settings that this build accepts but does
// not act on.
func (l *loader) warnUnsupported() {
	c := l.cfg
	if c.Sharding.Enabled {
		l.warn("sharding.enabled is true but sharding is not supported yet: all data is in one Raft group")
	}
	if len(c.Replication.Regions) > 0 {
		l.warn("replication.regions is set but region placement is not supported yet: every member is an equal voter")
	}
	if c.Observability.Tracing.Enabled {
		l.warn("observability.tracing.enabled is true but this build has no tracing exporter: no traces are sent")
	}
}
