// Package funnel computes the conversion funnel and top items from what the
// pg-sink wrote, over windows of session start time.
package funnel

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/clickstream/clickstream/sql/db"
)

// Kind is what a window means.
type Kind int

const (
	AllTime Kind = iota
	LastDay
	LastMonth
	Range
)

// Window selects sessions by start time. Start and End are used for Range.
type Window struct {
	Kind       Kind
	Start, End time.Time
}

// Resolved is a window as an explicit range [Start, End); zero bounds are
// open.
type Resolved struct {
	Window
	From, To time.Time
}

// ErrBadRange is wrapped by errors about an explicit range.
var ErrBadRange = errors.New("bad time range")

var (
	beginning = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	forever   = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// Counts is one window's funnel.
type Counts struct {
	Resolved
	Sessions, CartSessions, PurchaseSessions, Purchases  int64
	ConversionRate, CartAbandonment, AvgItemsPerPurchase float64
}

// Querier runs the analytics queries; *db.Queries is one.
type Querier interface {
	Funnel(ctx context.Context, arg db.FunnelParams) (db.FunnelRow, error)
	FunnelAllTime(ctx context.Context) (db.FunnelAllTimeRow, error)
	NewestSessionStart(ctx context.Context) (time.Time, error)
}

// Compute returns the funnel of each window. Last day and last month count
// back from the newest session start in the data, so that a replay of old
// data has a last day too.
func Compute(ctx context.Context, q Querier, windows []Window) ([]Counts, error) {
	var newest time.Time
	for _, w := range windows {
		if w.Kind == LastDay || w.Kind == LastMonth {
			n, err := q.NewestSessionStart(ctx)
			if err != nil {
				return nil, fmt.Errorf("newest session start: %w", err)
			}
			newest = n
			break
		}
	}
	// Each window is one scan of its own; they run side by side on the
	// pool's connections.
	out := make([]Counts, len(windows))
	g, gctx := errgroup.WithContext(ctx)
	for i, w := range windows {
		r, err := resolve(w, newest)
		if err != nil {
			return nil, err
		}
		g.Go(func() error {
			row, err := query(gctx, q, r)
			if err != nil {
				return fmt.Errorf("funnel: %w", err)
			}
			out[i] = counts(r, row)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

func query(ctx context.Context, q Querier, r Resolved) (db.FunnelRow, error) {
	if r.Kind == AllTime {
		row, err := q.FunnelAllTime(ctx)
		return db.FunnelRow(row), err
	}
	return q.Funnel(ctx, db.FunnelParams{FromTime: or(r.From, beginning), ToTime: or(r.To, forever)})
}

func or(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// resolve turns a window into a range; newest is the newest session start.
// The last day ends just after the newest start, so that it is included.
func resolve(w Window, newest time.Time) (Resolved, error) {
	r := Resolved{Window: w}
	end := newest.Add(time.Microsecond)
	switch w.Kind {
	case AllTime:
	case LastDay:
		r.From, r.To = end.Add(-24*time.Hour), end
	case LastMonth:
		r.From, r.To = end.Add(-30*24*time.Hour), end
	case Range:
		// A zero bound is 0001-01-01T00:00:00Z, the earliest a protobuf
		// timestamp can say, not a missing one: that is checked where the
		// request is read.
		if !w.Start.Before(w.End) {
			return r, fmt.Errorf("%w: start %s is not before end %s", ErrBadRange,
				w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339))
		}
		r.From, r.To = w.Start, w.End
	default:
		return r, fmt.Errorf("%w: unknown window kind %d", ErrBadRange, w.Kind)
	}
	return r, nil
}

func counts(r Resolved, row db.FunnelRow) Counts {
	c := Counts{
		Resolved: r, Sessions: row.Sessions, CartSessions: row.CartSessions,
		PurchaseSessions: row.PurchaseSessions, Purchases: row.Purchases,
	}
	c.ConversionRate = percent(row.PurchaseSessions, row.Sessions)
	c.CartAbandonment = percent(row.AbandonedSessions, row.CartSessions)
	if row.PurchaseSessions > 0 {
		c.AvgItemsPerPurchase = float64(row.PurchasedItems) / float64(row.PurchaseSessions)
	}
	return c
}

func percent(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return 100 * float64(part) / float64(whole)
}

// Bounds returns a window's range as closed timestamps for a query.
func Bounds(ctx context.Context, q Querier, w Window) (from, to time.Time, err error) {
	var newest time.Time
	if w.Kind == LastDay || w.Kind == LastMonth {
		if newest, err = q.NewestSessionStart(ctx); err != nil {
			return from, to, fmt.Errorf("newest session start: %w", err)
		}
	}
	r, err := resolve(w, newest)
	if err != nil {
		return from, to, err
	}
	return or(r.From, beginning), or(r.To, forever), nil
}
