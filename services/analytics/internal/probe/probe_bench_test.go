package probe

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/clickstream/clickstream/services/platform/testenv"
)

// BenchmarkStatus times a status report of the local stack (PostgreSQL
// counts, the topic, both groups; Valkey and OpenSearch as configured in
// .env are left out) and reports its p50 and p99.
func BenchmarkStatus(b *testing.B) {
	pool, err := pgxpool.New(context.Background(), testenv.Lookup(b, "PG_URL"))
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	kc, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(testenv.Lookup(b, "KAFKA_BROKERS"), ",")...))
	if err != nil {
		b.Fatal(err)
	}
	defer kc.Close()
	t := Targets{Postgres: pool, Kafka: kadm.NewClient(kc), Topic: "clickstream-events",
		PGGroup: "clickstream-postgresql", SearchGroup: "clickstream-opensearch"}
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		r := Check(context.Background(), t)
		took = append(took, time.Since(start))
		if !r.Stores[0].Reachable {
			b.Fatalf("postgresql: %s", r.Stores[0].Err)
		}
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}
