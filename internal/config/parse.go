package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Value parsers and the key constructors built on them. Every parser takes
// the value as text (YAML scalars are read as their text too, so a value
// means the same in the file, the environment and on the command line) and
// returns a reason, without the key or source: the caller adds those.

const (
	maxUint64 = math.MaxUint64
	maxInt    = math.MaxInt
	// peersMax bounds raft.peers; a Raft group this large is a mistake.
	peersMax = 64
	// regionsMax bounds replication.regions.
	regionsMax = 64
)

func parseUint(s string, lo, hi uint64) (uint64, error) {
	if strings.HasPrefix(s, "-") {
		return 0, rangeError(strconv.FormatUint(lo, 10), strconv.FormatUint(hi, 10), hi == maxUint64)
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return 0, errTooLarge
	}
	if err != nil {
		return 0, errors.New("must be a whole number")
	}
	if v < lo || v > hi {
		return 0, rangeError(strconv.FormatUint(lo, 10), strconv.FormatUint(hi, 10), hi == maxUint64)
	}
	return v, nil
}

func parseInt(s string, lo, hi int) (int, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		if strings.HasPrefix(s, "-") {
			return 0, rangeError(strconv.Itoa(lo), strconv.Itoa(hi), hi == maxInt)
		}
		return 0, errTooLarge
	}
	if err != nil {
		return 0, errors.New("must be a whole number")
	}
	if v < int64(lo) || v > int64(hi) {
		return 0, rangeError(strconv.Itoa(lo), strconv.Itoa(hi), hi == maxInt)
	}
	return int(v), nil
}

var errTooLarge = errors.New("is too large")

func rangeError(lo, hi string, unbounded bool) error {
	if unbounded {
		return fmt.Errorf("must be at least %s", lo)
	}
	return fmt.Errorf("must be between %s and %s", lo, hi)
}

func parseFloat(s string, lo, hi float64) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("must be a number")
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("must be between %g and %g", lo, hi)
	}
	return v, nil
}

// parseBool accepts only true and false (any case): YAML 1.1's yes/no/on/off
// are rejected rather than guessed at.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errors.New("must be true or false")
}

func parseEnum(s string, values []string) (string, error) {
	v := strings.ToLower(s)
	for _, allowed := range values {
		if v == allowed {
			return v, nil
		}
	}
	return "", fmt.Errorf("must be one of %s", strings.Join(values, ", "))
}

// parseDuration takes Go duration syntax ("30s", "1m30s", "500ms"); a bare
// number has no unit and is rejected, except 0.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("must be a duration with a unit, like 30s, 500ms or 1m")
	}
	if d < 0 {
		return 0, errors.New("must not be negative")
	}
	return d, nil
}

// checkAddr accepts host:port with a numeric port; an empty host means every
// interface. Port 0 (an ephemeral port, for tests) is allowed only when
// zeroPortOK. No name is resolved: loading stays pure.
func checkAddr(s string, zeroPortOK bool) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New("must be host:port, like 0.0.0.0:5432 or node1:9090")
	}
	if strings.IndexFunc(host, unicode.IsSpace) >= 0 {
		return errors.New("host must not contain spaces")
	}
	lo := 1
	if zeroPortOK {
		lo = 0
	}
	if _, err := parseInt(port, lo, 65535); err != nil {
		return fmt.Errorf("port %q %v", port, err)
	}
	return nil
}

// parsePeer reads "host:port" or "id=host:port".
func parsePeer(s string) (Peer, error) {
	addr := s
	var id uint64
	if before, after, ok := strings.Cut(s, "="); ok {
		v, err := parseUint(strings.TrimSpace(before), 1, maxUint64)
		if err != nil {
			return Peer{}, fmt.Errorf("peer id %q %v", before, err)
		}
		id, addr = v, strings.TrimSpace(after)
	}
	if err := checkAddr(addr, false); err != nil {
		return Peer{}, err
	}
	return Peer{ID: id, Addr: addr}, nil
}

func parsePeers(items []string) ([]Peer, error) {
	if len(items) > peersMax {
		return nil, fmt.Errorf("has %d entries; at most %d are allowed", len(items), peersMax)
	}
	peers := make([]Peer, 0, len(items))
	for i, item := range items {
		p, err := parsePeer(item)
		if err != nil {
			return nil, fmt.Errorf("entry %d (%q): %v", i+1, item, err)
		}
		peers = append(peers, p)
	}
	return peers, nil
}

