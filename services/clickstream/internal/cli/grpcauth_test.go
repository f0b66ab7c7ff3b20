package cli

import (
	"context"
	"crypto/tls"
	"strings"
	"sync/atomic"
	"testing"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/platform/certs/certstest"
	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/serve"
)

// stopCounter is a producer that counts the StopReplay calls reaching it.
type stopCounter struct {
	clickstreamv1.UnimplementedProducerServiceServer
	stops atomic.Int64
}

func (p *stopCounter) StopReplay(context.Context, *clickstreamv1.StopReplayRequest) (*clickstreamv1.StopReplayResponse, error) {
	p.stops.Add(1)
	return &clickstreamv1.StopReplayResponse{Replay: &clickstreamv1.Replay{}}, nil
}

// serveProducer runs a producer API with the security settings of cfg on a
// random loopback port, and returns its address and the fake behind it.
func serveProducer(t *testing.T, cfg config.Server) (string, *stopCounter) {
	t.Helper()
	cfg.GRPCAddr = "127.0.0.1:0"
	srv, err := serve.Listen(serve.Options{
		Name: "producer", GRPCAddr: cfg.GRPCAddr, HTTPAddr: "127.0.0.1:0",
		GRPCOptions: serve.Security(cfg, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	fake := &stopCounter{}
	clickstreamv1.RegisterProducerServiceServer(srv.GRPC(), fake)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return srv.GRPCAddr().String(), fake
}

func TestProducerStopSendsTheToken(t *testing.T) {
	const token = "cli-test-token-0a1b2c3d4e5f"
	ca := certstest.NewCA(t, "cli")
	pair := ca.Server(t, "producer", "127.0.0.1")
	cert, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	tlsAddr, tlsFake := serveProducer(t, config.Server{Token: token, TLS: &cert})
	plainAddr, plainFake := serveProducer(t, config.Server{Token: token})

	for _, tc := range []struct {
		name      string
		addr      string
		fake      *stopCounter
		token, ca string
		wantErr   string // in stderr; "" for success
	}{
		{"TLS with the token and the CA", tlsAddr, tlsFake, token, ca.CertFile, ""},
		{"TLS with a wrong token", tlsAddr, tlsFake, token + "x", ca.CertFile, "wrong bearer token"},
		{"TLS without a token", tlsAddr, tlsFake, "", ca.CertFile, "missing bearer token"},
		{"TLS server dialled in plain text", tlsAddr, tlsFake, token, "", "is not reachable"},
		{"plain text on loopback with the token", plainAddr, plainFake, token, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearSettings(t)
			t.Setenv("KAFKA_BROKERS", "127.0.0.1:1")
			t.Setenv("PRODUCER_ADDR", tc.addr)
			t.Setenv("GRPC_TOKEN", tc.token)
			t.Setenv("GRPC_TLS_CA_FILE", tc.ca)
			before := tc.fake.stops.Load()
			_, stderr, code := run(t, "--env-file", "/nonexistent", "producer", "stop")
			calls := tc.fake.stops.Load() - before
			if tc.wantErr == "" {
				if code != 0 || calls != 1 {
					t.Fatalf("producer stop: exit %d, %d calls reached the producer; want 0 and 1\n%s",
						code, calls, stderr)
				}
				return
			}
			if code == 0 || calls != 0 || !strings.Contains(stderr, tc.wantErr) {
				t.Fatalf("producer stop: exit %d, %d calls reached the producer, stderr %q; "+
					"want a failure saying %q and no call", code, calls, stderr, tc.wantErr)
			}
			if tc.token != "" && strings.Contains(stderr, tc.token) {
				t.Errorf("stderr shows the token: %q", stderr)
			}
		})
	}
}
