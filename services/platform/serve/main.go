package serve

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/logging"
)

// Spec describes a service to [Main]: its name, default listen addresses,
// how it reads its own settings, and how it starts.
type Spec[C any] struct {
	Name     string
	GRPCAddr string // default for GRPC_ADDR
	HTTPAddr string // default for HTTP_ADDR

	// Config reads the service's own settings; problems go to env.
	Config func(env *config.Env) C

	// Start builds the service on the server (registering its gRPC API and
	// metrics) and returns its worker, which runs until ctx is done and must
	// then finish its work in hand and return. A nil worker is allowed.
	Start func(ctx context.Context, cfg C, srv *Server, log *slog.Logger) (func(context.Context) error, error)
}

// Main is the whole body of a service's main function: it reads the settings
// (environment first, then a .env file in the working directory), stops at
// once listing every bad setting, serves until SIGINT or SIGTERM, shuts down
// in order and exits non-zero on failure. A second signal kills the process.
// Run as `<service> healthcheck`, it checks the running service instead: see
// [Healthcheck].
func Main[C any](spec Spec[C]) {
	if len(os.Args) == 2 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck(spec))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, stop, spec)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", spec.Name, err)
		os.Exit(1)
	}
}

func run[C any](ctx context.Context, stop context.CancelFunc, spec Spec[C]) error {
	getenv, err := config.Environ(".env")
	if err != nil {
		return err
	}
	env := config.NewEnv(getenv)
	srvCfg := env.Server(spec.GRPCAddr, spec.HTTPAddr)
	var cfg C
	if spec.Config != nil {
		cfg = spec.Config(env)
	}
	if err := env.Err(); err != nil {
		return fmt.Errorf("invalid settings:\n%w", err)
	}

	log := logging.New(os.Stdout, spec.Name, srvCfg.LogLevel)
	srv, err := Listen(Options{
		Name:     spec.Name,
		GRPCAddr: srvCfg.GRPCAddr,
		HTTPAddr: srvCfg.HTTPAddr,
		Logger:   log,
		// TLS and the bearer token, from GRPC_TLS_* and GRPC_TOKEN.
		GRPCOptions: Security(srvCfg, log),
	})
	if err != nil {
		return err
	}

	var work func(context.Context) error
	if spec.Start != nil {
		if work, err = spec.Start(ctx, cfg, srv, log); err != nil {
			return fmt.Errorf("start: %w", err)
		}
	}
	log.Info("started")

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Run(gctx) })
	if work != nil {
		g.Go(func() error { return work(gctx) })
	}
	go func() {
		<-gctx.Done()
		stop() // restore default signal handling: a second signal kills
	}()
	if err := g.Wait(); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}
