// Package rpc serves clickstream.v1.AnalyticsService: it checks requests,
// turns them into funnel queries and status probes, and maps errors to gRPC
// codes.
package rpc

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/analytics/internal/funnel"
	"github.com/clickstream/clickstream/services/analytics/internal/probe"
	"github.com/clickstream/clickstream/services/analytics/internal/snapshot"
	"github.com/clickstream/clickstream/sql/db"
)

// MaxWindows bounds the windows of one funnel request.
const MaxWindows = 16

// Server implements the analytics API.
type Server struct {
	clickstreamv1.UnimplementedAnalyticsServiceServer
	queries *db.Queries
	funnels *funnel.Cache
	top     *snapshot.Cache[topItems, []db.TopItemsRow]
	status  *snapshot.Cache[struct{}, probe.Report]
	probe   func(context.Context) probe.Report
}

var _ clickstreamv1.AnalyticsServiceServer = (*Server)(nil)

// New returns a server querying through queries and probing with check.
// Funnels and top items are exact for the data version they were computed
// at and, like status reports, may serve other callers for maxAge after;
// with maxAge 0 every answer is computed for its caller's data version.
func New(queries *db.Queries, check func(context.Context) probe.Report, maxAge time.Duration) *Server {
	return &Server{
		queries: queries,
		funnels: funnel.NewCache(queries, maxAge),
		top:     snapshot.New[topItems, []db.TopItemsRow](maxAge),
		status:  snapshot.New[struct{}, probe.Report](maxAge),
		probe:   check,
	}
}

// GetFunnel computes the funnel of each window.
func (s *Server) GetFunnel(ctx context.Context, req *clickstreamv1.GetFunnelRequest) (*clickstreamv1.GetFunnelResponse, error) {
	windows, err := funnelWindows(req)
	if err != nil {
		return nil, err
	}
	counts, err := s.funnels.Compute(ctx, windows, WantsFresh(ctx))
	if err != nil {
		return nil, errorStatus(err)
	}
	resp := &clickstreamv1.GetFunnelResponse{}
	for _, c := range counts {
		resp.Funnels = append(resp.Funnels, funnelProto(c))
	}
	return resp, nil
}

// The checks below return InvalidArgument statuses whose messages start with
// the path of the field at fault, such as windows[2].range.start.

// funnelWindows checks a funnel request and returns its windows: all time,
// last day and last month when it names none.
func funnelWindows(req *clickstreamv1.GetFunnelRequest) ([]funnel.Window, error) {
	ws := req.GetWindows()
	if len(ws) > MaxWindows {
		return nil, status.Errorf(codes.InvalidArgument, "windows: at most %d, got %d", MaxWindows, len(ws))
	}
	if len(ws) == 0 {
		return []funnel.Window{{Kind: funnel.AllTime}, {Kind: funnel.LastDay}, {Kind: funnel.LastMonth}}, nil
	}
	windows := make([]funnel.Window, len(ws))
	for i, w := range ws {
		var err error
		if windows[i], err = window(w, fmt.Sprintf("windows[%d]", i)); err != nil {
			return nil, err
		}
	}
	return windows, nil
}

// window checks a requested window; field is its path in the request.
func window(w *clickstreamv1.Window, field string) (funnel.Window, error) {
	switch v := w.GetWindow().(type) {
	case *clickstreamv1.Window_AllTime:
		return funnel.Window{Kind: funnel.AllTime}, nil
	case *clickstreamv1.Window_LastDay:
		return funnel.Window{Kind: funnel.LastDay}, nil
	case *clickstreamv1.Window_LastMonth:
		return funnel.Window{Kind: funnel.LastMonth}, nil
	case *clickstreamv1.Window_Range:
		return timeRange(v.Range, field+".range")
	}
	return funnel.Window{}, status.Errorf(codes.InvalidArgument,
		"%s: no window set: choose all_time, last_day, last_month or range", field)
}

func timeRange(r *clickstreamv1.TimeRange, field string) (funnel.Window, error) {
	for _, b := range []struct {
		name string
		ts   *timestamppb.Timestamp
	}{{"start", r.GetStart()}, {"end", r.GetEnd()}} {
		if b.ts == nil {
			return funnel.Window{}, status.Errorf(codes.InvalidArgument,
				"%s.%s is missing: a range needs a start and an end", field, b.name)
		}
		if err := b.ts.CheckValid(); err != nil {
			return funnel.Window{}, status.Errorf(codes.InvalidArgument, "%s.%s: %v", field, b.name, err)
		}
	}
	start, end := r.GetStart().AsTime(), r.GetEnd().AsTime()
	if !start.Before(end) {
		return funnel.Window{}, status.Errorf(codes.InvalidArgument, "%s: start %s is not before end %s",
			field, start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano))
	}
	return funnel.Window{Kind: funnel.Range, Start: start, End: end}, nil
}

