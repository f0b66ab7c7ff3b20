package datagen

import (
	"math/bits"
	"strconv"
)

// File-order knobs: how the rows of concurrent sessions are mixed and how
// often a row is repeated.
const (
	// openSessions is how many sessions are being written at once. Each row
	// comes from one of them at random, which interleaves visitors the way
	// a click log of concurrent users does, while keeping the file roughly
	// in time order.
	openSessions = 32

	pSwap        = 0.004  // a session's next two rows are written in reverse
	pAdjacentDup = 0.0015 // the previous row again
	pFarDup      = 0.0015 // a copy of a row from up to dupWindow rows back
	dupWindow    = 1 << 16
)

// eventType is the event column. The zero value is a view, the common case.
type eventType uint8

const (
	view eventType = iota
	addToCart
	transaction
)

var eventNames = [...]string{view: "view", addToCart: "addtocart", transaction: "transaction"}

// noTxn marks a row without a transaction id.
const noTxn = -1

// row is one CSV line, kept small (24 bytes) because sessions and the
// duplicate window hold many of them.
type row struct {
	ts      int64 // Unix ms
	visitor int32
	item    int32
	txn     int32 // noTxn unless event is transaction
	event   eventType
}

// appendRow formats r as one LF-terminated CSV line. strconv, not fmt: this
// runs millions of times.
func appendRow(b []byte, r row) []byte {
	b = strconv.AppendInt(b, r.ts, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.visitor), 10)
	b = append(b, ',')
	b = append(b, eventNames[r.event]...)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.item), 10)
	b = append(b, ',')
	if r.txn != noTxn {
		b = strconv.AppendInt(b, int64(r.txn), 10)
	}
	return append(b, '\n')
}

// slot is one open session: its rows, built when it opens, and how many of
// them are written. Slots reuse their slices, so memory is bounded by the
// longest session rather than the file.
type slot struct {
	rows []row
	next int
}

// emitter decides the file order: which open session writes next, when a
// row is repeated, and the clock that new sessions start at.
type emitter struct {
	m       *model
	src     *source
	total   int // rows the file will have
	written int
	slots   [openSessions]slot
	recent  []row // ring of the last dupWindow rows, for far duplicates
}

// now is the clock: it moves from start to start+span as the file fills, so
// the file's rows spread evenly over the span whatever its size.
func (e *emitter) now() int64 {
	hi, lo := bits.Mul64(uint64(e.m.span), uint64(e.written))
	q, _ := bits.Div64(hi, lo, uint64(e.total))
	return e.m.origin + int64(q)
}

// next returns the next row of the file and whether it repeats an earlier
// one.
func (e *emitter) next() (row, bool) {
	if e.written > 0 {
		switch u := e.src.float(); {
		case u < pAdjacentDup:
			return e.remember(e.recent[(e.written-1)%dupWindow]), true
		case u < pAdjacentDup+pFarDup:
			return e.remember(e.recent[e.src.intn(min(e.written, dupWindow))]), true
		}
	}

	s := &e.slots[e.src.intn(openSessions)]
	if s.next == len(s.rows) {
		s.rows = e.m.open(e.now(), s.rows[:0])
		s.next = 0
	}
	if s.next+1 < len(s.rows) && e.src.chance(pSwap) {
		s.rows[s.next], s.rows[s.next+1] = s.rows[s.next+1], s.rows[s.next]
	}
	r := s.rows[s.next]
	s.next++
	return e.remember(r), false
}

// remember records r as written and in the duplicate window.
func (e *emitter) remember(r row) row {
	e.recent[e.written%dupWindow] = r
	e.written++
	return r
}

// bitset records which ids were written, for Stats. It grows on demand
// because visitor ids can go past the shuffled range (see [idTable]).
type bitset []uint64

// add sets bit i and reports whether it was unset.
func (b *bitset) add(i int32) bool {
	w, m := int(i)/64, uint64(1)<<(uint(i)%64)
	if w >= len(*b) {
		*b = append(*b, make([]uint64, w+1-len(*b))...)
	}
	if (*b)[w]&m != 0 {
		return false
	}
	(*b)[w] |= m
	return true
}
