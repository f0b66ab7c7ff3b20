package serve

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/clickstream/clickstream/services/platform/config"
)

// HealthcheckTimeout bounds one health check, connection included.
const HealthcheckTimeout = 3 * time.Second

// Healthcheck asks a running service for GET /healthz at its HTTP listen
// address and returns nil when the answer is 200 OK. An unspecified host
// (none, 0.0.0.0 or [::]) is asked on 127.0.0.1. It is what a container
// image without a shell or curl runs as its health check, through the
// `healthcheck` argument of [Main].
func Healthcheck(ctx context.Context, httpAddr string) error {
	host, port, err := net.SplitHostPort(httpAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR %q: %w", httpAddr, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	url := "http://" + net.JoinHostPort(host, port) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	// No proxy from the environment: the service is asked directly.
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: %s", url, resp.Status)
	}
	return nil
}

// healthcheck is [Main] run as `<service> healthcheck`: it reads HTTP_ADDR as
// the service does, checks the running service there and returns the exit
// code, 0 when it is healthy.
func healthcheck[C any](spec Spec[C]) int {
	getenv, err := config.Environ(".env")
	if err == nil {
		env := config.NewEnv(getenv)
		addr := env.Addr("HTTP_ADDR", spec.HTTPAddr)
		if err = env.Err(); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), HealthcheckTimeout)
			defer cancel()
			err = Healthcheck(ctx, addr)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s healthcheck: %v\n", spec.Name, err)
		return 1
	}
	return 0
}
