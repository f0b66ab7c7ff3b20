package grpcclient

import (
	"context"
	"crypto/tls"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/clickstream/clickstream/services/platform/certs/certstest"
	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/serve"
)

const token = "grpcclient-test-token-5e6f7a8b"

type empty struct {
	testgrpc.UnimplementedTestServiceServer
}

func (empty) EmptyCall(context.Context, *testgrpc.Empty) (*testgrpc.Empty, error) {
	return &testgrpc.Empty{}, nil
}

// serveWith runs a server that requires token, with TLS from pair when it
// is not empty, and returns its loopback address.
func serveWith(t *testing.T, pair certstest.Pair) string {
	t.Helper()
	cfg := config.Server{GRPCAddr: "127.0.0.1:0", Token: token}
	if pair.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		cfg.TLS = &cert
	}
	srv, err := serve.Listen(serve.Options{
		Name: "test", GRPCAddr: cfg.GRPCAddr, HTTPAddr: "127.0.0.1:0",
		GRPCOptions: serve.Security(cfg, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	testgrpc.RegisterTestServiceServer(srv.GRPC(), empty{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return srv.GRPCAddr().String()
}

func read(t *testing.T, vars map[string]string) (Config, error) {
	t.Helper()
	env := config.NewEnv(func(k string) string { return vars[k] })
	c := ReadConfig(env)
	return c, env.Err()
}

func call(t *testing.T, c Config, addr string) codes.Code {
	t.Helper()
	conn, err := c.NewClient(addr)
	if err != nil {
		t.Fatalf("NewClient(%s): %v", addr, err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = testgrpc.NewTestServiceClient(conn).EmptyCall(ctx, &testgrpc.Empty{})
	return status.Code(err)
}

func TestTokenOverPlainTextLoopback(t *testing.T) {
	addr := serveWith(t, certstest.Pair{})
	for _, tc := range []struct {
		name  string
		token string
		want  codes.Code
	}{
		{"right token", token, codes.OK},
		{"wrong token", "another-token-of-enough-length", codes.Unauthenticated},
		{"no token", "", codes.Unauthenticated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := read(t, map[string]string{"GRPC_TOKEN": tc.token})
			if err != nil {
				t.Fatal(err)
			}
			if got := call(t, c, addr); got != tc.want {
				t.Errorf("EmptyCall = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTokenOverTLS(t *testing.T) {
	ca := certstest.NewCA(t, "grpcclient")
	addr := serveWith(t, ca.Server(t, "service", "127.0.0.1"))

	c, err := read(t, map[string]string{"GRPC_TOKEN": token, "GRPC_TLS_CA_FILE": ca.CertFile})
	if err != nil {
		t.Fatal(err)
	}
	if got := call(t, c, addr); got != codes.OK {
		t.Errorf("with the CA: EmptyCall = %v, want OK", got)
	}

	other := certstest.NewCA(t, "other")
	c, err = read(t, map[string]string{"GRPC_TOKEN": token, "GRPC_TLS_CA_FILE": other.CertFile})
	if err != nil {
		t.Fatal(err)
	}
	if got := call(t, c, addr); got != codes.Unavailable {
		t.Errorf("with another CA: EmptyCall = %v, want Unavailable", got)
	}
	c, _ = read(t, map[string]string{"GRPC_TOKEN": token})
	if got := call(t, c, addr); got != codes.Unavailable {
		t.Errorf("in plain text to a TLS server: EmptyCall = %v, want Unavailable", got)
	}
}

func TestNoTokenInClearBeyondLoopback(t *testing.T) {
	plain := Config{Token: token}
	for _, target := range []string{"10.1.2.3:50051", "producer:50051", "0.0.0.0:50051"} {
		_, err := plain.NewClient(target)
		if !errors.Is(err, ErrClearText) || !strings.Contains(err.Error(), "GRPC_TLS_CA_FILE") {
			t.Errorf("NewClient(%s) with a token in plain text = %v, want ErrClearText naming GRPC_TLS_CA_FILE",
				target, err)
		}
	}
	for _, c := range []Config{{}, {Token: token, TLS: &tls.Config{}}} {
		conn, err := c.NewClient("producer:50051")
		if err != nil {
			t.Errorf("NewClient(producer:50051) with token %v, TLS %v: %v", c.Token != "", c.TLS != nil, err)
			continue
		}
		conn.Close()
	}
	conn, err := plain.NewClient("localhost:50051", grpc.WithUserAgent("test"))
	if err != nil {
		t.Errorf("NewClient(localhost) with a token in plain text: %v", err)
	} else {
		conn.Close()
	}
}

func TestReadConfigErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "ca.pem")
	_, err := read(t, map[string]string{"GRPC_TLS_CA_FILE": missing, "GRPC_TOKEN": "short"})
	if err == nil {
		t.Fatal("ReadConfig with a missing CA file and a short token: no error")
	}
	for _, want := range []string{"GRPC_TLS_CA_FILE:", "GRPC_TOKEN:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s:\n%v", strings.TrimSuffix(want, ":"), err)
		}
	}
}
