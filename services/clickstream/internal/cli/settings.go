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
	Partitions   int32 // KAFKA_PARTITIONS, for recreating the topic
	Replication  int16 // KAFKA_REPLICATION
}

func readSettings(env *config.Env) settings {
	return settings{
		ProducerAddr: env.Addr("PRODUCER_ADDR", "127.0.0.1:50051"),
		Kafka:        kafka.ReadConfig(env),
		Partitions:   int32(env.Int("KAFKA_PARTITIONS", 4, 1, 10000)),
		Replication:  int16(env.Int("KAFKA_REPLICATION", -1, -1, 100)),
	}
}
