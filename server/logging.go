package server

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/lineradb/lineradb/internal/config"
)

// NewLogger builds the server's structured logger per
// observability.logging: JSON or text, to the output file (appended) or
// stderr. level is the SIGHUP-reloadable level. The returned closer closes
// the log file, if one was opened.
func NewLogger(cfg *config.Config, level *slog.LevelVar) (*slog.Logger, io.Closer, error) {
	level.Set(cfg.SlogLevel())
	var out io.Writer = os.Stderr
	var closer io.Closer = io.NopCloser(nil)
	switch name := cfg.Observability.Logging.Output; name {
	case "", "stderr":
	case "stdout":
		out = os.Stdout
	default:
		f, err := os.OpenFile(name, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("observability.logging.output: %w", err)
		}
		out, closer = f, f
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if cfg.Observability.Logging.Format == "json" {
		h = slog.NewJSONHandler(out, opts)
	} else {
		h = slog.NewTextHandler(out, opts)
	}
	return slog.New(h), closer, nil
}
