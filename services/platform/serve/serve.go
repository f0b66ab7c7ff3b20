// Package serve runs the two listeners every clickstream service has: gRPC
// with the standard health service and server reflection, and HTTP with
// /healthz, /readyz and Prometheus /metrics.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/clickstream/clickstream/services/platform/logging"
)

// StopTimeout bounds a graceful gRPC stop; streams still open then are cut.
const StopTimeout = 5 * time.Second

// MaxRecvMsgSize is the largest gRPC request message a server takes: 4 MiB,
// far above any request of the clickstream APIs. A larger one is refused
// with codes.ResourceExhausted before any handler sees it.
// [Options.GRPCOptions] may set another limit with grpc.MaxRecvMsgSize.
const MaxRecvMsgSize = 4 << 20

// Options configures a [Server]. Name, GRPCAddr and HTTPAddr are required.
type Options struct {
	Name     string // service name, reported by the health service
	GRPCAddr string
	HTTPAddr string
	Logger   *slog.Logger // nil discards

	// Ready reports whether the service can do its work; /readyz answers 503
	// with its error. Nil means always ready.
	Ready func(ctx context.Context) error

	// GRPCOptions are passed to grpc.NewServer (interceptors, TLS, limits).
	GRPCOptions []grpc.ServerOption
}

// Server owns a service's gRPC server, HTTP mux and metrics registry. Create
// it with [Listen], register the service's own APIs and metrics, then [Run].
type Server struct {
	name     string
	log      *slog.Logger
	ready    atomic.Pointer[func(context.Context) error]
	grpc     *grpc.Server
	health   *health.Server
	mux      *http.ServeMux
	registry *prometheus.Registry
	grpcLis  net.Listener
	httpLis  net.Listener

	// Health is SERVING while the server runs and the service has not said
	// otherwise through SetServing.
	running, degraded atomic.Bool
}

// Listen binds both addresses and prepares the servers without serving yet,
// so that a bad address fails at start and port 0 can be used in tests.
func Listen(opts Options) (*Server, error) {
	grpcLis, err := net.Listen("tcp", opts.GRPCAddr)
	if err != nil {
		return nil, fmt.Errorf("listen grpc: %w", err)
	}
	httpLis, err := net.Listen("tcp", opts.HTTPAddr)
	if err != nil {
		grpcLis.Close()
		return nil, fmt.Errorf("listen http: %w", err)
	}

	s := &Server{
		name:     opts.Name,
		log:      logging.OrDiscard(opts.Logger),
		grpc:     grpc.NewServer(append([]grpc.ServerOption{grpc.MaxRecvMsgSize(MaxRecvMsgSize)}, opts.GRPCOptions...)...),
		health:   health.NewServer(),
		mux:      http.NewServeMux(),
		registry: prometheus.NewRegistry(),
		grpcLis:  grpcLis,
		httpLis:  httpLis,
	}
	if opts.Ready != nil {
		s.SetReady(opts.Ready)
	}
	s.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	s.applyHealth()

	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET /readyz", s.serveReady)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	return s, nil
}

// GRPC returns the gRPC server, to register the service's own APIs on.
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// Mux returns the HTTP mux, to add handlers next to the standard ones.
func (s *Server) Mux() *http.ServeMux { return s.mux }

// Registry returns the Prometheus registry that /metrics serves.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// GRPCAddr returns the bound gRPC address.
func (s *Server) GRPCAddr() net.Addr { return s.grpcLis.Addr() }

// HTTPAddr returns the bound HTTP address.
func (s *Server) HTTPAddr() net.Addr { return s.httpLis.Addr() }

// SetReady sets what /readyz checks: the stores the service cannot work
// without. Services call it from their Start.
func (s *Server) SetReady(ready func(context.Context) error) {
	s.ready.Store(&ready)
}

// SetServing says whether the service can do its work: false reports
// NOT_SERVING through the gRPC health service (of the whole server and of
// the named service) until it is set back, also before [Server.Run].
func (s *Server) SetServing(ok bool) {
	s.degraded.Store(!ok)
	s.applyHealth()
}

func (s *Server) applyHealth() {
	status := healthpb.HealthCheckResponse_NOT_SERVING
	if s.running.Load() && !s.degraded.Load() {
		status = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus("", status)
	s.health.SetServingStatus(s.name, status)
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if ready := s.ready.Load(); ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := (*ready)(ctx); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	fmt.Fprintln(w, "ready")
}

// Run serves both listeners until ctx is done, then reports NOT_SERVING,
// stops gRPC gracefully (cutting it after [StopTimeout]) and shuts HTTP down.
// It returns nil after a clean stop.
func (s *Server) Run(ctx context.Context) error {
	httpSrv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- s.grpc.Serve(s.grpcLis) }()
	go func() { errc <- httpSrv.Serve(s.httpLis) }()

	s.running.Store(true)
	s.applyHealth()
	s.log.Info("serving", "grpc_addr", s.GRPCAddr().String(), "http_addr", s.HTTPAddr().String())

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("serve: %w", err)
	}

	s.running.Store(false)
	s.applyHealth()
	s.stopGRPC()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), StopTimeout)
	defer cancel()
	if herr := httpSrv.Shutdown(shutdownCtx); herr != nil && !errors.Is(herr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("shutdown http: %w", herr))
	}
	return err
}

func (s *Server) stopGRPC() {
	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(StopTimeout):
		s.grpc.Stop()
		<-done
	}
}
