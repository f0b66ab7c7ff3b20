// Package datagen writes a synthetic click log in the shape of RetailRocket's
// events.csv, so the pipeline can be run and tested without the real file.
//
// The output has the header timestamp,visitorid,event,itemid,transactionid,
// Unix-millisecond timestamps and LF line ends. It is deterministic: the same
// seed and row count give the same bytes.
//
// At full size ([FullRows]) it aims at RetailRocket's figures: about 1.4M
// visitors, 235k items, 139 days, 96.7% views, 2.5% add-to-carts, 0.8%
// transactions and about 1.5M sessions at a 30-minute timeout. Smaller files
// keep the ratios, with visitors and items scaled down.
//
// The rows exercise what the pipeline must handle: sessions that contain a
// gap of exactly the timeout, a small share of exact duplicate rows (some
// adjacent, some far apart), and a file that is only roughly in time order,
// with visitors interleaved and a visitor's own rows occasionally swapped.
// Carts follow a view of the same item by the same visitor in the same
// session, and purchases follow carts; the rows of one purchase share a
// transaction id that no other purchase uses.
package datagen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"time"
)

// FullRows is the row count of RetailRocket's events.csv and the default
// size of a generated file.
const FullRows = 2756101

// Options configures [Write]. The zero value writes a full-size file.
type Options struct {
	// Rows is the number of data rows to write, duplicates included. Zero
	// means FullRows.
	Rows int

	// Seed selects the file: the same Seed and Rows give byte-identical
	// output.
	Seed int64

	// Start is the time of the first event. Zero means
	// 2015-05-03T03:00:00Z, where RetailRocket's data begins.
	Start time.Time

	// Progress, if set, is called with the number of rows written about
	// every 100,000 rows, and once at the end.
	Progress func(written int)
}

// Stats describes a written file. Views+Carts+Transactions == Rows.
type Stats struct {
	Rows         int // data rows, without the header
	Views        int
	Carts        int
	Transactions int // transaction rows; a purchase of n items has n
	Duplicates   int // rows that repeat an earlier row exactly
	Visitors     int // distinct visitor ids
	Items        int // distinct item ids
}

// The real data set's scale, which smaller files are scaled from.
const (
	span      = 139 * 24 * time.Hour
	itemRange = 466_868 // item ids are 0..itemRange-1 at full size
	fullTxns  = 17_672  // purchases at full size
	idSlack   = 1.02    // visitor and purchase counts vary by seed; see [idTable]

	progressEvery = 100_000
	checkEvery    = 4096 // rows between context checks
)

var defaultStart = time.Date(2015, 5, 3, 3, 0, 0, 0, time.UTC)

// Write writes a header and exactly opt.Rows data rows (FullRows if zero) to
// w and returns what it wrote. It stops early, with ctx's error, when ctx is
// done; the rows written until then end on a line boundary.
func Write(ctx context.Context, w io.Writer, opt Options) (Stats, error) {
	if opt.Rows < 0 {
		return Stats{}, fmt.Errorf("datagen: rows must not be negative, got %d", opt.Rows)
	}
	if opt.Rows == 0 {
		opt.Rows = FullRows
	}
	if opt.Start.IsZero() {
		opt.Start = defaultStart
	}
	if opt.Start.UnixMilli() <= 0 {
		// The CSV's timestamps must be positive Unix milliseconds.
		return Stats{}, fmt.Errorf("datagen: start must be after 1970-01-01, got %s", opt.Start)
	}

	bw := bufio.NewWriterSize(w, 256<<10)
	if _, err := bw.WriteString("timestamp,visitorid,event,itemid,transactionid\n"); err != nil {
		return Stats{}, fmt.Errorf("write events csv: %w", err)
	}
	st, err := writeRows(ctx, bw, newEmitter(opt), opt.Progress)
	if ferr := bw.Flush(); ferr != nil && err == nil {
		err = fmt.Errorf("write events csv: %w", ferr)
	}
	if opt.Progress != nil && st.Rows%progressEvery != 0 {
		opt.Progress(st.Rows)
	}
	return st, err
}

// newEmitter sizes the model to opt.Rows: visitor, item and purchase counts
// scale with the file, the time span does not.
func newEmitter(opt Options) *emitter {
	scale := float64(opt.Rows) / FullRows
	ranks := max(int(itemRange*scale), 64)
	src := newSource(opt.Seed, ranks, zipfOffset*scale)

	m := &model{
		src:      src,
		visitors: src.newIDTable(int(visitorRange * max(scale, 1) * idSlack)),
		txns:     src.newIDTable(max(int(fullTxns*scale*idSlack), 16)),
		items:    src.newIDTable(max(itemRange, ranks)).perm[:ranks],
		origin:   opt.Start.UnixMilli(),
		span:     span.Milliseconds(),
	}
	return &emitter{
		m:      m,
		src:    src,
		total:  opt.Rows,
		recent: make([]row, min(opt.Rows, dupWindow)),
	}
}

// writeRows writes e.total rows to bw and tallies them.
func writeRows(ctx context.Context, bw *bufio.Writer, e *emitter, progress func(int)) (Stats, error) {
	var t tally
	for t.Rows < e.total {
		if t.Rows%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return t.Stats, err
			}
		}
		r, dup := e.next()
		if _, err := bw.Write(appendRow(bw.AvailableBuffer(), r)); err != nil {
			return t.Stats, fmt.Errorf("write events csv: %w", err)
		}
		t.add(r, dup)
		if progress != nil && t.Rows%progressEvery == 0 {
			progress(t.Rows)
		}
	}
	return t.Stats, nil
}

// tally counts written rows into Stats.
type tally struct {
	Stats
	visitors, items bitset
}

func (t *tally) add(r row, dup bool) {
	t.Rows++
	switch r.event {
	case view:
		t.Views++
	case addToCart:
		t.Carts++
	case transaction:
		t.Transactions++
	}
	if dup {
		t.Duplicates++
	}
	if t.visitors.add(r.visitor) {
		t.Visitors++
	}
	if t.items.add(r.item) {
		t.Items++
	}
}
