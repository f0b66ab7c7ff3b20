// Command clickstream is the operator's tool for the clickstream pipeline:
// it starts and stops the services, replays data, and shows status and
// analytics.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/clickstream/clickstream/services/clickstream/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
