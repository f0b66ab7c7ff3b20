package serve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestHealthcheck(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("ok\n"))
	}))
	defer ok.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	_, okPort, _ := net.SplitHostPort(ok.Listener.Addr().String())

	tests := []struct {
		name    string
		addr    string
		wantErr string // "" for healthy
	}{
		{"loopback", ok.Listener.Addr().String(), ""},
		{"any IPv4 address is asked on loopback", "0.0.0.0:" + okPort, ""},
		{"any IPv6 address is asked on loopback", "[::]:" + okPort, ""},
		{"empty host is asked on loopback", ":" + okPort, ""},
		{"not 200", failing.Listener.Addr().String(), "503 Service Unavailable"},
		{"nothing listens", closedAddr(t), "connection refused"},
		{"not host:port", "8081", `HTTP_ADDR "8081"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := Healthcheck(ctx, tc.addr)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Healthcheck(%q) = %v, want nil", tc.addr, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Healthcheck(%q) = %v, want an error containing %q", tc.addr, err, tc.wantErr)
			}
		})
	}
}

// closedAddr returns a loopback address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

const healthcheckChildEnv = "CLICKSTREAM_SERVE_HEALTHCHECK_CHILD"

// TestMainHealthcheck runs [Main] as `<service> healthcheck` in a child
// process, as a container's health check does, against a running [Server]
// and after it stopped, and checks the exit code and the message.
func TestMainHealthcheck(t *testing.T) {
	if os.Getenv(healthcheckChildEnv) == "1" {
		os.Args = []string{os.Args[0], "healthcheck"}
		Main(Spec[struct{}]{
			Name: "test", GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:1",
			Start: func(context.Context, struct{}, *Server, *slog.Logger) (func(context.Context) error, error) {
				return nil, errors.New("healthcheck must not start the service")
			},
		})
		t.Fatal("Main returned instead of exiting")
	}

	srv, err := Listen(Options{Name: "test", GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	_, port, _ := net.SplitHostPort(srv.HTTPAddr().String())
	waitHTTP(t, "http://"+srv.HTTPAddr().String()+"/healthz", http.StatusOK)

	// The address a container gives: every interface, asked on loopback.
	if out, code := runHealthcheck(t, "HTTP_ADDR=0.0.0.0:"+port); code != 0 {
		t.Fatalf("healthcheck of a running service: exit %d, want 0\n%s", code, out)
	}
	if out, code := runHealthcheck(t, "HTTP_ADDR=nonsense"); code != 1 || !strings.Contains(out, "HTTP_ADDR") {
		t.Fatalf("healthcheck with a bad HTTP_ADDR: exit %d, want 1 and a message naming HTTP_ADDR\n%s", code, out)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	out, code := runHealthcheck(t, "HTTP_ADDR=0.0.0.0:"+port)
	if code != 1 || !strings.Contains(out, "test healthcheck: get http://127.0.0.1:"+port+"/healthz") {
		t.Fatalf("healthcheck of a stopped service: exit %d, want 1 and the URL it asked\n%s", code, out)
	}
}

// runHealthcheck runs this test binary as `<service> healthcheck` with env
// and returns its output and exit code.
func runHealthcheck(t *testing.T, env ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*HealthcheckTimeout+5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestMainHealthcheck$")
	cmd.Dir = t.TempDir() // no .env there
	cmd.Env = append([]string{healthcheckChildEnv + "=1", "PATH=" + os.Getenv("PATH")}, env...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	default:
		t.Fatalf("run healthcheck: %v\n%s", err, out)
		return "", -1
	}
}
