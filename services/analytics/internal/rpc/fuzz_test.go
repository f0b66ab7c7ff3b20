package rpc

import (
	"context"
	"math"
	"regexp"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/analytics/internal/funnel"
	"github.com/clickstream/clickstream/services/analytics/internal/probe"
)

// fieldPath is the start of a rejection message: the path of the field at
// fault, e.g. windows[3].range.start.
var fieldPath = regexp.MustCompile(`^([a-z_]+)(?:\[(\d+)\])?((?:\.[a-z_]+)*)[: ]`)

// rejected checks that err is an InvalidArgument status whose message
// starts with a field path, and returns the path's parts: its root, the
// index (-1 without one) and the rest.
func rejected(t *testing.T, err error) (root string, index int, rest string) {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.InvalidArgument {
		t.Fatalf("rejection %v is not an InvalidArgument status", err)
	}
	m := fieldPath.FindStringSubmatch(st.Message())
	if m == nil {
		t.Fatalf("rejection %q does not start with a field path", st.Message())
	}
	index = -1
	if m[2] != "" {
		index, _ = strconv.Atoi(m[2])
	}
	return m[1], index, m[3]
}

// windowOf builds a window from fuzz input: sel picks the choice and which
// bounds of a range are set.
func windowOf(sel byte, start, end *timestamppb.Timestamp) *clickstreamv1.Window {
	switch sel % 5 {
	case 0:
		return &clickstreamv1.Window{}
	case 1:
		return &clickstreamv1.Window{Window: &clickstreamv1.Window_AllTime{AllTime: sel&8 != 0}}
	case 2:
		return &clickstreamv1.Window{Window: &clickstreamv1.Window_LastDay{LastDay: sel&8 != 0}}
	case 3:
		return &clickstreamv1.Window{Window: &clickstreamv1.Window_LastMonth{LastMonth: sel&8 != 0}}
	}
	r := &clickstreamv1.TimeRange{Start: start, End: end}
	if sel&16 != 0 {
		r.Start = nil
	}
	if sel&32 != 0 {
		r.End = nil
	}
	if sel&64 != 0 {
		r.Start, r.End = r.End, r.Start
	}
	return &clickstreamv1.Window{Window: &clickstreamv1.Window_Range{Range: r}}
}

// checkWindow checks what is promised of an accepted window: the choice
// asked for, and for a range, valid bounds in order that the funnel package
// resolves without complaint.
func checkWindow(t *testing.T, w *clickstreamv1.Window, got funnel.Window) {
	t.Helper()
	var want funnel.Kind
	switch w.GetWindow().(type) {
	case *clickstreamv1.Window_AllTime:
		want = funnel.AllTime
	case *clickstreamv1.Window_LastDay:
		want = funnel.LastDay
	case *clickstreamv1.Window_LastMonth:
		want = funnel.LastMonth
	case *clickstreamv1.Window_Range:
		want = funnel.Range
		r := w.GetRange()
		if r.GetStart().CheckValid() != nil || r.GetEnd().CheckValid() != nil {
			t.Fatalf("accepted a range with a missing or invalid bound: %v", r)
		}
		if !got.Start.Equal(r.GetStart().AsTime()) || !got.End.Equal(r.GetEnd().AsTime()) || !got.Start.Before(got.End) {
			t.Fatalf("range %v became [%v, %v)", r, got.Start, got.End)
		}
		// A range needs no query to resolve: no querier is given.
		from, to, err := funnel.Bounds(context.Background(), nil, got)
		if err != nil || !from.Before(to) {
			t.Fatalf("accepted range %v resolves to [%v, %v), %v", r, from, to, err)
		}
	default:
		t.Fatalf("accepted a window with no choice: %v", w)
	}
	if got.Kind != want {
		t.Fatalf("window %v became kind %d, want %d", w, got.Kind, want)
	}
}

