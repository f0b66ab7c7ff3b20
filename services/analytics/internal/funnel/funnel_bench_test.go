package funnel

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clickstream/clickstream/services/platform/testenv"
	"github.com/clickstream/clickstream/sql/db"
)

// BenchmarkFunnel times the three default windows against whatever the
// local PostgreSQL holds (load the full data set first, e.g. with make
// bench-pipeline) and reports the p50 and p99 of one call: computed afresh
// (as while a sink writes), and from the cache (data unchanged).
func BenchmarkFunnel(b *testing.B) {
	b.Run("fresh", func(b *testing.B) { benchmarkFunnel(b, false) })
	b.Run("unchanged", func(b *testing.B) { benchmarkFunnel(b, true) })
}

func benchmarkFunnel(b *testing.B, cached bool) {
	pool, err := pgxpool.New(context.Background(), testenv.Lookup(b, "PG_URL"))
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	q := db.New(pool)
	cache := NewCache(q, 0)
	windows := []Window{{Kind: AllTime}, {Kind: LastDay}, {Kind: LastMonth}}
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		var err error
		if cached {
			_, err = cache.Compute(context.Background(), windows, false)
		} else {
			_, err = Compute(context.Background(), q, windows)
		}
		if err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}
