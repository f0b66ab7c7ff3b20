// Package grpcclient connects to the clickstream services' gRPC APIs with
// the settings every client shares: the bearer token the services require
// (GRPC_TOKEN) and the CA that verifies their TLS certificate
// (GRPC_TLS_CA_FILE).
//
// The token goes with every call as "authorization: Bearer <token>", in
// clear text only to a loopback address; to any other address it goes over
// TLS or not at all.
package grpcclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/clickstream/clickstream/services/platform/certs"
	"github.com/clickstream/clickstream/services/platform/config"
)

// ErrClearText is returned by [Config.NewClient] for a token that would go
// in clear text to an address other than loopback.
var ErrClearText = errors.New("GRPC_TOKEN is sent only over TLS to an address other than loopback")

// Config is how a client reaches the services.
type Config struct {
	// Token, when set, is sent with every call: GRPC_TOKEN.
	Token config.Secret
	// TLS, when not nil, verifies the services' certificates against the CA
	// in GRPC_TLS_CA_FILE; nil dials in plain text.
	TLS *tls.Config
}

// ReadConfig reads GRPC_TOKEN and GRPC_TLS_CA_FILE. A CA file that cannot
// be read or holds no certificate is recorded on env.
func ReadConfig(env *config.Env) Config {
	return Config{
		Token: env.Token("GRPC_TOKEN"),
		TLS:   certs.Client(env, certs.Files{CA: "GRPC_TLS_CA_FILE"}, false),
	}
}

// NewClient returns a client connection to target (host:port) with c's
// transport and token, and opts after them. Like grpc.NewClient it does
// not connect. It refuses to send a token in clear text to an address
// other than loopback.
func (c Config) NewClient(target string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if c.TLS != nil {
		creds = credentials.NewTLS(c.TLS)
	}
	dial := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if c.Token != "" {
		if c.TLS == nil && !config.IsLoopback(target) {
			return nil, fmt.Errorf("%w: set GRPC_TLS_CA_FILE to the CA of the service's certificate", ErrClearText)
		}
		dial = append(dial, grpc.WithPerRPCCredentials(bearer{token: c.Token, secure: c.TLS != nil}))
	}
	return grpc.NewClient(target, append(dial, opts...)...)
}

// bearer sends the token as the authorization metadata of every call.
type bearer struct {
	token  config.Secret
	secure bool // the transport is TLS; otherwise the target is loopback
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token.Reveal()}, nil
}

// RequireTransportSecurity is false only over plain text, which NewClient
// allows for loopback targets alone; grpc-go refuses to send credentials
// that require security over plain text.
func (b bearer) RequireTransportSecurity() bool { return b.secure }
