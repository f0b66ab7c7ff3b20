// Package logging builds the JSON slog logger every service writes to stdout.
package logging

import (
	"io"
	"log/slog"
)

// New returns a JSON logger writing to w at the given level, tagged with the
// service name under the "service" key.
func New(w io.Writer, service string, level slog.Leveler) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	return slog.New(h).With("service", service)
}

// Discard returns a logger that drops everything, for optional loggers.
func Discard() *slog.Logger {
	return slog.New(slog.DiscardHandler)
}

// OrDiscard returns l, or a discarding logger when l is nil.
func OrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return Discard()
	}
	return l
}
