package main

import (
	"errors"

	"google.golang.org/grpc"

	"github.com/clickstream/clickstream/services/platform/grpcclient"
)

// healthDialer dials the other services for their health checks with the
// token and TLS of c. Health needs no token, so to an address beyond
// loopback without TLS, where the token must not go, it dials without one.
func healthDialer(c grpcclient.Config) func(addr string) (*grpc.ClientConn, error) {
	return func(addr string) (*grpc.ClientConn, error) {
		conn, err := c.NewClient(addr)
		if errors.Is(err, grpcclient.ErrClearText) {
			return grpcclient.Config{TLS: c.TLS}.NewClient(addr)
		}
		return conn, err
	}
}
