package cli

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := percentile(d, tc.q); got != tc.want {
			t.Errorf("percentile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}

// slowAnalytics answers every call after a fixed delay and fails every
// status call, so that the load's counts and latencies can be checked.
type slowAnalytics struct {
	clickstreamv1.UnimplementedAnalyticsServiceServer
	delay  time.Duration
	funnel atomic.Int64
}

func (s *slowAnalytics) GetFunnel(ctx context.Context, _ *clickstreamv1.GetFunnelRequest) (*clickstreamv1.GetFunnelResponse, error) {
	s.funnel.Add(1)
	time.Sleep(s.delay)
	return &clickstreamv1.GetFunnelResponse{}, nil
}

func (s *slowAnalytics) GetTopItems(ctx context.Context, _ *clickstreamv1.GetTopItemsRequest) (*clickstreamv1.GetTopItemsResponse, error) {
	time.Sleep(s.delay)
	return &clickstreamv1.GetTopItemsResponse{}, nil
}

func (s *slowAnalytics) GetPipelineStatus(ctx context.Context, _ *clickstreamv1.GetPipelineStatusRequest) (*clickstreamv1.GetPipelineStatusResponse, error) {
	return nil, status.Error(codes.Internal, "no status here")
}

func TestAnalyticsLoadCountsAndTimes(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	impl := &slowAnalytics{delay: 5 * time.Millisecond}
	clickstreamv1.RegisterAnalyticsServiceServer(srv, impl)
	go srv.Serve(lis)
	defer srv.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	r := analyticsLoad(ctx, clickstreamv1.NewAnalyticsServiceClient(conn), 3, 0, time.Second)
	if len(r.Methods) != 3 || r.Clients != 3 {
		t.Fatalf("report %+v", r)
	}
	byName := map[string]methodLoad{}
	for _, m := range r.Methods {
		byName[m.Method] = m
	}
	f := byName["GetFunnel"]
	if f.Calls < 10 || f.Errors != 0 || f.P50ms < 5 || f.P99ms < f.P50ms || f.MaxMs < f.P99ms {
		t.Errorf("GetFunnel: %+v (first error %s)", f, r.FirstErr)
	}
	if served := impl.funnel.Load(); int64(f.Calls) > served {
		t.Errorf("counted %d funnel calls, the server saw %d", f.Calls, served)
	}
	s := byName["GetPipelineStatus"]
	if s.Calls == 0 || s.Errors != s.Calls || s.P50ms != 0 {
		t.Errorf("GetPipelineStatus: %+v", s)
	}
	if r.FirstErr == "" {
		t.Error("no first error reported")
	}
}
