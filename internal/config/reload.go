package config

import (
	"log/slog"
	"time"
)

// Reloadable is the subset of settings a running server applies on SIGHUP.
type Reloadable struct {
	LogLevel           string
	QueryTimeout       time.Duration
	SlowQueryEnabled   bool
	SlowQueryThreshold time.Duration
}

// SlogLevel returns LogLevel as a slog level (for a slog.LevelVar).
func (r Reloadable) SlogLevel() slog.Level { return logLevel(r.LogLevel) }

// Reloadable returns c's reloadable settings.
func (c *Config) Reloadable() Reloadable {
	return Reloadable{
		LogLevel:           c.Server.LogLevel,
		QueryTimeout:       c.Server.QueryTimeout,
		SlowQueryEnabled:   c.Observability.Logging.SlowQueryEnabled,
		SlowQueryThreshold: c.Observability.Logging.SlowQueryThreshold,
	}
}

// ReloadResult is what a SIGHUP found.
type ReloadResult struct {
	// Settings are the reloadable settings to apply now.
	Settings Reloadable
	// Changed lists the reloadable keys whose value changed, as
	// "key: old -> new".
	Changed []string
	// RestartRequired lists the other keys whose value changed; they keep
	// their running values until the server restarts.
	RestartRequired []string
	// Warnings are the new configuration's warnings.
	Warnings []string
}

// Reload loads the configuration again with the same precedence (the server
// passes the args and environment it started with, so flags and variables
// still win over the file) and compares it with running. An error leaves the
// running settings in force: the server logs it and carries on.
func Reload(running *Config, args, env []string, readFile func(string) ([]byte, error)) (*ReloadResult, error) {
	next, err := Load(args, env, readFile)
	if err != nil {
		return nil, err
	}
	res := &ReloadResult{Settings: next.Reloadable(), Warnings: next.Warnings}
	for i := range keys {
		k := &keys[i]
		if k.get(running) == k.get(next) {
			continue
		}
		if k.reloadable {
			res.Changed = append(res.Changed, k.path+": "+k.display(running)+" -> "+k.display(next))
		} else {
			res.RestartRequired = append(res.RestartRequired, k.path)
		}
	}
	return res, nil
}
