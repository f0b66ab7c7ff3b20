package config

import (
	"crypto/tls"
	"log/slog"
	"net"
	"strings"
)

// Server holds the settings every service shares: where it listens, who may
// call its gRPC API and how much it logs.
type Server struct {
	GRPCAddr string     // GRPC_ADDR: gRPC API, health and reflection
	HTTPAddr string     // HTTP_ADDR: /metrics, /healthz and /readyz
	LogLevel slog.Level // LOG_LEVEL: debug, info, warn or error

	// Token, when set, is the bearer token that every gRPC call but health
	// and reflection must carry: GRPC_TOKEN.
	Token Secret
	// TLS, when not nil, is the certificate gRPC serves with:
	// GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE.
	TLS *tls.Certificate
}

// Server reads GRPC_ADDR, HTTP_ADDR and LOG_LEVEL, with the service's own
// default addresses, and GRPC_TOKEN, GRPC_TLS_CERT_FILE and
// GRPC_TLS_KEY_FILE. A gRPC address other than loopback needs a token.
func (e *Env) Server(grpcAddr, httpAddr string) Server {
	s := Server{
		GRPCAddr: e.Addr("GRPC_ADDR", grpcAddr),
		HTTPAddr: e.Addr("HTTP_ADDR", httpAddr),
		LogLevel: e.Level("LOG_LEVEL", slog.LevelInfo),
		Token:    e.Token("GRPC_TOKEN"),
		TLS:      e.KeyPair("GRPC_TLS_CERT_FILE", "GRPC_TLS_KEY_FILE"),
	}
	_, _, err := net.SplitHostPort(s.GRPCAddr)
	if err == nil && !IsLoopback(s.GRPCAddr) && e.lookup("GRPC_TOKEN") == "" {
		e.Fail("GRPC_ADDR", "%q listens beyond loopback, so GRPC_TOKEN is required: "+
			"set GRPC_TOKEN, or listen on 127.0.0.1", s.GRPCAddr)
	}
	return s
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
