package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
)

// fixtureFunnel is a funnel with the given counts and the rates the service
// derives from them; abandoned is the cart sessions without a purchase and
// items the distinct items bought over all purchasing sessions.
func fixtureFunnel(sessions, carts, purchasing, purchases, abandoned, items int64) *clickstreamv1.Funnel {
	return &clickstreamv1.Funnel{
		Sessions: sessions, CartSessions: carts, PurchaseSessions: purchasing, Purchases: purchases,
		ConversionRate:      100 * float64(purchasing) / float64(sessions),
		CartAbandonment:     100 * float64(abandoned) / float64(carts),
		AvgItemsPerPurchase: float64(items) / float64(purchasing),
	}
}

// fixtureFunnels answers windows with fixed funnels, as the analytics
// service would: in order, each with its window.
func fixtureFunnels(windows []*clickstreamv1.Window) *clickstreamv1.GetFunnelResponse {
	resp := &clickstreamv1.GetFunnelResponse{}
	for _, w := range windows {
		var f *clickstreamv1.Funnel
		switch {
		case w.GetAllTime():
			f = fixtureFunnel(1556456, 61822, 17345, 22457, 44477, 22457)
		case w.GetLastDay():
			f = fixtureFunnel(3212, 141, 37, 52, 104, 50)
			f.Range = fixtureRange("2015-09-17T02:59:47Z", "2015-09-18T02:59:47Z")
		case w.GetLastMonth():
			f = fixtureFunnel(98765, 4010, 1122, 1460, 2920, 1451)
			f.Range = fixtureRange("2015-08-19T02:59:47Z", "2015-09-18T02:59:47Z")
		default:
			f = fixtureFunnel(20480, 812, 230, 301, 590, 297)
			f.Range = w.GetRange()
		}
		f.Window = w
		resp.Funnels = append(resp.Funnels, f)
	}
	return resp
}

func fixtureRange(start, end string) *clickstreamv1.TimeRange {
	parse := func(s string) *timestamppb.Timestamp {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return timestamppb.New(t)
	}
	return &clickstreamv1.TimeRange{Start: parse(start), End: parse(end)}
}

func mustWindows(t *testing.T, from, to string) []*clickstreamv1.Window {
	t.Helper()
	w, err := funnelWindows(from, to)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestAnalyticsGolden(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		golden   string
	}{
		{name: "windows", golden: "analytics"},
		{name: "range", from: "2015-09-01T00:00:00Z", to: "2015-09-08T00:00:00Z", golden: "analytics_range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := fixtureFunnels(mustWindows(t, tc.from, tc.to))
			var human, js bytes.Buffer
			if err := renderAnalytics(&human, resp, false); err != nil {
				t.Fatal(err)
			}
			if err := renderAnalytics(&js, resp, true); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.golden+".txt", human.Bytes())
			golden(t, tc.golden+".json", js.Bytes())
		})
	}
}

func TestAnalyticsJSONKeys(t *testing.T) {
	var js bytes.Buffer
	if err := renderAnalytics(&js, fixtureFunnels(mustWindows(t, "", "")), true); err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]float64
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := []string{"sessions", "cart_sessions", "purchase_sessions", "purchases",
		"conversion_rate", "cart_abandonment", "avg_items_per_purchase"}
	if len(got) != 3 {
		t.Fatalf("keys %v, want all_time, last_day, last_month", got)
	}
	for _, window := range []string{"all_time", "last_day", "last_month"} {
		if len(got[window]) != len(want) {
			t.Fatalf("%s has %v, want the keys %v", window, got[window], want)
		}
		for _, k := range want {
			if _, ok := got[window][k]; !ok {
				t.Fatalf("%s lacks %q", window, k)
			}
		}
	}
}

func TestFunnelWindows(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		want     int
		fails    string
	}{
		{name: "default windows", want: 3},
		{name: "range", from: "2015-09-01T00:00:00Z", to: "2015-09-08T00:00:00+02:00", want: 1},
		{name: "only from", from: "2015-09-01T00:00:00Z", fails: "--from and --to go together"},
		{name: "only to", to: "2015-09-01T00:00:00Z", fails: "--from and --to go together"},
		{name: "date without time", from: "2015-09-01", to: "2015-09-08T00:00:00Z", fails: `--from "2015-09-01": want an RFC 3339 time`},
		{name: "bad to", from: "2015-09-01T00:00:00Z", to: "tomorrow", fails: `--to "tomorrow"`},
		{name: "empty range", from: "2015-09-01T00:00:00Z", to: "2015-09-01T00:00:00Z", fails: "is not after --from"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := funnelWindows(tc.from, tc.to)
			if tc.fails != "" {
				if err == nil || !strings.Contains(err.Error(), tc.fails) {
					t.Fatalf("funnelWindows error = %v, want one containing %q", err, tc.fails)
				}
				return
			}
			if err != nil || len(got) != tc.want {
				t.Fatalf("funnelWindows = %v, %v; want %d windows", got, err, tc.want)
			}
		})
	}
}