func funnelProto(c funnel.Counts) *clickstreamv1.Funnel {
	f := &clickstreamv1.Funnel{
		Sessions: c.Sessions, CartSessions: c.CartSessions, PurchaseSessions: c.PurchaseSessions,
		Purchases: c.Purchases, ConversionRate: c.ConversionRate, CartAbandonment: c.CartAbandonment,
		AvgItemsPerPurchase: c.AvgItemsPerPurchase, Range: &clickstreamv1.TimeRange{},
	}
	switch c.Kind {
	case funnel.AllTime:
		f.Window = &clickstreamv1.Window{Window: &clickstreamv1.Window_AllTime{AllTime: true}}
	case funnel.LastDay:
		f.Window = &clickstreamv1.Window{Window: &clickstreamv1.Window_LastDay{LastDay: true}}
	case funnel.LastMonth:
		f.Window = &clickstreamv1.Window{Window: &clickstreamv1.Window_LastMonth{LastMonth: true}}
	case funnel.Range:
		f.Window = &clickstreamv1.Window{Window: &clickstreamv1.Window_Range{Range: &clickstreamv1.TimeRange{
			Start: timestamppb.New(c.Start), End: timestamppb.New(c.End)}}}
	}
	if !c.From.IsZero() {
		f.Range.Start = timestamppb.New(c.From)
	}
	if !c.To.IsZero() {
		f.Range.End = timestamppb.New(c.To)
	}
	return f
}

var eventTypes = map[clickstreamv1.ItemKind]string{
	clickstreamv1.ItemKind_ITEM_KIND_VIEWED:    "view",
	clickstreamv1.ItemKind_ITEM_KIND_CARTED:    "addtocart",
	clickstreamv1.ItemKind_ITEM_KIND_PURCHASED: "transaction",
}

// GetTopItems ranks items by their events of one type in a window of event
// time.
func (s *Server) GetTopItems(ctx context.Context, req *clickstreamv1.GetTopItemsRequest) (*clickstreamv1.GetTopItemsResponse, error) {
	q, err := checkTopItems(req)
	if err != nil {
		return nil, err
	}
	v, err := s.queries.DataVersion(ctx)
	if err != nil {
		return nil, errorStatus(fmt.Errorf("data version: %w", err))
	}
	rows, err := getter(s.top, WantsFresh(ctx))(ctx, q, funnel.Version(v), func(ctx context.Context) ([]db.TopItemsRow, error) {
		from, to, err := funnel.Bounds(ctx, s.queries, q.window)
		if err != nil {
			return nil, err
		}
		return s.queries.TopItems(ctx, db.TopItemsParams{EventType: q.eventType, FromTime: from, ToTime: to, MaxItems: q.limit})
	})
	if err != nil {
		return nil, errorStatus(err)
	}
	resp := &clickstreamv1.GetTopItemsResponse{}
	for _, r := range rows {
		resp.Items = append(resp.Items, &clickstreamv1.ItemCount{ItemId: r.ItemID, Events: r.Events})
	}
	return resp, nil
}

// topItems is a checked top-items request.
type topItems struct {
	eventType string // as in the events table
	limit     int32
	window    funnel.Window
}

// MaxTopItems bounds the items of one top-items answer.
const MaxTopItems = 1000

// checkTopItems checks a top-items request and fills in the defaults: 10
// items, all time.
func checkTopItems(req *clickstreamv1.GetTopItemsRequest) (topItems, error) {
	q := topItems{limit: req.GetLimit(), window: funnel.Window{Kind: funnel.AllTime}}
	var ok bool
	if q.eventType, ok = eventTypes[req.GetKind()]; !ok {
		return q, status.Error(codes.InvalidArgument, "kind must be viewed, carted or purchased")
	}
	if q.limit == 0 {
		q.limit = 10
	}
	if q.limit < 0 || q.limit > MaxTopItems {
		return q, status.Errorf(codes.InvalidArgument, "limit must be in [1, %d], got %d", MaxTopItems, q.limit)
	}
	if req.GetWindow() != nil {
		var err error
		if q.window, err = window(req.GetWindow(), "window"); err != nil {
			return q, err
		}
	}
	return q, nil
}

