package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// ErrHelp is returned (wrapped) by Load for -h or --help.
var ErrHelp = flag.ErrHelp

// flagValues is the parsed command line, before it is applied.
type flagValues struct {
	byKey           []*rawFlag // in key-table order
	config          string
	hashPassword    string
	hashPasswordSet bool
}

// rawFlag records a flag's text; it is parsed when applied, so its errors
// name the flag as their source like every other layer's.
type rawFlag struct {
	k   *key
	val string
	set bool
}

func (f *rawFlag) String() string { return f.val }

func (f *rawFlag) Set(s string) error {
	f.val, f.set = s, true
	return nil
}

// IsBoolFlag lets `--bootstrap-cluster` stand alone, as in the runbook.
func (f *rawFlag) IsBoolFlag() bool { return f.k != nil && f.k.kind == kindBool }

// hashFlag records --hash-password and whether it was given at all.
type hashFlag struct{ fv *flagValues }

func (h hashFlag) String() string { return "" }

func (h hashFlag) Set(s string) error {
	h.fv.hashPassword, h.fv.hashPasswordSet = s, true
	return nil
}

// parseFlags parses args with the standard flag package, which accepts
// -name and --name, "--name value" and "--name=value".
func parseFlags(args []string) (*flagValues, error) {
	fv := &flagValues{}
	fs := flag.NewFlagSet("lineradb-server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for i := range keys {
		if keys[i].flag == "" {
			continue
		}
		rf := &rawFlag{k: &keys[i]}
		fv.byKey = append(fv.byKey, rf)
		fs.Var(rf, keys[i].flag, keys[i].doc)
	}
	fs.StringVar(&fv.config, flagConfig, "", "YAML configuration file")
	fs.Var(hashFlag{fv}, flagHashPassword, "print the password's hash and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, fmt.Errorf("config: %w", err)
		}
		// The flag package spells flags with one dash; the runbook uses two.
		reason := strings.Replace(err.Error(), ": -", ": --", 1)
		return nil, &Error{Key: "command line", Reason: reason + " (see --help)"}
	}
	if fs.NArg() > 0 {
		return nil, &Error{Key: "command line", Reason: fmt.Sprintf("unexpected argument %q (flags take the form --name=value)", fs.Arg(0))}
	}
	return fv, nil
}

// loadFlags applies the flag layer, the highest.
func (l *loader) loadFlags(fv *flagValues) {
	for _, rf := range fv.byKey {
		if rf.set {
			l.setText(rf.k, "flag --"+rf.k.flag, rf.val)
		}
	}
}

// Usage is the --help text.
func Usage() string {
	var b strings.Builder
	b.WriteString("Usage: lineradb-server [flags]\n\nFlags (each overrides its environment variable and the config file):\n")
	for i := range keys {
		k := &keys[i]
		if k.flag == "" {
			continue
		}
		arg := "=value"
		if k.kind == kindBool {
			arg = ""
		}
		fmt.Fprintf(&b, "  --%s%s\n      %s (%s; default %q; env %s)\n", k.flag, arg, k.doc, k.path, k.display(Default()), strings.Join(k.envNames(), " or "))
	}
	fmt.Fprintf(&b, "  --%s=path\n      YAML configuration file (env %s).\n", flagConfig, envConfig)
	fmt.Fprintf(&b, "  --%s=password\n      Print the SCRAM-SHA-256 verifier for security.auth.superuser_password_hash and exit.\n", flagHashPassword)
	b.WriteString("\nEvery setting, its environment variable and default: docs/CONFIG.md\n")
	return b.String()
}
