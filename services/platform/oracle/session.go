package oracle

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// distinct sorts rows by visitor, time, type, item and file order, in place,
// and keeps the first row of each identity.
func distinct(rows []row) []row {
	slices.SortFunc(rows, func(a, b row) int {
		if a.visitor != b.visitor {
			return cmp.Compare(a.visitor, b.visitor)
		}
		return cmp.Or(
			cmp.Compare(a.timeMs, b.timeMs),
			cmp.Compare(a.typ, b.typ),
			cmp.Compare(a.item, b.item),
			cmp.Compare(a.seq, b.seq),
		)
	})
	return slices.CompactFunc(rows, sameIdentity)
}

func sameIdentity(a, b row) bool {
	return a.visitor == b.visitor && a.timeMs == b.timeMs && a.typ == b.typ && a.item == b.item
}

func toEvents(rows []row) []Event {
	events := make([]Event, len(rows))
	txns := make([]int64, 0, 1024)
	for _, rw := range rows {
		if rw.hasTxn {
			txns = append(txns, rw.txn)
		}
	}
	for i, rw := range rows {
		events[i] = Event{Visitor: rw.visitor, TimeMs: rw.timeMs, Item: rw.item, Type: typeNames[rw.typ]}
		if rw.hasTxn {
			events[i].Txn = &txns[0]
			txns = txns[1:]
		}
	}
	return events
}

// sessionize cuts the distinct events, sorted by visitor and time, into
// sessions and returns them sorted by ID.
func sessionize(events []row, timeout time.Duration) []Session {
	// A gap of g whole milliseconds is longer than the timeout exactly when
	// it is longer than the timeout's whole milliseconds.
	maxGap := timeout.Milliseconds()

	var spans []span
	for i := 0; i < len(events); {
		j := i + 1
		for j < len(events) && events[j].visitor == events[i].visitor {
			j++
		}
		spans = visitorSpans(spans, events, i, j, maxGap)
		i = j
	}

	// Sessions are sizeable, so they are built once, already in ID order.
	slices.SortFunc(spans, func(a, b span) int { return strings.Compare(a.id, b.id) })

	// Each event puts at most one item into one set, so one array holds all
	// the sets without growing.
	items := make([]int64, 0, len(events))
	sessions := make([]Session, len(spans))
	for i, sp := range spans {
		sessions[i] = newSession(sp.id, events[sp.lo:sp.hi], &items)
	}
	return sessions
}

// span is one session: its id and its events, events[lo:hi].
type span struct {
	id     string
	lo, hi int
}

// visitorSpans appends the sessions of one visitor, whose events are
// events[lo:hi], in time order: a session ends where the next event comes
// more than maxGap milliseconds after the session's last one.
func visitorSpans(dst []span, events []row, lo, hi int, maxGap int64) []span {
	visitor := strconv.FormatInt(events[lo].visitor, 10) + "_"
	n, start := 0, lo
	for k := lo + 1; k <= hi; k++ {
		if k < hi && events[k].timeMs-events[k-1].timeMs <= maxGap {
			continue
		}
		n++
		dst = append(dst, span{id: visitor + strconv.Itoa(n), lo: start, hi: k})
		start = k
	}
	return dst
}

// newSession sums up the events of one session, in time order.
func newSession(id string, events []row, items *[]int64) Session {
	s := Session{
		ID:              id,
		Visitor:         events[0].visitor,
		Start:           time.UnixMilli(events[0].timeMs).UTC(),
		End:             time.UnixMilli(events[len(events)-1].timeMs).UTC(),
		DurationSeconds: int32((events[len(events)-1].timeMs - events[0].timeMs) / 1000),
		Events:          int32(len(events)),
	}
	for _, e := range events {
		switch e.typ {
		case typeView:
			s.Views++
		case typeCart:
			s.Carts++
		case typeTxn:
			s.Transactions++
		}
	}
	s.Converted = s.Transactions > 0
	s.ItemsViewed = itemSet(events, typeView, items)
	s.ItemsCarted = itemSet(events, typeCart, items)
	s.ItemsPurchased = itemSet(events, typeTxn, items)
	return s
}

// itemSet appends the distinct items of events of type typ to the shared
// array and returns them sorted, as a slice that cannot grow into the rest.
func itemSet(events []row, typ uint8, items *[]int64) []int64 {
	from := len(*items)
	for _, e := range events {
		if e.typ == typ {
			*items = append(*items, e.item)
		}
	}
	if len(*items) == from {
		return nil
	}
	set := (*items)[from:]
	slices.Sort(set)
	set = slices.Compact(set)
	*items = (*items)[:from+len(set)]
	return set[:len(set):len(set)]
}
