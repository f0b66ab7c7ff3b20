package main

import (
	"time"

	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/kafka"
)

// settings are the pg-sink's, read from the environment.
type settings struct {
	Kafka          kafka.Config
	Group          string        // PGSINK_GROUP
	DLQTopic       string        // KAFKA_DLQ_TOPIC
	PGURL          config.Secret // PG_URL
	PGConns        int           // PG_MAX_CONNS
	ValkeyURL      config.Secret // VALKEY_URL
	StateTTL       time.Duration // VALKEY_STATE_TTL
	KeyPrefix      string        // VALKEY_PREFIX
	SessionTimeout time.Duration // SESSION_TIMEOUT
	MaxPoll        int           // PGSINK_MAX_POLL_RECORDS
	GroupSession   time.Duration // KAFKA_GROUP_SESSION_TIMEOUT: how soon a dead member's partitions move
}

func readSettings(env *config.Env) settings {
	s := settings{
		Kafka:          kafka.ReadConfig(env),
		Group:          env.String("PGSINK_GROUP", "clickstream-postgresql"),
		DLQTopic:       env.String("KAFKA_DLQ_TOPIC", "clickstream-events-dlq"),
		PGConns:        env.Int("PG_MAX_CONNS", 8, 2, 200),
		StateTTL:       env.Duration("VALKEY_STATE_TTL", 2*time.Hour),
		KeyPrefix:      env.String("VALKEY_PREFIX", "clickstream:"),
		SessionTimeout: env.Duration("SESSION_TIMEOUT", 30*time.Minute),
		MaxPoll:        env.Int("PGSINK_MAX_POLL_RECORDS", 40_000, 1, 1_000_000),
		GroupSession:   env.Duration("KAFKA_GROUP_SESSION_TIMEOUT", 45*time.Second),
	}
	if u := env.URL("PG_URL", true, "postgres", "postgresql"); u != nil {
		s.PGURL = config.Secret(u.String())
	}
	if u := env.URL("VALKEY_URL", true, "redis", "rediss", "valkey", "valkeys"); u != nil {
		s.ValkeyURL = config.Secret(u.String())
	}
	return s
}
