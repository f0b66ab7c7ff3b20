package serve

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/logging"
)

// Security returns the gRPC server options for the shared settings: TLS
// with cfg.TLS and the bearer token cfg.Token, each when set. It warns when
// the token would cross the network in clear text.
func Security(cfg config.Server, log *slog.Logger) []grpc.ServerOption {
	log = logging.OrDiscard(log)
	var opts []grpc.ServerOption
	if cfg.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewServerTLSFromCert(cfg.TLS)))
	}
	if cfg.Token != "" {
		opts = append(opts, RequireToken(cfg.Token, log)...)
	}
	if cfg.Token != "" && cfg.TLS == nil && !config.IsLoopback(cfg.GRPCAddr) {
		log.Warn("grpc listens beyond loopback without TLS: the token travels in clear text; "+
			"set GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE", "grpc_addr", cfg.GRPCAddr)
	}
	log.Info("grpc access", "token", cfg.Token != "", "tls", cfg.TLS != nil)
	return opts
}

// RequireToken returns interceptors that refuse, with codes.Unauthenticated,
// every call that does not carry the metadata "authorization: Bearer
// <token>", except those of the health and reflection services. Refused
// calls are logged at warn level, without what they carried.
func RequireToken(token config.Secret, log *slog.Logger) []grpc.ServerOption {
	a := &tokenAuth{want: []byte(token.Reveal()), log: logging.OrDiscard(log)}
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(a.unary),
		grpc.ChainStreamInterceptor(a.stream),
	}
}

type tokenAuth struct {
	want []byte
	log  *slog.Logger
}

func (a *tokenAuth) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := a.check(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (a *tokenAuth) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := a.check(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return h(srv, ss)
}

// open lists the method prefixes that need no token: the health service,
// which load balancers and the CLI probe, and server reflection, which
// describes the API and serves no data.
var open = []string{"/grpc.health.v1.Health/", "/grpc.reflection.v1.", "/grpc.reflection.v1alpha."}

func (a *tokenAuth) check(ctx context.Context, method string) error {
	for _, p := range open {
		if strings.HasPrefix(method, p) {
			return nil
		}
	}
	got, found := bearer(ctx)
	if found && subtle.ConstantTimeCompare(got, a.want) == 1 {
		return nil
	}
	reason := "missing bearer token"
	if found {
		reason = "wrong bearer token"
	}
	var from string
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		from = p.Addr.String()
	}
	a.log.Warn("unauthenticated call", "rpc", method, "peer", from, "reason", reason)
	return status.Errorf(codes.Unauthenticated, "%s: the caller's GRPC_TOKEN must equal the service's", reason)
}

// bearer returns the token of the first authorization metadata value in the
// Bearer scheme (case-insensitive, RFC 6750), and whether there was one.
func bearer(ctx context.Context) ([]byte, bool) {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		scheme, token, ok := strings.Cut(strings.TrimSpace(v), " ")
		if ok && strings.EqualFold(scheme, "bearer") {
			return []byte(strings.TrimSpace(token)), true
		}
	}
	return nil, false
}
