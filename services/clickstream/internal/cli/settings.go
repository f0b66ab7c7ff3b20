package cli

import (
	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/kafka"
)

// settings are what the CLI reads from the environment: where the services
// listen and how to reach the stores it manages directly.
type settings struct {
	ProducerAddr string // PRODUCER_ADDR: the producer's gRPC address
	Kafka        kafka.Config
	DLQTopic     string        // KAFKA_DLQ_TOPIC
	Groups       []string      // PGSINK_GROUP and SEARCHSINK_GROUP
	PGURL        config.Secret // PG_URL
	ValkeyURL    config.Secret // VALKEY_URL
	ValkeyPrefix string        // VALKEY_PREFIX
}

func readSettings(env *config.Env) settings {
	return settings{
		ProducerAddr: env.Addr("PRODUCER_ADDR", "127.0.0.1:50051"),
		Kafka:        kafka.ReadConfig(env),
		DLQTopic:     env.String("KAFKA_DLQ_TOPIC", "clickstream-events-dlq"),
		Groups: []string{
			env.String("PGSINK_GROUP", "clickstream-postgresql"),
			env.String("SEARCHSINK_GROUP", "clickstream-opensearch"),
		},
		PGURL:        config.Secret(env.String("PG_URL", "")),
		ValkeyURL:    config.Secret(env.String("VALKEY_URL", "")),
		ValkeyPrefix: env.String("VALKEY_PREFIX", "clickstream:"),
	}
}
