package session

import (
	"reflect"
	"testing"
	"time"

	"github.com/clickstream/clickstream/services/platform/event"
)

const timeout = 30 * time.Minute

func ev(ms int64, typ event.Type, item int64) *event.Event {
	return &event.Event{Visitor: 42, TimeMs: ms, Type: typ, Item: item}
}

func TestApply(t *testing.T) {
	min := time.Minute.Milliseconds()
	s := New(ev(1000, event.View, 7), 1)

	steps := []struct {
		name    string
		e       *event.Event
		want    Outcome
		closedN int32
		n       int32
		events  int32
	}{
		{"within", ev(1000+10*min, event.AddToCart, 7), Extended, 0, 1, 2},
		{"gap exactly the timeout stays", ev(1000+40*min, event.View, 9), Extended, 0, 1, 3},
		{"older but inside the session", ev(1000+5*min, event.View, 3), Extended, 0, 1, 4},
		{"before the start is late", ev(999, event.View, 1), Late, 0, 1, 4},
		{"one ms over the timeout opens", ev(1000+70*min+1, event.Transaction, 7), Opened, 1, 2, 1},
	}
	for _, st := range steps {
		o, closed := s.Apply(st.e, timeout)
		if o != st.want || s.N != st.n || s.Events != st.events {
			t.Fatalf("%s: outcome %v, session %d with %d events; want %v, %d, %d", st.name, o, s.N, s.Events, st.want, st.n, st.events)
		}
		if (closed != nil) != (st.closedN != 0) || (closed != nil && closed.N != st.closedN) {
			t.Fatalf("%s: closed = %+v", st.name, closed)
		}
		if closed != nil {
			want := &State{Visitor: 42, N: 1, Start: 1000, End: 1000 + 40*min, Events: 4, Views: 3, Carts: 1,
				Viewed: []int64{3, 7, 9}, Carted: []int64{7}}
			if !reflect.DeepEqual(closed, want) {
				t.Fatalf("closed session = %+v, want %+v", closed, want)
			}
		}
	}
	if s.ID() != "42_2" || s.Start != 1000+70*min+1 || !reflect.DeepEqual(s.Purchased, []int64{7}) {
		t.Fatalf("new session = %+v", s)
	}
}

func TestCloneSharesNothingMutable(t *testing.T) {
	s := New(ev(1000, event.View, 5), 1)
	c := s.Clone()
	c.Apply(ev(2000, event.View, 2), timeout)
	if s.Events != 1 || len(s.Viewed) != 1 || s.Viewed[0] != 5 {
		t.Fatalf("applying to a clone changed the original: %+v", s)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	states := []*State{
		New(ev(1, event.View, 0), 1),
		{Visitor: 9223372036854775807, N: 12, Start: 1433221332117, End: 1433224214164, Events: 300,
			Views: 250, Carts: 40, Transactions: 10, Viewed: []int64{1, 2, 466866}, Carted: []int64{2}, Purchased: []int64{2}},
	}
	for _, s := range states {
		got, err := Decode(s.Encode(nil))
		if err != nil || !reflect.DeepEqual(got, s) {
			t.Fatalf("Decode(Encode(%+v)) = %+v, %v", s, got, err)
		}
	}
	for _, bad := range [][]byte{nil, {0x01}, append(states[1].Encode(nil), 0)} {
		if _, err := Decode(bad); err == nil {
			t.Fatalf("Decode(%x) accepted a corrupt state", bad)
		}
	}
}

func TestParseID(t *testing.T) {
	for id, want := range map[string][2]int64{"42_1": {42, 1}, "0_17": {0, 17}} {
		v, n, ok := ParseID(id)
		if !ok || v != want[0] || int64(n) != want[1] {
			t.Fatalf("ParseID(%q) = %d, %d, %v", id, v, n, ok)
		}
	}
	for _, id := range []string{"", "42", "42_", "_1", "42_0", "x_1"} {
		if _, _, ok := ParseID(id); ok {
			t.Fatalf("ParseID(%q) ok", id)
		}
	}
}