// FuzzGetFunnelRequest checks [funnelWindows] with up to 255 windows of
// every choice, ranges with any bounds.
func FuzzGetFunnelRequest(f *testing.F) {
	day := int64(86400)
	f.Add([]byte{}, int64(0), int32(0), int64(0), int32(0))
	f.Add([]byte{1, 2, 3}, int64(0), int32(0), int64(0), int32(0))
	f.Add([]byte{4}, int64(1433000000), int32(0), int64(1433000000)+day, int32(0))
	f.Add([]byte{4 + 64}, int64(1433000000), int32(0), int64(1433000000)+day, int32(0))
	f.Add([]byte{4, 4 + 16, 4 + 32}, int64(1), int32(5), int64(1), int32(5))
	f.Add([]byte{4}, int64(-62135596800), int32(0), int64(253402300799), int32(999999999)) // the widest range
	f.Add([]byte{4}, int64(-62135596801), int32(0), int64(0), int32(-1))                   // out of range
	f.Add([]byte{1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2}, int64(0), int32(0), int64(0), int32(0))
	f.Add([]byte{0}, int64(0), int32(0), int64(0), int32(0))
	f.Fuzz(func(t *testing.T, sels []byte, s1 int64, n1 int32, s2 int64, n2 int32) {
		start, end := &timestamppb.Timestamp{Seconds: s1, Nanos: n1}, &timestamppb.Timestamp{Seconds: s2, Nanos: n2}
		req := &clickstreamv1.GetFunnelRequest{}
		for _, sel := range sels {
			req.Windows = append(req.Windows, windowOf(sel, start, end))
		}
		got, err := funnelWindows(req)
		if err != nil {
			root, i, _ := rejected(t, err)
			switch {
			case root != "windows":
				t.Fatalf("rejection %v names %s, not windows", err, root)
			case i < 0 && len(req.Windows) <= MaxWindows:
				t.Fatalf("rejected %d windows as too many: %v", len(req.Windows), err)
			case i >= len(req.Windows):
				t.Fatalf("rejection %v names a window past the %d given", err, len(req.Windows))
			case i >= 0:
				if _, err := window(req.Windows[i], "w"); err == nil {
					t.Fatalf("rejection %v names window %v, which is good alone", err, req.Windows[i])
				}
			}
			return
		}
		if len(req.Windows) == 0 {
			if len(got) != 3 || got[0].Kind != funnel.AllTime || got[1].Kind != funnel.LastDay || got[2].Kind != funnel.LastMonth {
				t.Fatalf("no windows became %+v, want all time, last day, last month", got)
			}
			return
		}
		if len(got) != len(req.Windows) || len(got) > MaxWindows {
			t.Fatalf("%d windows became %d", len(req.Windows), len(got))
		}
		for i, w := range req.Windows {
			checkWindow(t, w, got[i])
		}
	})
}

// FuzzGetTopItemsRequest checks [checkTopItems] with any kind, limit and
// window.
func FuzzGetTopItemsRequest(f *testing.F) {
	f.Add(int32(1), int32(0), false, byte(0), int64(0), int32(0), int64(0), int32(0))
	f.Add(int32(3), int32(1000), true, byte(2), int64(0), int32(0), int64(0), int32(0))
	f.Add(int32(2), int32(1001), true, byte(4), int64(100), int32(0), int64(50), int32(0))
	f.Add(int32(0), int32(5), false, byte(0), int64(0), int32(0), int64(0), int32(0))
	f.Add(int32(4), int32(-1), true, byte(0), int64(0), int32(0), int64(0), int32(0))
	f.Add(int32(1), int32(math.MinInt32), true, byte(4+16), int64(0), int32(0), int64(1), int32(0))
	f.Fuzz(func(t *testing.T, kind, limit int32, hasWindow bool, sel byte, s1 int64, n1 int32, s2 int64, n2 int32) {
		req := &clickstreamv1.GetTopItemsRequest{Kind: clickstreamv1.ItemKind(kind), Limit: limit}
		if hasWindow {
			req.Window = windowOf(sel, &timestamppb.Timestamp{Seconds: s1, Nanos: n1}, &timestamppb.Timestamp{Seconds: s2, Nanos: n2})
		}
		q, err := checkTopItems(req)
		badKind := kind < 1 || kind > 3
		badLimit := limit < 0 || limit > MaxTopItems
		if err != nil {
			root, _, _ := rejected(t, err)
			badWindow := false
			if hasWindow {
				_, werr := window(req.Window, "window")
				badWindow = werr != nil
			}
			if bad := map[string]bool{"kind": badKind, "limit": badLimit, "window": badWindow}; !bad[root] {
				t.Fatalf("rejection %v names %s, which keeps the rules", err, root)
			}
			return
		}
		if badKind || badLimit {
			t.Fatalf("accepted kind %d, limit %d", kind, limit)
		}
		if want := map[int32]string{1: "view", 2: "addtocart", 3: "transaction"}[kind]; q.eventType != want {
			t.Fatalf("kind %d became event type %q, want %q", kind, q.eventType, want)
		}
		if q.limit < 1 || q.limit > MaxTopItems || limit != 0 && q.limit != limit || limit == 0 && q.limit != 10 {
			t.Fatalf("limit %d became %d", limit, q.limit)
		}
		if !hasWindow {
			if q.window.Kind != funnel.AllTime {
				t.Fatalf("no window became %+v, want all time", q.window)
			}
			return
		}
		checkWindow(t, req.Window, q.window)
	})
}

