package oracle_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clickstream/clickstream/services/platform/oracle"
)

func session(id string, visitor int64, startMs int64, viewed ...int64) oracle.Session {
	start := time.UnixMilli(startMs).UTC()
	return oracle.Session{
		ID: id, Visitor: visitor, Start: start, End: start,
		Events: int32(len(viewed)), Views: int32(len(viewed)), ItemsViewed: viewed,
	}
}

func TestDiffSessions(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	a, b, c := session("1_1", 1, 1000, 3, 5), session("1_2", 1, 9000000, 7), session("2_1", 2, 1000)
	want := []oracle.Session{a, b, c}

	tests := []struct {
		name string
		got  func() []oracle.Session
		max  int
		want []string
	}{
		{name: "equal", got: func() []oracle.Session { return slices.Clone(want) }},
		{
			name: "equal in another order, location and item order, nil items as empty",
			got: func() []oracle.Session {
				a2, c2 := a, c
				a2.ItemsViewed = []int64{5, 3}
				a2.Start, a2.End = a.Start.In(berlin), a.End.In(berlin)
				c2.ItemsCarted, c2.ItemsPurchased = []int64{}, []int64{}
				return []oracle.Session{c2, b, a2}
			},
		},
		{
			name: "missing and unexpected sessions",
			got: func() []oracle.Session {
				return []oracle.Session{a, session("1_3", 1, 1), c}
			},
			want: []string{"session 1_2: missing", "session 1_3: unexpected (or repeated)"},
		},
		{
			name: "repeated session",
			got:  func() []oracle.Session { return []oracle.Session{a, b, b, c} },
			want: []string{"session 1_2: unexpected (or repeated)"},
		},
		{
			name: "fields that differ, in one line",
			got: func() []oracle.Session {
				a2 := a
				a2.End = a.End.Add(time.Second)
				a2.Views, a2.Converted = 3, true
				a2.ItemsViewed = []int64{3, 5, 5}
				return []oracle.Session{a2, b, c}
			},
			want: []string{"session 1_1: end = 1970-01-01T00:00:02.000000Z, want 1970-01-01T00:00:01.000000Z; " +
				"views = 3, want 2; items_viewed = [3 5 5], want [3 5]; converted = true, want false"},
		},
		{
			name: "at most max lines, the last one a count",
			got:  func() []oracle.Session { return nil },
			max:  2,
			want: []string{"session 1_1: missing", "... 3 differences in all, the rest left out"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := oracle.DiffSessions(want, tc.got(), tc.max)
			if !slices.Equal(got, tc.want) {
				t.Errorf("DiffSessions:\ngot  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestDiffEvents(t *testing.T) {
	txn := func(v int64) *int64 { return &v }
	view := oracle.Event{Visitor: 1, TimeMs: 1000, Item: 5, Type: oracle.View}
	buy := oracle.Event{Visitor: 1, TimeMs: 2000, Item: 5, Type: oracle.Transaction, Txn: txn(42)}
	cart := oracle.Event{Visitor: 2, TimeMs: 1000, Item: 5, Type: oracle.AddToCart}
	want := []oracle.Event{view, buy, cart}

	withTxn := func(e oracle.Event, id *int64) oracle.Event { e.Txn = id; return e }
	tests := []struct {
		name string
		got  []oracle.Event
		want []string
	}{
		{name: "equal in another order, txn at another address", got: []oracle.Event{cart, withTxn(buy, txn(42)), view}},
		{
			name: "missing, unexpected and repeated",
			got:  []oracle.Event{view, view, withTxn(cart, nil), {Visitor: 2, TimeMs: 1000, Item: 6, Type: oracle.AddToCart}},
			want: []string{
				"event (visitor 1, time 1000, view, item 5): unexpected (or repeated)",
				"event (visitor 1, time 2000, transaction, item 5): missing",
				"event (visitor 2, time 1000, addtocart, item 6): unexpected (or repeated)",
			},
		},
		{
			name: "transaction ids",
			got:  []oracle.Event{withTxn(view, txn(1)), withTxn(buy, txn(43)), cart},
			want: []string{
				"event (visitor 1, time 1000, view, item 5): transaction id = 1, want none",
				"event (visitor 1, time 2000, transaction, item 5): transaction id = 43, want 42",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := oracle.DiffEvents(want, tc.got, 0)
			if !slices.Equal(got, tc.want) {
				t.Errorf("DiffEvents:\ngot  %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tc.want, "\n     "))
			}
		})
	}
}

// TestDiffSelf compares a result with a reversed copy of itself.
func TestDiffSelf(t *testing.T) {
	res := fromString(t, funnelRows(), timeout)
	sessions, events := slices.Clone(res.Sessions), slices.Clone(res.Events)
	slices.Reverse(sessions)
	slices.Reverse(events)
	if d := oracle.DiffSessions(res.Sessions, sessions, 10); len(d) != 0 {
		t.Errorf("DiffSessions of a result and itself reversed = %q, want none", d)
	}
	if d := oracle.DiffEvents(res.Events, events, 10); len(d) != 0 {
		t.Errorf("DiffEvents of a result and itself reversed = %q, want none", d)
	}
}
