// Package kafka builds franz-go clients from the shared KAFKA_* settings.
package kafka

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kslog"

	"github.com/clickstream/clickstream/services/platform/config"
)

// DefaultTopic is the events topic when KAFKA_TOPIC is unset.
const DefaultTopic = "clickstream-events"

// Config is how to reach the cluster and which topic holds the events.
type Config struct {
	Brokers []string // KAFKA_BROKERS, comma separated host:port
	Topic   string   // KAFKA_TOPIC
}

// ReadConfig reads KAFKA_BROKERS and KAFKA_TOPIC.
func ReadConfig(env *config.Env) Config {
	c := Config{
		Brokers: env.List("KAFKA_BROKERS", nil),
		Topic:   env.String("KAFKA_TOPIC", DefaultTopic),
	}
	if len(c.Brokers) == 0 {
		env.Fail("KAFKA_BROKERS", "is required (host:port, comma separated)")
	}
	return c
}

// Opts returns the client options for c: the seed brokers and, when log is
// not nil, franz-go's logging through slog.
func (c Config) Opts(log *slog.Logger) []kgo.Opt {
	opts := []kgo.Opt{kgo.SeedBrokers(c.Brokers...)}
	if log != nil {
		opts = append(opts, kgo.WithLogger(kslog.New(log.With("component", "kgo"))))
	}
	return opts
}

// NewClient returns a client for c with the extra options, after checking
// that a broker answers, so that a wrong address fails at start.
func NewClient(ctx context.Context, c Config, log *slog.Logger, extra ...kgo.Opt) (*kgo.Client, error) {
	cl, err := kgo.NewClient(append(c.Opts(log), extra...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	if err := cl.Ping(ctx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("kafka %v: %w", c.Brokers, err)
	}
	return cl, nil
}

// ReadCompression reads a producer compression codec from the variable name:
// none, gzip, snappy, lz4 (the default) or zstd.
func ReadCompression(env *config.Env, name string) kgo.CompressionCodec {
	switch v := env.String(name, "lz4"); v {
	case "none":
		return kgo.NoCompression()
	case "gzip":
		return kgo.GzipCompression()
	case "snappy":
		return kgo.SnappyCompression()
	case "lz4":
		return kgo.Lz4Compression()
	case "zstd":
		return kgo.ZstdCompression()
	default:
		env.Fail(name, "%q is not one of none, gzip, snappy, lz4, zstd", v)
		return kgo.Lz4Compression()
	}
}
