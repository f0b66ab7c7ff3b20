package main

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/platform/certs/certstest"
	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/grpcclient"
	"github.com/clickstream/clickstream/services/platform/serve"
	"github.com/clickstream/clickstream/services/platform/serve/servetest"
	"github.com/clickstream/clickstream/services/platform/testenv"
	"github.com/clickstream/clickstream/sql/pgtest"
)

const testToken = "analytics-test-token-1f2e3d4c"

// healthServer runs a gRPC server with the security settings of cfg on a
// random loopback port and returns its address.
func healthServer(t *testing.T, cfg config.Server) string {
	t.Helper()
	cfg.GRPCAddr = "127.0.0.1:0"
	srv, err := serve.Listen(serve.Options{
		Name: "producer", GRPCAddr: cfg.GRPCAddr, HTTPAddr: "127.0.0.1:0",
		GRPCOptions: serve.Security(cfg, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return srv.GRPCAddr().String()
}

func TestStatusAsksServicesOverTLS(t *testing.T) {
	ca := certstest.NewCA(t, "analytics")
	pair := ca.Server(t, "producer", "127.0.0.1")
	cert, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	addr := healthServer(t, config.Server{Token: testToken, TLS: &cert})

	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"with the CA", map[string]string{"GRPC_TOKEN": testToken, "GRPC_TLS_CA_FILE": ca.CertFile}, "SERVING"},
		{"without the CA", map[string]string{"GRPC_TOKEN": testToken}, "UNREACHABLE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := config.NewEnv(func(k string) string { return tc.vars[k] })
			c := grpcclient.ReadConfig(env)
			if err := env.Err(); err != nil {
				t.Fatal(err)
			}
			conn, err := healthDialer(c)(addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			state := "UNREACHABLE"
			if resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err == nil {
				state = resp.GetStatus().String()
			}
			if state != tc.want {
				t.Fatalf("health of a TLS service %s = %s, want %s", tc.name, state, tc.want)
			}
		})
	}
}

func TestHealthDialerKeepsTheTokenOffClearText(t *testing.T) {
	dial := healthDialer(grpcclient.Config{Token: testToken})
	conn, err := dial("10.255.255.1:50051")
	if err != nil {
		t.Fatalf("dial beyond loopback in plain text: %v, want a connection without the token", err)
	}
	conn.Close()
	if _, err := (grpcclient.Config{Token: testToken}).NewClient("10.255.255.1:50051"); err == nil {
		t.Fatal("the token would go in clear text beyond loopback")
	}
}

func TestIntegrationTokenRequired(t *testing.T) {
	p := servetest.Start(t, "PG_URL="+pgtest.Schema(t), "KAFKA_BROKERS="+testenv.Lookup(t, "KAFKA_BROKERS"),
		"STATUS_SINK_REPLICAS=0", "PRODUCER_ADDR=127.0.0.1:1", "GRPC_TOKEN="+testToken, "LOG_LEVEL=debug")
	conn, err := grpcclient.Config{}.NewClient(p.GRPCAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := clickstreamv1.NewAnalyticsServiceClient(conn)
	for _, tc := range []struct {
		name  string
		token string
		want  codes.Code
	}{
		{"no token", "", codes.Unauthenticated},
		{"wrong token", "not-" + testToken, codes.Unauthenticated},
		{"right token", testToken, codes.OK},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if tc.token != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tc.token)
		}
		_, err := client.GetPipelineStatus(ctx, &clickstreamv1.GetPipelineStatusRequest{})
		cancel()
		if got := status.Code(err); got != tc.want {
			t.Errorf("%s: GetPipelineStatus = %v (%v), want %v", tc.name, got, err, tc.want)
		}
	}
	if out := p.Output(); strings.Contains(out, testToken) {
		t.Errorf("the service logged the token:\n%s", out)
	} else if !strings.Contains(out, `"msg":"unauthenticated call"`) {
		t.Errorf("the refused calls were not logged:\n%s", out)
	}
}
