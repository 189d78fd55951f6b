package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Error is one bad setting. Load returns every Error it finds, joined with
// errors.Join, so an operator fixes them all in one pass; errors.As finds
// the first.
type Error struct {
	// Key is the dotted path ("server.node_id"); for a key that does not
	// exist it is the path as written.
	Key string
	// Source is where the value came from: "flag --node-id",
	// "env LINERADB_NODE_ID", "lineradb.yaml:3", "command line" or
	// "default".
	Source string
	// Value is the offending value as given; empty for secrets and for
	// errors about a combination of keys.
	Value string
	// Reason says what is wrong, and where it helps, what to do.
	Reason string
	// Err is the underlying cause, if any (a failed file read).
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	b.WriteString(e.Key)
	if e.Source != "" {
		b.WriteString(" (" + e.Source + ")")
	}
	if e.Value != "" {
		fmt.Fprintf(&b, ": invalid value %q", e.Value)
	}
	b.WriteString(": " + e.Reason)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// errorsMax bounds the errors one Load reports; a file in the wrong format
// would otherwise produce one per line.
const errorsMax = 20

// configFileBytesMax bounds the config file; anything larger is not a
// config file.
const configFileBytesMax = 1 << 20

// Load builds the configuration from the command line (args, without the
// program name), the environment (env, as os.Environ returns it) and the
// YAML file named by --config or LINERADB_CONFIG, read with readFile
// (os.ReadFile when nil). Precedence, highest first: flags, LINERADB_*
// variables, the compose-style aliases NODE_ID and PEERS, the file,
// defaults. It returns flag.ErrHelp (wrapped) for -h/--help: print Usage().
//
// With --hash-password nothing but the command line is read: the server
// only hashes the password and exits.
func Load(args, env []string, readFile func(string) ([]byte, error)) (*Config, error) {
	if readFile == nil {
		readFile = os.ReadFile
	}
	fl, err := parseFlags(args)
	if err != nil {
		return nil, err
	}
	cfg := Default()
	if fl.hashPasswordSet {
		cfg.HashPasswordMode = true
		cfg.HashPassword = Secret(fl.hashPassword)
		return cfg, nil
	}
	l := &loader{cfg: cfg}
	vars := envMap(env)
	if path, source := configPath(fl, vars); path != "" {
		l.loadFileAt(path, source, readFile)
	}
	l.loadEnv(vars)
	l.loadFlags(fl)
	l.validate()
	if err := l.err(); err != nil {
		return nil, err
	}
	checkLoaded(cfg)
	return cfg, nil
}

// configPath picks the file: --config wins over LINERADB_CONFIG.
func configPath(fl *flagValues, vars map[string]string) (path, source string) {
	if fl.config != "" {
		return fl.config, "flag --" + flagConfig
	}
	if v := vars[envConfig]; v != "" {
		return v, "env " + envConfig
	}
	return "", ""
}

// loader accumulates one Load: the config being built, its errors and
// warnings.
type loader struct {
	cfg     *Config
	errs    []error
	dropped int // errors beyond errorsMax
}

func (l *loader) fail(e *Error) {
	if len(l.errs) >= errorsMax {
		l.dropped++
		return
	}
	l.errs = append(l.errs, e)
}

func (l *loader) warn(format string, args ...any) {
	l.cfg.Warnings = append(l.cfg.Warnings, fmt.Sprintf(format, args...))
}

func (l *loader) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	errs := l.errs
	if l.dropped > 0 {
		errs = append(errs, fmt.Errorf("config: and %d more errors", l.dropped))
	}
	return errors.Join(errs...)
}

// setText applies one textual value to k, recording its source.
func (l *loader) setText(k *key, source, value string) {
	if !k.secret {
		value = strings.TrimSpace(value)
	}
	var err error
	if k.kind == kindList {
		err = k.setList(l.cfg, splitList(value))
	} else {
		err = k.set(l.cfg, value)
	}
	if err != nil {
		l.fail(&Error{Key: k.path, Source: source, Value: k.shown(value), Reason: err.Error()})
		return
	}
	l.record(k, source)
}

func (l *loader) setItems(k *key, source string, items []string) {
	if err := k.setList(l.cfg, items); err != nil {
		l.fail(&Error{Key: k.path, Source: source, Reason: err.Error()})
		return
	}
	l.record(k, source)
}

func (l *loader) record(k *key, source string) {
	if l.cfg.sources == nil {
		l.cfg.sources = map[string]string{}
	}
	l.cfg.sources[k.path] = source
}

// shown is a value as an error may echo it: never a secret's.
func (k *key) shown(value string) string {
	if k.secret {
		return ""
	}
	return value
}

// Setting is one key's effective value, for start-up logs and /admin
// output. Secrets are redacted.
type Setting struct {
	Key, Value, Source string
}

// Settings lists every key's effective value in table order.
func (c *Config) Settings() []Setting {
	out := make([]Setting, 0, len(keys))
	for i := range keys {
		k := &keys[i]
		out = append(out, Setting{Key: k.path, Value: k.display(c), Source: c.Source(k.path)})
	}
	return out
}
