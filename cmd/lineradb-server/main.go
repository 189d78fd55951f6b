// Command lineradb-server runs one LineraDB node: the PostgreSQL wire
// server, Raft over TCP, the HTTP API and metrics. See docs/RUNBOOK.md and
// docs/CONFIG.md.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/lineradb/lineradb/internal/config"
	"github.com/lineradb/lineradb/server"
	"github.com/lineradb/lineradb/sql/pgwire"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// drainTimeout bounds SIGTERM's wait for running statements.
const drainTimeout = 20 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr))
}

func run(args, env []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := config.Load(args, env, nil)
	if errors.Is(err, config.ErrHelp) {
		fmt.Fprint(stdout, config.Usage())
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "lineradb-server: configuration error:\n%v\n", err)
		return 2
	}
	if cfg.HashPasswordMode {
		return hashPassword(cfg.HashPassword.Reveal(), stdin, stdout, stderr)
	}
	level := new(slog.LevelVar)
	logger, closer, err := server.NewLogger(cfg, level)
	if err != nil {
		fmt.Fprintf(stderr, "lineradb-server: %v\n", err)
		return 2
	}
	defer closer.Close()
	slog.SetDefault(logger)
	for _, w := range cfg.Warnings {
		logger.Warn("configuration", "warning", w)
	}
	opts := server.Options{Version: version, Logger: logger}
	if fake := fakeStatfsFromEnv(env); fake != nil {
		// The test hook also checks often, so a test sees flips quickly.
		opts.Statfs, opts.DiskCheckInterval = fake, 200*time.Millisecond
		logger.Warn("disk space is read from a test file, not statfs", "env", fakeStatfsEnv)
	}
	srv, err := server.Start(cfg, opts)
	if err != nil {
		logger.Error("start-up failed", "err", err)
		return 1
	}
	return waitSignals(srv, cfg, args, env, level, logger)
}

// waitSignals serves until SIGTERM/SIGINT; SIGHUP reloads the reloadable
// settings (log level, slow-query settings).
func waitSignals(srv *server.Server, cfg *config.Config, args, env []string, level *slog.LevelVar, logger *slog.Logger) int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	for sig := range sigs {
		if sig == syscall.SIGHUP {
			reload(srv, cfg, args, env, level, logger)
			continue
		}
		logger.Info("signal received", "signal", sig.String())
		ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
		err := srv.Shutdown(ctx)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			logger.Error("shutdown", "err", err)
			return 1
		}
		return 0
	}
	return 0
}

func reload(srv *server.Server, cfg *config.Config, args, env []string, level *slog.LevelVar, logger *slog.Logger) {
	res, err := config.Reload(cfg, args, env, nil)
	if err != nil {
		logger.Error("SIGHUP: configuration not reloaded; keeping the running settings", "err", err)
		return
	}
	level.Set(res.Settings.SlogLevel())
	srv.Reload(res.Settings)
	logger.Info("SIGHUP: configuration reloaded", "changed", strings.Join(res.Changed, "; "),
		"restart_required", strings.Join(res.RestartRequired, "; "), "log_level", res.Settings.LogLevel)
}

// hashPassword prints the SCRAM-SHA-256 verifier for the password (read
// from stdin when the flag's value is empty, keeping it out of ps).
func hashPassword(pw string, stdin io.Reader, stdout, stderr io.Writer) int {
	if pw == "" {
		b, err := io.ReadAll(io.LimitReader(stdin, 4096))
		if err != nil {
			fmt.Fprintf(stderr, "lineradb-server: reading password: %v\n", err)
			return 1
		}
		pw = strings.TrimRight(string(b), "\r\n")
	}
	if pw == "" {
		fmt.Fprintln(stderr, "lineradb-server: empty password")
		return 2
	}
	h, err := pgwire.HashPassword(pw, rand.Reader)
	if err != nil {
		fmt.Fprintf(stderr, "lineradb-server: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, h)
	return 0
}
