package funnel

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clickstream/clickstream/services/analytics/internal/snapshot"
	"github.com/clickstream/clickstream/sql/db"
)

// Versioned is a Querier that can also say which version of the data it
// sees; *db.Queries is one.
type Versioned interface {
	Querier
	DataVersion(ctx context.Context) (db.DataVersionRow, error)
}

// Cache keeps funnels for as long as the data they were computed from is
// unchanged. Every write to sessions moves a stored offset in the same
// transaction, and a reset truncates those offsets, so an unchanged data
// version means unchanged sessions: cached answers stay exact. With a
// maximum age, an answer also serves for that long while the data moves
// on, so that callers polling during ingest share one computation instead
// of each scanning the sessions.
type Cache struct {
	q    Versioned
	snap *snapshot.Cache[string, []Counts]
}

// NewCache returns a cache over q whose answers may be up to maxAge behind
// the data; 0 keeps every answer exact.
func NewCache(q Versioned, maxAge time.Duration) *Cache {
	return &Cache{q: q, snap: snapshot.New[string, []Counts](maxAge)}
}

// Compute is [Compute] answered from the cache; with exact, only from an
// answer of the data version it reads first. The slice returned may be
// shared with other callers: it must not be modified.
func (c *Cache) Compute(ctx context.Context, windows []Window, exact bool) ([]Counts, error) {
	v, err := c.q.DataVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("data version: %w", err)
	}
	get := c.snap.Get
	if exact {
		get = c.snap.GetExact
	}
	return get(ctx, windowsKey(windows), Version(v), func(ctx context.Context) ([]Counts, error) {
		return Compute(ctx, c.q, windows)
	})
}

// Version spells a data version for cache keys.
func Version(v db.DataVersionRow) string {
	return fmt.Sprintf("%d/%d/%d", v.Offsets, v.Partitions, v.Updated.UnixNano())
}

func windowsKey(windows []Window) string {
	var b strings.Builder
	for _, w := range windows {
		fmt.Fprintf(&b, "%d:%d:%d;", w.Kind, w.Start.UnixNano(), w.End.UnixNano())
	}
	return b.String()
}
