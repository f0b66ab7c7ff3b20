package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/platform/oracle"
	"github.com/clickstream/clickstream/services/platform/serve/servetest"
	"github.com/clickstream/clickstream/services/platform/testenv"
	"github.com/clickstream/clickstream/sql/pgtest"
)

func TestMain(m *testing.M) { servetest.Main(m, main) }

// analytics starts the service over a fresh schema holding the sessions of
// one clean batch pass over the sample, and returns a client and that pass.
func analytics(t *testing.T) (clickstreamv1.AnalyticsServiceClient, *oracle.Result) {
	t.Helper()
	want, err := oracle.FromFile(filepath.Join(testenv.Root(), "data", "sample.csv"), 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	pool := pgtest.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows := make([][]any, len(want.Sessions))
	for i, s := range want.Sessions {
		rows[i] = []any{s.ID, s.Visitor, s.Start, s.End, s.DurationSeconds, s.Events, s.Views, s.Carts,
			s.Transactions, nonNil(s.ItemsViewed), nonNil(s.ItemsCarted), nonNil(s.ItemsPurchased), s.Converted}
	}
	cols := []string{"session_id", "visitor_id", "session_start", "session_end", "duration_seconds", "event_count",
		"view_count", "cart_count", "transaction_count", "items_viewed", "items_carted", "items_purchased", "converted"}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"sessions"}, cols, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	p := servetest.Start(t, "PG_URL="+pool.Config().ConnString(), "KAFKA_BROKERS="+testenv.Lookup(t, "KAFKA_BROKERS"),
		"STATUS_SINK_REPLICAS=0", "PRODUCER_ADDR=127.0.0.1:1")
	conn, err := grpc.NewClient(p.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return clickstreamv1.NewAnalyticsServiceClient(conn), want
}

func nonNil(s []int64) []int64 {
	if s == nil {
		return []int64{}
	}
	return s
}

func TestIntegrationFunnelEqualsOneCleanPass(t *testing.T) {
	client, want := analytics(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := client.GetFunnel(ctx, &clickstreamv1.GetFunnelRequest{})
	if err != nil {
		t.Fatal(err)
	}
	end := want.NewestStart().Add(time.Microsecond)
	windows := []struct {
		name     string
		from, to time.Time
	}{
		{"all time", time.Time{}, time.Time{}},
		{"last day", end.Add(-24 * time.Hour), end},
		{"last month", end.Add(-30 * 24 * time.Hour), end},
	}
	if len(resp.Funnels) != len(windows) {
		t.Fatalf("got %d funnels, want %d", len(resp.Funnels), len(windows))
	}
	for i, w := range windows {
		f, o := resp.Funnels[i], want.Funnel(w.from, w.to)
		got := [4]int64{f.Sessions, f.CartSessions, f.PurchaseSessions, f.Purchases}
		exp := [4]int64{o.Sessions, o.CartSessions, o.PurchaseSessions, o.Purchases}
		if got != exp || !near(f.ConversionRate, o.ConversionRate) || !near(f.CartAbandonment, o.CartAbandonment) ||
			!near(f.AvgItemsPerPurchase, o.AvgItemsPerPurchase) {
			t.Fatalf("%s: funnel %+v, one clean pass %+v", w.name, f, o)
		}
		if o.Sessions == 0 {
			t.Fatalf("%s: the sample has no sessions in this window; the test proves nothing", w.name)
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestIntegrationBadArgumentsAndDeadlines(t *testing.T) {
	client, _ := analytics(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := time.Now()
	bad := []struct {
		name string
		call func() error
		want string
	}{
		{"range backwards", func() error {
			_, err := client.GetFunnel(ctx, &clickstreamv1.GetFunnelRequest{Windows: []*clickstreamv1.Window{{
				Window: &clickstreamv1.Window_Range{Range: &clickstreamv1.TimeRange{
					Start: timestamppb.New(now), End: timestamppb.New(now.Add(-time.Hour))}}}}})
			return err
		}, "is not before"},
		{"empty window", func() error {
			_, err := client.GetFunnel(ctx, &clickstreamv1.GetFunnelRequest{Windows: []*clickstreamv1.Window{{}}})
			return err
		}, "no window set"},
		{"top items without kind", func() error {
			_, err := client.GetTopItems(ctx, &clickstreamv1.GetTopItemsRequest{})
			return err
		}, "kind must be"},
		{"top items limit", func() error {
			_, err := client.GetTopItems(ctx, &clickstreamv1.GetTopItemsRequest{Kind: clickstreamv1.ItemKind_ITEM_KIND_VIEWED, Limit: 5000})
			return err
		}, "limit must be"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), tc.want) {
				t.Fatalf("err = %v, want InvalidArgument saying %q", err, tc.want)
			}
		})
	}
	expired, cancel2 := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel2()
	time.Sleep(time.Millisecond)
	if _, err := client.GetFunnel(expired, &clickstreamv1.GetFunnelRequest{}); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("GetFunnel past its deadline = %v, want DeadlineExceeded", err)
	}
	top, err := client.GetTopItems(ctx, &clickstreamv1.GetTopItemsRequest{Kind: clickstreamv1.ItemKind_ITEM_KIND_VIEWED, Limit: 3})
	if err != nil || len(top.Items) != 0 {
		t.Fatalf("top items over a schema without events = %v, %v; want none", top, err)
	}
}

func TestIntegrationPipelineStatus(t *testing.T) {
	client, want := analytics(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := client.GetPipelineStatus(ctx, &clickstreamv1.GetPipelineStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	stores := map[string]*clickstreamv1.StoreStatus{}
	for _, s := range st.Stores {
		stores[s.Name] = s
	}
	if pg := stores["postgresql"]; !pg.GetReachable() || pg.Counts["sessions"] != int64(len(want.Sessions)) {
		t.Fatalf("postgresql status = %v, want reachable with %d sessions", pg, len(want.Sessions))
	}
	if k := stores["kafka"]; !k.GetReachable() {
		t.Fatalf("kafka status = %v, want reachable", k)
	}
	if v := stores["valkey"]; v.GetReachable() || v.GetError() == "" {
		t.Fatalf("valkey status = %v, want unreachable with a reason (not configured)", v)
	}
	if len(st.Services) != 1 || st.Services[0].Name != "producer" || st.Services[0].Health != "UNREACHABLE" {
		t.Fatalf("services = %v, want the producer, unreachable", st.Services)
	}
}

// Before any sink has run there are no tables and no index: the stores are
// reachable, hold nothing, and say what they lack.
func TestIntegrationPipelineStatusBeforeAnySink(t *testing.T) {
	p := servetest.Start(t, "PG_URL="+pgtest.Schema(t), "KAFKA_BROKERS="+testenv.Lookup(t, "KAFKA_BROKERS"),
		"OPENSEARCH_URL="+testenv.Lookup(t, "OPENSEARCH_URL"),
		"SEARCHSINK_INDEX=clickstream-events-never-"+strings.ToLower(t.Name()),
		"STATUS_SINK_REPLICAS=0", "PRODUCER_ADDR=127.0.0.1:1")
	conn, err := grpc.NewClient(p.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := clickstreamv1.NewAnalyticsServiceClient(conn).GetPipelineStatus(ctx, &clickstreamv1.GetPipelineStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st.Stores {
		switch s.Name {
		case "postgresql":
			if !s.Reachable || s.Counts["events"] != 0 || s.Counts["sessions"] != 0 || !strings.Contains(s.Note, "no tables") {
				t.Errorf("postgresql status = %v, want reachable, empty, with a note on the missing tables", s)
			}
		case "opensearch":
			if !s.Reachable || s.Counts["documents"] != 0 || !strings.Contains(s.Note, "no index") {
				t.Errorf("opensearch status = %v, want reachable, empty, with a note on the missing index", s)
			}
		}
	}
}

func TestIntegrationLifecycle(t *testing.T) {
	servetest.CheckLifecycle(t, "analytics", "PG_URL="+pgtest.Schema(t), "KAFKA_BROKERS="+testenv.Lookup(t, "KAFKA_BROKERS"))
}

func TestBadSettingsStopAtStart(t *testing.T) {
	out, err := servetest.Exit(t, "PG_URL=", "KAFKA_BROKERS=", "STATUS_SINK_REPLICAS=99")
	if err == nil {
		t.Fatalf("analytics started with bad settings:\n%s", out)
	}
	for _, name := range []string{"PG_URL", "KAFKA_BROKERS", "STATUS_SINK_REPLICAS"} {
		if !strings.Contains(out, name) {
			t.Errorf("output does not name %s:\n%s", name, out)
		}
	}
}

func TestIntegrationWatchFunnelPushes(t *testing.T) {
	client, want := analytics(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := client.WatchFunnel(ctx, &clickstreamv1.WatchFunnelRequest{Interval: durationpb.New(100 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
		if msg.AllTime.GetSessions() != int64(len(want.Sessions)) || msg.Status == nil {
			t.Fatalf("push %d = %v, want %d sessions and a status", i, msg, len(want.Sessions))
		}
	}
	bad, err := client.WatchFunnel(ctx, &clickstreamv1.WatchFunnelRequest{Interval: durationpb.New(time.Millisecond)})
	if err == nil {
		_, err = bad.Recv()
	}
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("WatchFunnel every 1ms = %v, want InvalidArgument", err)
	}
}
