package config

import (
	"log/slog"
	"strings"
)

// Server holds the settings every service shares: where it listens and how
// much it logs.
type Server struct {
	GRPCAddr string     // GRPC_ADDR: gRPC API, health and reflection
	HTTPAddr string     // HTTP_ADDR: /metrics, /healthz and /readyz
	LogLevel slog.Level // LOG_LEVEL: debug, info, warn or error
}

// Server reads GRPC_ADDR, HTTP_ADDR and LOG_LEVEL, with the service's own
// default addresses.
func (e *Env) Server(grpcAddr, httpAddr string) Server {
	return Server{
		GRPCAddr: e.Addr("GRPC_ADDR", grpcAddr),
		HTTPAddr: e.Addr("HTTP_ADDR", httpAddr),
		LogLevel: e.Level("LOG_LEVEL", slog.LevelInfo),
	}
}

// Level returns the variable as a slog level name, or def when unset.
func (e *Env) Level(name string, def slog.Level) slog.Level {
	v := e.lookup(name)
	if v == "" {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(v))); err != nil {
		e.Fail(name, "%q is not one of debug, info, warn, error", v)
		return def
	}
	return l
}
