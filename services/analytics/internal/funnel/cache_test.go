package funnel

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clickstream/clickstream/sql/db"
)

// fakeQueries counts queries and serves a version that tests move.
type fakeQueries struct {
	version db.DataVersionRow
	queries atomic.Int64 // Compute queries windows side by side
}

func (f *fakeQueries) Funnel(context.Context, db.FunnelParams) (db.FunnelRow, error) {
	f.queries.Add(1)
	return db.FunnelRow{Sessions: f.version.Offsets}, nil
}

func (f *fakeQueries) FunnelAllTime(context.Context) (db.FunnelAllTimeRow, error) {
	f.queries.Add(1)
	return db.FunnelAllTimeRow{Sessions: f.version.Offsets}, nil
}

func (f *fakeQueries) NewestSessionStart(context.Context) (time.Time, error) {
	return time.Date(2015, 9, 18, 0, 0, 0, 0, time.UTC), nil
}

func (f *fakeQueries) DataVersion(context.Context) (db.DataVersionRow, error) {
	return f.version, nil
}

func TestCacheRecomputesOnlyWhenTheDataChanged(t *testing.T) {
	q := &fakeQueries{version: db.DataVersionRow{Offsets: 10, Partitions: 4}}
	c := NewCache(q, 0)
	windows := []Window{{Kind: AllTime}, {Kind: LastDay}}
	for range 3 {
		got, err := c.Compute(context.Background(), windows, false)
		if err != nil || got[0].Sessions != 10 {
			t.Fatalf("Compute = %+v, %v", got, err)
		}
	}
	if q.queries.Load() != 2 {
		t.Fatalf("ran %d funnel queries for three calls on unchanged data, want 2", q.queries.Load())
	}
	q.version.Offsets = 11 // a sink committed a batch
	got, err := c.Compute(context.Background(), windows, false)
	if err != nil || got[0].Sessions != 11 || q.queries.Load() != 4 {
		t.Fatalf("after a commit: %+v, %v, %d queries; want fresh answers", got, err, q.queries.Load())
	}
}

func TestCacheWithMaxAgeSharesAnswersWhileDataMoves(t *testing.T) {
	q := &fakeQueries{version: db.DataVersionRow{Offsets: 10, Partitions: 4}}
	c := NewCache(q, 200*time.Millisecond)
	windows := []Window{{Kind: AllTime}}
	if got, err := c.Compute(context.Background(), windows, false); err != nil || got[0].Sessions != 10 {
		t.Fatalf("Compute = %+v, %v", got, err)
	}
	q.version.Offsets = 11
	if got, _ := c.Compute(context.Background(), windows, false); got[0].Sessions != 10 || q.queries.Load() != 1 {
		t.Fatalf("within the maximum age: %+v after %d queries; want the kept answer", got, q.queries.Load())
	}
	time.Sleep(250 * time.Millisecond)
	if got, _ := c.Compute(context.Background(), windows, false); got[0].Sessions != 11 || q.queries.Load() != 2 {
		t.Fatalf("past the maximum age: %+v after %d queries; want a fresh answer", got, q.queries.Load())
	}
}
