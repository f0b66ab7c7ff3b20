package funnel

import (
	"context"
	"fmt"
	"sync"
	"time"

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
// version means unchanged sessions: cached answers stay exact.
type Cache struct {
	q Versioned

	mu      sync.Mutex
	version db.DataVersionRow
	counts  map[windowKey]Counts
}

type windowKey struct {
	kind       Kind
	start, end time.Time
}

// NewCache returns a cache over q.
func NewCache(q Versioned) *Cache {
	return &Cache{q: q, counts: make(map[windowKey]Counts)}
}

// Compute is [Compute] answered from the cache where the data is unchanged.
func (c *Cache) Compute(ctx context.Context, windows []Window) ([]Counts, error) {
	v, err := c.q.DataVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("data version: %w", err)
	}
	c.mu.Lock()
	if !v.Updated.Equal(c.version.Updated) || v.Offsets != c.version.Offsets || v.Partitions != c.version.Partitions {
		c.version, c.counts = v, make(map[windowKey]Counts)
	}
	out := make([]Counts, len(windows))
	var missing []int
	for i, w := range windows {
		if got, ok := c.counts[key(w)]; ok {
			out[i] = got
		} else {
			missing = append(missing, i)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}

	todo := make([]Window, len(missing))
	for i, j := range missing {
		todo[i] = windows[j]
	}
	fresh, err := Compute(ctx, c.q, todo)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, j := range missing {
		out[j] = fresh[i]
		if c.version == v {
			c.counts[key(windows[j])] = fresh[i]
		}
	}
	return out, nil
}

func key(w Window) windowKey {
	return windowKey{kind: w.Kind, start: w.Start.UTC(), end: w.End.UTC()}
}