// FuzzWatchFunnelRequest checks [watchInterval] with any duration.
func FuzzWatchFunnelRequest(f *testing.F) {
	f.Add(false, int64(0), int32(0))
	f.Add(true, int64(0), int32(0))
	f.Add(true, int64(0), int32(100_000_000))
	f.Add(true, int64(0), int32(99_999_999))
	f.Add(true, int64(1), int32(-1_000_000_000)) // invalid, and zero once summed
	f.Add(true, int64(-1), int32(0))
	f.Add(true, int64(315576000001), int32(0)) // past the largest valid duration
	f.Add(true, int64(math.MaxInt64), int32(math.MaxInt32))
	f.Fuzz(func(t *testing.T, set bool, secs int64, nanos int32) {
		req := &clickstreamv1.WatchFunnelRequest{}
		if set {
			req.Interval = &durationpb.Duration{Seconds: secs, Nanos: nanos}
		}
		got, err := watchInterval(req)
		if err != nil {
			if root, _, _ := rejected(t, err); root != "interval" {
				t.Fatalf("rejection %v names %s, not interval", err, root)
			}
			if req.Interval.CheckValid() == nil && req.Interval.AsDuration() >= MinInterval {
				t.Fatalf("rejected a valid interval of %v: %v", req.Interval.AsDuration(), err)
			}
			return
		}
		switch {
		case got < MinInterval:
			t.Fatalf("interval %v accepted as %v, below %v", req.Interval, got, MinInterval)
		case set && req.Interval.CheckValid() != nil:
			t.Fatalf("invalid interval %v accepted as %v", req.Interval, got)
		case !set || req.Interval.AsDuration() == 0:
			if got != time.Second {
				t.Fatalf("interval %v became %v, want the default 1s", req.Interval, got)
			}
		case got != req.Interval.AsDuration():
			t.Fatalf("interval %v became %v", req.Interval, got)
		}
	})
}

// FuzzGetPipelineStatusRequest decodes any bytes as a status request, which
// has no fields: whatever decodes (unknown fields are kept and ignored) is
// answered with the report as it stands, never with an error.
func FuzzGetPipelineStatusRequest(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x08, 0x01})
	f.Add([]byte{0x12, 0x02, 'h', 'i'})
	f.Add([]byte{0x12, 0x05})
	checked := time.Date(2015, 9, 1, 0, 0, 0, 0, time.UTC)
	s := New(nil, func(context.Context) probe.Report {
		return probe.Report{CheckedAt: checked, Topic: probe.Topic{Name: "clickstream-events"}}
	}, 0)
	f.Fuzz(func(t *testing.T, b []byte) {
		var req clickstreamv1.GetPipelineStatusRequest
		if proto.Unmarshal(b, &req) != nil {
			return // gRPC answers Internal before the handler runs
		}
		resp, err := s.GetPipelineStatus(context.Background(), &req)
		if err != nil || !resp.GetCheckedAt().AsTime().Equal(checked) || resp.GetTopic().GetName() != "clickstream-events" {
			t.Fatalf("GetPipelineStatus(%x) = %v, %v; want the report", b, resp, err)
		}
	})
}
