package main

import (
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/kafka"
)

// settings are the producer's, read from the environment.
type settings struct {
	Kafka       kafka.Config
	Partitions  int32 // KAFKA_PARTITIONS: for the topic when the producer creates it
	Replication int16 // KAFKA_REPLICATION: likewise; -1 is the brokers' default
	Compression kgo.CompressionCodec
	Buffered    int    // PRODUCER_BUFFERED_RECORDS: records in flight at most
	File        string // PRODUCER_FILE: replayed when a request names none
	RejectsFile string // PRODUCER_REJECTS_FILE: every rejected row, as CSV

	// MemoryLimit is the Go heap's soft limit unless GOMEMLIMIT sets one: a
	// full replay holds every row to sort it, and without a limit the heap
	// grows to twice that before collecting.
	MemoryLimit int64
}

const defaultMemoryLimit = 320 << 20

func readSettings(env *config.Env) settings {
	return settings{
		Kafka:       kafka.ReadConfig(env),
		Partitions:  int32(env.Int("KAFKA_PARTITIONS", 4, 1, 10000)),
		Replication: int16(env.Int("KAFKA_REPLICATION", -1, -1, 100)),
		Compression: kafka.ReadCompression(env, "KAFKA_COMPRESSION"),
		Buffered:    env.Int("PRODUCER_BUFFERED_RECORDS", 200_000, 1_000, 10_000_000),
		File:        env.String("PRODUCER_FILE", "data/events.csv"),
		RejectsFile: env.String("PRODUCER_REJECTS_FILE", ""),
		MemoryLimit: memoryLimit(env),
	}
}

// memoryLimit leaves a GOMEMLIMIT set in the environment to the runtime.
func memoryLimit(env *config.Env) int64 {
	if env.String("GOMEMLIMIT", "") != "" {
		return 0
	}
	return defaultMemoryLimit
}
