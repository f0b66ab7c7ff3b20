package main

import (
	"time"

	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/searchindex"
	"github.com/clickstream/clickstream/services/search-sink/internal/index"
)

// settings are the search-sink's, read from the environment.
type settings struct {
	Kafka          kafka.Config
	OpenSearch     index.Config
	Group          string        // SEARCHSINK_GROUP
	DLQTopic       string        // KAFKA_DLQ_TOPIC
	Index          string        // SEARCHSINK_INDEX
	Replicas       int           // OPENSEARCH_REPLICAS, for the index template
	Limits         index.Limits  // SEARCHSINK_BULK_DOCS, _BULK_BYTES, _BULK_CONCURRENCY
	MaxPoll        int           // SEARCHSINK_MAX_POLL_RECORDS
	GroupSession   time.Duration // KAFKA_GROUP_SESSION_TIMEOUT
	BackfillLag    int64         // SEARCHSINK_BACKFILL_LAG
	RelaxedRefresh string        // SEARCHSINK_BACKFILL_REFRESH
}

func readSettings(env *config.Env) settings {
	return settings{
		Kafka:      kafka.ReadConfig(env),
		OpenSearch: index.ReadConfig(env),
		Group:      env.String("SEARCHSINK_GROUP", "clickstream-opensearch"),
		DLQTopic:   env.String("KAFKA_DLQ_TOPIC", "clickstream-events-dlq"),
		Index:      env.String("SEARCHSINK_INDEX", searchindex.Index),
		Replicas:   env.Int("OPENSEARCH_REPLICAS", 0, 0, 10),
		Limits: index.Limits{
			Docs:       env.Int("SEARCHSINK_BULK_DOCS", 5000, 1, 100_000),
			Bytes:      env.Int("SEARCHSINK_BULK_BYTES", 5<<20, 1<<10, 100<<20),
			Concurrent: env.Int("SEARCHSINK_BULK_CONCURRENCY", 2, 1, 64),
		},
		MaxPoll:        env.Int("SEARCHSINK_MAX_POLL_RECORDS", 20_000, 1, 1_000_000),
		GroupSession:   env.Duration("KAFKA_GROUP_SESSION_TIMEOUT", 45*time.Second),
		BackfillLag:    int64(env.Int("SEARCHSINK_BACKFILL_LAG", 100_000, 0, 1<<40)),
		RelaxedRefresh: env.String("SEARCHSINK_BACKFILL_REFRESH", "30s"),
	}
}