// splitList splits comma-separated text, trimming blanks and dropping empty
// items, so "a, b," is [a b].
func splitList(s string) []string {
	var items []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// Key constructors.

func uintKey(path string, lo, hi uint64, field func(*Config) *uint64) key {
	return key{path: path, kind: kindScalar,
		set: func(c *Config, s string) error {
			v, err := parseUint(s, lo, hi)
			if err == nil {
				*field(c) = v
			}
			return err
		},
		get: func(c *Config) string { return strconv.FormatUint(*field(c), 10) },
	}
}

func intKey(path string, lo, hi int, field func(*Config) *int) key {
	return key{path: path, kind: kindScalar,
		set: func(c *Config, s string) error {
			v, err := parseInt(s, lo, hi)
			if err == nil {
				*field(c) = v
			}
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(*field(c)) },
	}
}

func floatKey(path string, lo, hi float64, field func(*Config) *float64) key {
	return key{path: path, kind: kindScalar,
		set: func(c *Config, s string) error {
			v, err := parseFloat(s, lo, hi)
			if err == nil {
				*field(c) = v
			}
			return err
		},
		get: func(c *Config) string { return strconv.FormatFloat(*field(c), 'g', -1, 64) },
	}
}

func boolKey(path string, field func(*Config) *bool) key {
	return key{path: path, kind: kindBool,
		set: func(c *Config, s string) error {
			v, err := parseBool(s)
			if err == nil {
				*field(c) = v
			}
			return err
		},
		get: func(c *Config) string { return strconv.FormatBool(*field(c)) },
	}
}

func enumKey(path string, values []string, field func(*Config) *string) key {
	return key{path: path, kind: kindScalar,
		set: func(c *Config, s string) error {
			v, err := parseEnum(s, values)
			if err == nil {
				*field(c) = v
			}
			return err
		},
		get: func(c *Config) string { return *field(c) },
	}
}

func stringKey(path string, field func(*Config) *string) key {
	return key{path: path, kind: kindScalar,
		set: func(c *Config, s string) error { *field(c) = s; return nil },
		get: func(c *Config) string { return *field(c) },
	}
}

func requiredStringKey(path string, field func(*Config) *string) key {
	return key{path: path, kind: kindScalar,
		set: func(c *Config, s string) error {
			if s == "" {
				return errors.New("must not be empty")
			}
			*field(c) = s
			return nil
		},
		get: func(c *Config) string { return *field(c) },
	}
}

func secretKey(path string, field func(*Config) *Secret) key {
	k := key{path: path, kind: kindScalar, secret: true,
		set: func(c *Config, s string) error { *field(c) = Secret(s); return nil },
		get: func(c *Config) string { return field(c).Reveal() },
	}
	return k
}

func addrKey(path string, field func(*Config) *string) key {
	return key{path: path, kind: kindScalar,
		set: func(c *Config, s string) error {
			err := checkAddr(s, true)
			if err == nil {
				*field(c) = s
			}
			return err
		},
		get: func(c *Config) string { return *field(c) },
	}
}

func urlKey(path string, field func(*Config) *string) key {
	return key{path: path, kind: kindScalar,
		set: func(c *Config, s string) error {
			if s != "" {
				u, err := url.Parse(s)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return errors.New("must be an http:// or https:// URL")
				}
			}
			*field(c) = s
			return nil
		},
		get: func(c *Config) string { return *field(c) },
	}
}

func durationKey(path string, field func(*Config) *time.Duration) key {
	return key{path: path, kind: kindScalar,
		set: func(c *Config, s string) error {
			v, err := parseDuration(s)
			if err == nil {
				*field(c) = v
			}
			return err
		},
		get: func(c *Config) string { return field(c).String() },
	}
}

func peersKey(path string, field func(*Config) *[]Peer) key {
	return key{path: path, kind: kindList,
		setList: func(c *Config, items []string) error {
			v, err := parsePeers(items)
			if err == nil {
				*field(c) = v
			}
			return err
		},
		get: func(c *Config) string {
			parts := make([]string, 0, len(*field(c)))
			for _, p := range *field(c) {
				parts = append(parts, p.String())
			}
			return strings.Join(parts, ",")
		},
	}
}

func regionsKey(path string) key {
	return key{path: path, kind: kindRegions,
		setNode: setRegions,
		get: func(c *Config) string {
			parts := make([]string, 0, len(c.Replication.Regions))
			for _, r := range c.Replication.Regions {
				parts = append(parts, r.Name+":"+strconv.Itoa(r.Priority))
			}
			return strings.Join(parts, ",")
		},
	}
}

// setRegions reads a sequence of {name, priority} mappings. Errors carry the
// line of the offending node (lineError).
func setRegions(c *Config, n *yaml.Node) error {
	n = resolve(n)
	if isNull(n) {
		c.Replication.Regions = nil
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return lineError{n.Line, errors.New("must be a list of {name, priority} entries")}
	}
	if len(n.Content) > regionsMax {
		return lineError{n.Line, fmt.Errorf("has %d entries; at most %d are allowed", len(n.Content), regionsMax)}
	}
	regions := make([]Region, 0, len(n.Content))
	seen := map[string]bool{}
	for i, item := range n.Content {
		r, err := parseRegion(resolve(item))
		if err != nil {
			return lineError{item.Line, fmt.Errorf("entry %d: %v", i+1, err)}
		}
		if seen[r.Name] {
			return lineError{item.Line, fmt.Errorf("entry %d: region %q is listed twice", i+1, r.Name)}
		}
		seen[r.Name] = true
		regions = append(regions, r)
	}
	c.Replication.Regions = regions
	return nil
}

func parseRegion(n *yaml.Node) (Region, error) {
	if n.Kind != yaml.MappingNode {
		return Region{}, errors.New("must be a mapping with name and priority")
	}
	r := Region{Priority: 1}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if v.Kind != yaml.ScalarNode || isNull(v) {
			return Region{}, fmt.Errorf("%s must be a single value", k.Value)
		}
		switch k.Value {
		case "name":
			r.Name = strings.TrimSpace(v.Value)
		case "priority":
			p, err := parseInt(v.Value, 1, 1000)
			if err != nil {
				return Region{}, fmt.Errorf("priority %q %v", v.Value, err)
			}
			r.Priority = p
		default:
			return Region{}, fmt.Errorf("unknown key %q (allowed: name, priority)", k.Value)
		}
	}
	if r.Name == "" {
		return Region{}, errors.New("name must not be empty")
	}
	return r, nil
}
