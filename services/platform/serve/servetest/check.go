package servetest

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// CheckLifecycle starts the service with env, checks /healthz and gRPC
// health, then stops it with SIGTERM and wants a clean exit within 10s.
func CheckLifecycle(t *testing.T, service string, env ...string) {
	t.Helper()
	p := Start(t, env...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	resp, err := http.Get("http://" + p.HTTPAddr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %s, want 200", resp.Status)
	}

	conn, err := grpc.NewClient(p.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hr, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil || hr.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health Check(%q) = %v, %v; want SERVING", service, hr, err)
	}

	took, err := p.Stop(ctx)
	if err != nil {
		t.Fatalf("after SIGTERM: exit %v after %v\n%s", err, took, p.Output())
	}
	if took > 10*time.Second {
		t.Fatalf("SIGTERM took %v to stop, want under 10s", took)
	}
}
