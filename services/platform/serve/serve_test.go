package serve

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func TestServerLifecycle(t *testing.T) {
	notReady := errors.New("store down")
	var readyErr error = notReady
	srv, err := Listen(Options{
		Name: "test", GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		Ready: func(context.Context) error { return readyErr },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()

	base := "http://" + srv.HTTPAddr().String()
	waitHTTP(t, base+"/healthz", http.StatusOK)
	waitHTTP(t, base+"/readyz", http.StatusServiceUnavailable)
	waitHTTP(t, base+"/metrics", http.StatusOK)

	conn, err := grpc.NewClient(srv.GRPCAddr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
	defer rcancel()
	resp, err := healthpb.NewHealthClient(conn).Check(rctx, &healthpb.HealthCheckRequest{Service: "test"})
	if err != nil || resp.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health Check = %v, %v; want SERVING", resp, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(2 * StopTimeout):
		t.Fatal("Run did not return after cancel")
	}
}

func waitHTTP(t *testing.T, url string, want int) {
	t.Helper()
	var last error
	for range 50 {
		resp, err := http.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
			last = errors.New(resp.Status)
		} else {
			last = err
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v, want status %d", url, last, want)
}