func TestFillWindows(t *testing.T) {
	windows := mustWindows(t, "", "")
	resp := fixtureFunnels(windows)
	resp.Funnels[1].Window = nil
	if err := fillWindows(windows, resp); err != nil || !resp.Funnels[1].GetWindow().GetLastDay() {
		t.Fatalf("fillWindows = %v; second window %v, want last_day", err, resp.Funnels[1].GetWindow())
	}

	resp.Funnels = resp.Funnels[:2]
	if err := fillWindows(windows, resp); err == nil || !strings.Contains(err.Error(), "2 funnels for 3 windows") {
		t.Fatalf("fillWindows error = %v, want a count mismatch", err)
	}
}

// fakeAnalytics answers GetFunnel and GetPipelineStatus with the fixtures
// and records the funnel requests.
type fakeAnalytics struct {
	clickstreamv1.UnimplementedAnalyticsServiceServer
	mu       sync.Mutex
	requests []*clickstreamv1.GetFunnelRequest
}

var _ clickstreamv1.AnalyticsServiceServer = (*fakeAnalytics)(nil)

func (s *fakeAnalytics) GetFunnel(_ context.Context, req *clickstreamv1.GetFunnelRequest) (*clickstreamv1.GetFunnelResponse, error) {
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	return fixtureFunnels(req.GetWindows()), nil
}

func (s *fakeAnalytics) GetPipelineStatus(context.Context, *clickstreamv1.GetPipelineStatusRequest) (*clickstreamv1.GetPipelineStatusResponse, error) {
	return fixtureStatus(), nil
}

func (s *fakeAnalytics) lastRequest() *clickstreamv1.GetFunnelRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return nil
	}
	return s.requests[len(s.requests)-1]
}

// startFakeAnalytics serves a fakeAnalytics and the gRPC health service on
// a loopback port and points ANALYTICS_ADDR at it.
func startFakeAnalytics(t *testing.T) *fakeAnalytics {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeAnalytics{}
	srv := grpc.NewServer()
	clickstreamv1.RegisterAnalyticsServiceServer(srv, fake)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)

	t.Setenv("ANALYTICS_ADDR", ln.Addr().String())
	t.Setenv("KAFKA_BROKERS", "127.0.0.1:1") // required by the settings, unused here
	return fake
}

// runCLI runs the command line without a dotenv file.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(t.Context(), append([]string{"--env-file", "/nonexistent"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func readGolden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	return string(b)
}

func TestAnalyticsCommand(t *testing.T) {
	fake := startFakeAnalytics(t)
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{name: "table", args: []string{"analytics"}, golden: "analytics.txt"},
		{name: "json", args: []string{"analytics", "--json"}, golden: "analytics.json"},
		{
			name:   "range",
			args:   []string{"analytics", "--json", "--from", "2015-09-01T00:00:00Z", "--to", "2015-09-08T00:00:00Z"},
			golden: "analytics_range.json",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if want := readGolden(t, tc.golden); stdout != want {
				t.Fatalf("stdout:\n%s\nwant (%s):\n%s", stdout, tc.golden, want)
			}
		})
	}

	want := &clickstreamv1.GetFunnelRequest{
		Windows: []*clickstreamv1.Window{{Window: &clickstreamv1.Window_Range{
			Range: fixtureRange("2015-09-01T00:00:00Z", "2015-09-08T00:00:00Z"),
		}}},
	}
	if got := fake.lastRequest(); !proto.Equal(got, want) {
		t.Fatalf("last request %v, want %v", got, want)
	}
}

func TestAnalyticsUnreachableIsOneClearLine(t *testing.T) {
	t.Setenv("ANALYTICS_ADDR", "127.0.0.1:1") // nothing listens; nothing is started
	t.Setenv("KAFKA_BROKERS", "127.0.0.1:1")
	for _, args := range [][]string{{"analytics", "--json"}, {"status"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, args...)
			if code == 0 {
				t.Fatal("succeeded against an unreachable analytics service")
			}
			msg := strings.TrimSpace(stderr)
			if strings.Count(msg, "\n") != 0 || !strings.HasPrefix(msg, "clickstream: analytics at 127.0.0.1:1 is not reachable: ") {
				t.Fatalf("stderr = %q, want one line naming the analytics service and its address", msg)
			}
			if stdout != "" {
				t.Fatalf("stdout = %q, want nothing", stdout)
			}
		})
	}
}
