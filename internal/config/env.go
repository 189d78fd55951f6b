package config

import (
	"slices"
	"strings"
)

// envMap turns os.Environ-style entries into a map. As with os.Getenv, the
// first entry for a name wins; entries without '=' are ignored.
func envMap(env []string) map[string]string {
	vars := make(map[string]string, len(env))
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			continue
		}
		if _, seen := vars[name]; !seen {
			vars[name] = value
		}
	}
	return vars
}

// loadEnv applies the environment layer. For each key it looks at the
// systematic LINERADB_<SECTION>_<KEY> name and the runbook's short
// LINERADB_* aliases (which must agree when several are set), then, only if
// none is set, the compose-style alias. An empty variable counts as unset, so
// `export LINERADB_LOG_LEVEL=` does not clear a value. Unknown LINERADB_*
// names are warnings, not errors: a process environment is shared with other
// tools, unlike the config file and the command line.
func (l *loader) loadEnv(vars map[string]string) {
	known := map[string]bool{envConfig: true}
	for i := range keys {
		k := &keys[i]
		if k.kind == kindRegions {
			if vars[k.envName()] != "" {
				l.warn("environment variable %s is ignored: %s can only be set in the config file", k.envName(), k.path)
			}
			known[k.envName()] = true
			continue
		}
		names := k.envNames()
		for _, n := range names {
			known[n] = true
		}
		name, value := l.envValue(k, names, vars)
		if name != "" {
			l.setText(k, "env "+name, value)
		}
	}
	l.warnUnknownEnv(vars, known)
}

// envValue picks the variable that sets k, or "" when none does.
func (l *loader) envValue(k *key, names []string, vars map[string]string) (name, value string) {
	for _, n := range names {
		v := vars[n]
		if v == "" {
			continue
		}
		if name == "" {
			name, value = n, v
			continue
		}
		if v != value {
			l.fail(&Error{Key: k.path, Source: "env " + name + " and env " + n,
				Reason: "are both set, to different values; set only one"})
		}
	}
	if name == "" && k.composeAlias != "" && vars[k.composeAlias] != "" {
		name, value = k.composeAlias, vars[k.composeAlias]
	}
	return name, value
}

func (l *loader) warnUnknownEnv(vars map[string]string, known map[string]bool) {
	var unknown []string
	for name := range vars { //detlint:ordered collected then sorted
		if strings.HasPrefix(name, envPrefix) && !known[name] {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		hint := ""
		if k := nearestEnv(name); k != "" {
			hint = " (did you mean " + k + "?)"
		}
		l.warn("environment variable %s is not a LineraDB setting and is ignored%s", name, hint)
	}
}

// nearestEnv is the known variable within 3 edits of name, if any.
func nearestEnv(name string) string {
	best, bestDist := "", 4
	for i := range keys {
		for _, n := range keys[i].envNames() {
			if d := editDistance(name, n); d < bestDist {
				best, bestDist = n, d
			}
		}
	}
	return best
}
