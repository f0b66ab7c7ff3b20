package serve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/clickstream/clickstream/services/platform/certs/certstest"
	"github.com/clickstream/clickstream/services/platform/config"
)

const testToken = "t0ken-for-the-auth-test-9f8e7d"

// echo answers EmptyCall and one message of StreamingOutputCall.
type echo struct {
	testgrpc.UnimplementedTestServiceServer
}

func (echo) EmptyCall(context.Context, *testgrpc.Empty) (*testgrpc.Empty, error) {
	return &testgrpc.Empty{}, nil
}

func (echo) StreamingOutputCall(_ *testgrpc.StreamingOutputCallRequest,
	s grpc.ServerStreamingServer[testgrpc.StreamingOutputCallResponse]) error {
	return s.Send(&testgrpc.StreamingOutputCallResponse{})
}

// startServer runs a server with the security options of cfg on a random
// loopback port and returns its gRPC address.
func startServer(t *testing.T, cfg config.Server) string {
	t.Helper()
	cfg.GRPCAddr = "127.0.0.1:0"
	srv, err := Listen(Options{
		Name: "test", GRPCAddr: cfg.GRPCAddr, HTTPAddr: "127.0.0.1:0",
		GRPCOptions: Security(cfg, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	testgrpc.RegisterTestServiceServer(srv.GRPC(), echo{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return srv.GRPCAddr().String()
}

func dial(t *testing.T, addr string, creds credentials.TransportCredentials) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// calls makes a unary and a streaming call of the test service and a
// health check with the metadata md, and returns their codes.
func calls(t *testing.T, conn *grpc.ClientConn, md ...string) (unary, stream, health codes.Code) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, md...)
	client := testgrpc.NewTestServiceClient(conn)
	_, err := client.EmptyCall(ctx, &testgrpc.Empty{})
	unary = status.Code(err)
	if s, err := client.StreamingOutputCall(ctx, &testgrpc.StreamingOutputCallRequest{}); err != nil {
		stream = status.Code(err)
	} else {
		_, err = s.Recv()
		stream = status.Code(err)
	}
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	return unary, stream, status.Code(err)
}

func TestTokenRequired(t *testing.T) {
	conn := dial(t, startServer(t, config.Server{Token: testToken}), insecure.NewCredentials())
	for _, tc := range []struct {
		name string
		md   []string
		want codes.Code
	}{
		{"no token", nil, codes.Unauthenticated},
		{"wrong token", []string{"authorization", "Bearer " + testToken + "x"}, codes.Unauthenticated},
		{"token's prefix", []string{"authorization", "Bearer " + testToken[:10]}, codes.Unauthenticated},
		{"token without scheme", []string{"authorization", testToken}, codes.Unauthenticated},
		{"other scheme", []string{"authorization", "Basic " + testToken}, codes.Unauthenticated},
		{"right token", []string{"authorization", "Bearer " + testToken}, codes.OK},
		{"scheme in lower case", []string{"authorization", "bearer " + testToken}, codes.OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			unary, stream, health := calls(t, conn, tc.md...)
			if unary != tc.want || stream != tc.want {
				t.Errorf("EmptyCall = %v, StreamingOutputCall = %v; want %v", unary, stream, tc.want)
			}
			if health != codes.OK {
				t.Errorf("health Check = %v, want OK whatever the token", health)
			}
		})
	}
}

func TestReflectionNeedsNoToken(t *testing.T) {
	conn := dial(t, startServer(t, config.Server{Token: testToken}), insecure.NewCredentials())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.Recv()
	if err != nil {
		t.Fatalf("reflection without a token: %v", err)
	}
	if n := len(resp.GetListServicesResponse().GetService()); n == 0 {
		t.Errorf("reflection listed no services: %v", resp)
	}
}

func TestNoTokenConfigured(t *testing.T) {
	conn := dial(t, startServer(t, config.Server{}), insecure.NewCredentials())
	if unary, stream, _ := calls(t, conn); unary != codes.OK || stream != codes.OK {
		t.Errorf("without GRPC_TOKEN: EmptyCall = %v, StreamingOutputCall = %v; want OK", unary, stream)
	}
}

func TestTLS(t *testing.T) {
	ca := certstest.NewCA(t, "serve")
	pair := ca.Server(t, "grpc", "127.0.0.1")
	cert, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	addr := startServer(t, config.Server{Token: testToken, TLS: &cert})

	caPEM, err := os.ReadFile(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	withCA := dial(t, addr, credentials.NewTLS(&tls.Config{RootCAs: roots}))
	if unary, stream, health := calls(t, withCA, "authorization", "Bearer "+testToken); unary != codes.OK ||
		stream != codes.OK || health != codes.OK {
		t.Errorf("TLS with the CA: EmptyCall = %v, StreamingOutputCall = %v, health = %v; want OK",
			unary, stream, health)
	}

	otherRoots := x509.NewCertPool()
	otherRoots.AppendCertsFromPEM(mustRead(t, certstest.NewCA(t, "other").CertFile))
	for name, creds := range map[string]credentials.TransportCredentials{
		"TLS with the system's roots": credentials.NewTLS(&tls.Config{}),
		"TLS with another CA":         credentials.NewTLS(&tls.Config{RootCAs: otherRoots}),
		"plain text":                  insecure.NewCredentials(),
	} {
		unary, _, health := calls(t, dial(t, addr, creds), "authorization", "Bearer "+testToken)
		if unary != codes.Unavailable || health != codes.Unavailable {
			t.Errorf("%s: EmptyCall = %v, health = %v; want Unavailable", name, unary, health)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRunRefusesBadAccessSettings(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env: settings come from the environment only
	pair := certstest.NewCA(t, "serve").Server(t, "grpc", "127.0.0.1")
	t.Setenv("GRPC_ADDR", "0.0.0.0:0")
	t.Setenv("HTTP_ADDR", "127.0.0.1:0")
	t.Setenv("GRPC_TOKEN", "")
	t.Setenv("GRPC_TLS_CERT_FILE", pair.CertFile)
	t.Setenv("GRPC_TLS_KEY_FILE", "")
	t.Setenv("LOG_LEVEL", "loud")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := run(ctx, cancel, Spec[struct{}]{Name: "test"})
	if err == nil {
		t.Fatal("run with GRPC_ADDR=0.0.0.0:0 and no GRPC_TOKEN started")
	}
	for _, want := range []string{
		`GRPC_ADDR: "0.0.0.0:0" listens beyond loopback, so GRPC_TOKEN is required`,
		"GRPC_TLS_KEY_FILE: is required with GRPC_TLS_CERT_FILE",
		"LOG_LEVEL:",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("run error does not say %q:\n%v", want, err)
		}
	}
}
