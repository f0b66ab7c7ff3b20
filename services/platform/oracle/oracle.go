// Package oracle computes, in one plain batch pass over an events CSV, the
// events and sessions that PostgreSQL must hold after the pipeline has
// consumed the same file: the reference the integration tests trust.
//
// It shares no code with the pipeline on purpose. The producer's CSV reader,
// the event codec and the pg-sink's incremental sessionizer are what the
// tests check; an oracle built on them would repeat their mistakes and agree
// with them. So this package reads the file with the standard library,
// applies the input rules of the design (section 3) afresh, and computes
// sessions the slow, obvious way: sort every distinct event by visitor and
// time, then cut where the gap since the session's last event is longer
// than the timeout. It favours clarity over speed, yet handles the full
// RetailRocket-sized file in seconds.
package oracle

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// Event types, as in the CSV and in PostgreSQL.
const (
	View        = "view"
	AddToCart   = "addtocart"
	Transaction = "transaction"
)

// Event is one distinct click. Its identity is (Visitor, TimeMs, Type, Item).
type Event struct {
	Visitor, TimeMs, Item int64
	Type                  string // View, AddToCart or Transaction
	Txn                   *int64 // transaction id; nil when the row had none
}

// Session is one visitor session, as the sessions table holds it.
type Session struct {
	ID      string // "<visitor>_<n>", n counting the visitor's sessions from 1 in time order
	Visitor int64

	Start, End      time.Time // UTC, millisecond precision
	DurationSeconds int32     // whole seconds from Start to End, rounded down

	Events, Views, Carts, Transactions int32

	// The distinct items, sorted ascending; nil when there are none.
	ItemsViewed, ItemsCarted, ItemsPurchased []int64

	Converted bool // Transactions > 0
}

// Result is what one clean pass of the pipeline over a file gives.
type Result struct {
	Rows     int // data rows read: accepted plus rejected, blank lines not counted
	Rejected int // rows that broke an input rule

	// Events holds every distinct event once, ordered by visitor, time,
	// type (view, addtocart, transaction) and item. Of rows with the same
	// identity the first in file order wins, with its transaction id.
	Events []Event

	Sessions []Session // sorted by ID, in byte order
}

// FromFile reads the events file at path (plain or gzip) and sessionizes it
// with the given session timeout.
func FromFile(path string, timeout time.Duration) (*Result, error) {
	return FromFileLimit(path, timeout, 0)
}

// FromReader is [FromFile] for a file already open.
func FromReader(r io.Reader, timeout time.Duration) (*Result, error) {
	return fromReader(r, timeout, 0, 0)
}

// FromFileLimit is the result of replaying only the first n accepted rows in
// send order, as the producer's --limit does: the accepted rows are ordered
// by timestamp, rows with equal timestamps in file order, the first n are
// kept, and only then deduplicated and sessionized. n <= 0 keeps every row,
// like the producer's limit of 0. Rows and Rejected still count the whole
// file.
func FromFileLimit(path string, timeout time.Duration, n int) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	// A plain file's rows take about 34 bytes each; a gzip file's rows will
	// need more room than this guess, and get it as they come.
	sizeHint := 0
	if fi, err := f.Stat(); err == nil {
		sizeHint = int(fi.Size() / 32)
	}
	res, err := fromReader(f, timeout, n, sizeHint)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

func fromReader(r io.Reader, timeout time.Duration, limit, sizeHint int) (*Result, error) {
	if timeout < 0 {
		return nil, errors.New("session timeout is negative")
	}
	in, err := readRows(r, sizeHint)
	if err != nil {
		return nil, err
	}
	rows := in.accepted
	if limit > 0 && limit < len(rows) {
		rows = firstSent(rows, limit)
	}

	events := distinct(rows)
	return &Result{
		Rows:     in.rows,
		Rejected: in.rejected,
		Events:   toEvents(events),
		Sessions: sessionize(events, timeout),
	}, nil
}

// firstSent returns the first n rows in send order: by timestamp, then by
// position in the file.
func firstSent(rows []row, n int) []row {
	sent := slices.Clone(rows)
	slices.SortFunc(sent, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.timeMs, b.timeMs), cmp.Compare(a.seq, b.seq))
	})
	return sent[:n]
}
