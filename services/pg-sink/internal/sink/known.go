package sink

import (
	"context"
	"fmt"
	"math/bits"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"
)

// visitorFilter is a Bloom filter of the visitors that have a session in
// PostgreSQL. A visitor it does not contain has none, which spares the
// lookup of its latest session: most visitors are new when they first
// appear. False positives only cost that lookup.
//
// It is exact in the one direction that matters as long as every visitor
// given a session is added: it is built from PostgreSQL when partitions are
// claimed, this sink adds what it commits, and a commit by anyone else on an
// owned partition breaks the fenced offset, which rebuilds it.
type visitorFilter struct {
	words []atomic.Uint64
	mask  uint64
}

// buildFilter reads every visitor with a session, sized for growth.
func buildFilter(ctx context.Context, pool *pgxpool.Pool) (*visitorFilter, error) {
	var n int64
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM sessions").Scan(&n); err != nil {
		return nil, fmt.Errorf("count sessions: %w", err)
	}
	// 32 bits per expected visitor, four times today's sessions, at least
	// 8 Mbit (1 MiB): under 0.1% false positives until the table quadruples.
	size := uint64(1) << bits.Len64(uint64(max(n*4*32, 1<<23))-1)
	f := &visitorFilter{words: make([]atomic.Uint64, size/64), mask: size - 1}

	rows, err := pool.Query(ctx, "SELECT visitor_id FROM sessions")
	if err != nil {
		return nil, fmt.Errorf("read visitors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read visitors: %w", err)
		}
		f.add(v)
	}
	return f, rows.Err()
}

// The three bit positions of a visitor, by double hashing with two
// independent mixes.
func (f *visitorFilter) positions(v int64) [3]uint64 {
	h1 := mix(uint64(v))
	h2 := mix(h1) | 1
	return [3]uint64{h1 & f.mask, (h1 + h2) & f.mask, (h1 + 2*h2) & f.mask}
}

// mix is SplitMix64's finalizer.
func mix(h uint64) uint64 {
	h += 0x9e3779b97f4a7c15
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9
	h = (h ^ (h >> 27)) * 0x94d049bb133111eb
	return h ^ (h >> 31)
}

func (f *visitorFilter) add(v int64) {
	for _, p := range f.positions(v) {
		f.words[p/64].Or(1 << (p % 64))
	}
}

// mayContain reports whether v may have a session; false is certain.
func (f *visitorFilter) mayContain(v int64) bool {
	for _, p := range f.positions(v) {
		if f.words[p/64].Load()&(1<<(p%64)) == 0 {
			return false
		}
	}
	return true
}