// GetPipelineStatus probes the whole pipeline. A report has no data
// version: each caller gets a new one unless one younger than the maximum
// age is at hand or under way.
func (s *Server) GetPipelineStatus(ctx context.Context, _ *clickstreamv1.GetPipelineStatusRequest) (*clickstreamv1.GetPipelineStatusResponse, error) {
	r, err := getter(s.status, WantsFresh(ctx))(ctx, struct{}{}, strconv.FormatInt(statusCalls.Add(1), 10), func(ctx context.Context) (probe.Report, error) {
		return s.probe(ctx), nil
	})
	if err != nil {
		return nil, errorStatus(err)
	}
	return statusProto(r), nil
}

// FreshHeader is the request metadata that asks for an answer of the data
// as it is now, never one kept for other callers within the maximum age:
// "cache-control: no-cache", as in HTTP. The CLI's one-shot commands send it.
const FreshHeader = "cache-control"

// WantsFresh reports whether the caller sent "cache-control: no-cache".
func WantsFresh(ctx context.Context) bool {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get(FreshHeader) {
		if strings.EqualFold(strings.TrimSpace(v), "no-cache") {
			return true
		}
	}
	return false
}

func getter[K comparable, V any](c *snapshot.Cache[K, V], exact bool) func(context.Context, K, string, func(context.Context) (V, error)) (V, error) {
	if exact {
		return c.GetExact
	}
	return c.Get
}

// statusCalls numbers status requests, so that no two share a version.
var statusCalls atomic.Int64

// WatchFunnel pushes the all-time funnel and the status every interval.
func (s *Server) WatchFunnel(req *clickstreamv1.WatchFunnelRequest, stream clickstreamv1.AnalyticsService_WatchFunnelServer) error {
	interval, err := watchInterval(req)
	if err != nil {
		return err
	}
	ctx := stream.Context()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		counts, err := s.funnels.Compute(ctx, []funnel.Window{{Kind: funnel.AllTime}}, false)
		if err != nil {
			return errorStatus(err)
		}
		msg := &clickstreamv1.WatchFunnelResponse{AllTime: funnelProto(counts[0]), Status: statusProto(s.probe(ctx))}
		if err := stream.Send(msg); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// MinInterval is the shortest interval of a funnel watch.
const MinInterval = 100 * time.Millisecond

// watchInterval checks a watch request and returns its interval: 1s when
// the request leaves it unset or zero.
func watchInterval(req *clickstreamv1.WatchFunnelRequest) (time.Duration, error) {
	d := req.GetInterval()
	if d == nil {
		return time.Second, nil
	}
	if err := d.CheckValid(); err != nil {
		return 0, status.Errorf(codes.InvalidArgument, "interval: %v", err)
	}
	interval := d.AsDuration()
	switch {
	case interval == 0:
		return time.Second, nil
	case interval < MinInterval:
		return 0, status.Errorf(codes.InvalidArgument, "interval must be at least %v, got %v", MinInterval, interval)
	}
	return interval, nil
}

// errorStatus maps a query error to a gRPC status: deadlines and
// cancellations keep their codes, bad ranges are the caller's, the rest is
// the store's.
func errorStatus(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return status.FromContextError(err).Err()
	case errors.Is(err, funnel.ErrBadRange):
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return status.Errorf(codes.Unavailable, "postgresql: %v", err)
}

func statusProto(r probe.Report) *clickstreamv1.GetPipelineStatusResponse {
	resp := &clickstreamv1.GetPipelineStatusResponse{CheckedAt: timestamppb.New(r.CheckedAt)}
	for _, st := range r.Stores {
		resp.Stores = append(resp.Stores, &clickstreamv1.StoreStatus{
			Name: st.Name, Address: st.Address, Reachable: st.Reachable, Error: st.Err, Note: st.Note,
			Counts: st.Counts, Latency: durationpb.New(st.Latency),
		})
	}
	resp.Topic = &clickstreamv1.TopicStatus{Name: r.Topic.Name}
	for _, p := range r.Topic.Partitions {
		resp.Topic.Partitions = append(resp.Topic.Partitions,
			&clickstreamv1.PartitionOffsets{Partition: p.Partition, StartOffset: p.Start, EndOffset: p.End})
	}
	for _, g := range r.Groups {
		gs := &clickstreamv1.GroupStatus{Name: g.Name, TotalLag: g.TotalLag}
		for _, l := range g.Partitions {
			gs.Partitions = append(gs.Partitions, &clickstreamv1.PartitionLag{Partition: l.Partition, Offset: l.Offset, Lag: l.Lag})
		}
		resp.Groups = append(resp.Groups, gs)
	}
	for _, h := range r.Services {
		resp.Services = append(resp.Services, &clickstreamv1.ServiceStatus{Name: h.Name, Address: h.Addr, Health: h.State})
	}
	return resp
}
