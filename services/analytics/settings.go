package main

import (
	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/searchindex"
)

// settings are the analytics service's, read from the environment.
type settings struct {
	PGURL          config.Secret // PG_URL
	Kafka          kafka.Config
	ValkeyURL      config.Secret // VALKEY_URL; optional
	ValkeyPrefix   string        // VALKEY_PREFIX
	OpenSearchURL  string        // OPENSEARCH_URL; optional
	OpenSearchUser string        // OPENSEARCH_USER
	OpenSearchPass config.Secret // OPENSEARCH_PASSWORD
	Index          string        // SEARCHSINK_INDEX
	PGGroup        string        // PGSINK_GROUP
	SearchGroup    string        // SEARCHSINK_GROUP
	ProducerAddr   string        // PRODUCER_ADDR
	SinkReplicas   int           // STATUS_SINK_REPLICAS: local replica ports to probe
}

func readSettings(env *config.Env) settings {
	s := settings{
		Kafka:          kafka.ReadConfig(env),
		ValkeyPrefix:   env.String("VALKEY_PREFIX", "clickstream:"),
		OpenSearchUser: env.String("OPENSEARCH_USER", ""),
		OpenSearchPass: config.Secret(env.String("OPENSEARCH_PASSWORD", "")),
		Index:          env.String("SEARCHSINK_INDEX", searchindex.Index),
		PGGroup:        env.String("PGSINK_GROUP", "clickstream-postgresql"),
		SearchGroup:    env.String("SEARCHSINK_GROUP", "clickstream-opensearch"),
		ProducerAddr:   env.Addr("PRODUCER_ADDR", "127.0.0.1:50051"),
		SinkReplicas:   env.Int("STATUS_SINK_REPLICAS", 8, 0, 9),
	}
	if u := env.URL("PG_URL", true, "postgres", "postgresql"); u != nil {
		s.PGURL = config.Secret(u.String())
	}
	if u := env.URL("VALKEY_URL", false, "redis", "rediss", "valkey", "valkeys"); u != nil {
		s.ValkeyURL = config.Secret(u.String())
	}
	if u := env.URL("OPENSEARCH_URL", false, "http", "https"); u != nil {
		s.OpenSearchURL = u.String()
	}
	return s
}
