// Package kafka builds franz-go clients from the shared KAFKA_* settings.
package kafka

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"github.com/twmb/franz-go/plugin/kslog"

	"github.com/clickstream/clickstream/services/platform/certs"
	"github.com/clickstream/clickstream/services/platform/config"
)

// DefaultTopic is the events topic when KAFKA_TOPIC is unset.
const DefaultTopic = "clickstream-events"

// Config is how to reach the cluster and which topic holds the events.
type Config struct {
	Brokers []string // KAFKA_BROKERS, comma separated host:port
	Topic   string   // KAFKA_TOPIC

	// TLS, when not nil, encrypts every connection: KAFKA_TLS, KAFKA_CA_FILE,
	// and KAFKA_CERT_FILE with KAFKA_KEY_FILE for client certificates.
	TLS *tls.Config
	// SASL, when not nil, authenticates every connection: KAFKA_SASL_MECHANISM
	// with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD.
	SASL sasl.Mechanism
}

// SASL mechanisms accepted by KAFKA_SASL_MECHANISM.
const (
	SASLPlain       = "PLAIN"
	SASLSCRAMSHA256 = "SCRAM-SHA-256"
	SASLSCRAMSHA512 = "SCRAM-SHA-512"
)

// ReadConfig reads KAFKA_BROKERS and KAFKA_TOPIC, and the security settings:
// TLS is on when KAFKA_TLS is true, when any of KAFKA_CA_FILE,
// KAFKA_CERT_FILE and KAFKA_KEY_FILE is set, or when SASL is configured,
// unless KAFKA_TLS is false.
func ReadConfig(env *config.Env) Config {
	c := Config{
		Brokers: env.List("KAFKA_BROKERS", nil),
		Topic:   env.String("KAFKA_TOPIC", DefaultTopic),
	}
	if len(c.Brokers) == 0 {
		env.Fail("KAFKA_BROKERS", "is required (host:port, comma separated)")
	}
	c.SASL = readSASL(env)
	files := certs.Files{CA: "KAFKA_CA_FILE", Cert: "KAFKA_CERT_FILE", Key: "KAFKA_KEY_FILE"}
	anyFile := env.String(files.CA, "") != "" || env.String(files.Cert, "") != "" || env.String(files.Key, "") != ""
	if env.Bool("KAFKA_TLS", anyFile || c.SASL != nil) {
		c.TLS = certs.Client(env, files, true)
	} else if anyFile {
		env.Fail("KAFKA_TLS", "is false, but KAFKA_CA_FILE, KAFKA_CERT_FILE or KAFKA_KEY_FILE is set")
	}
	return c
}

func readSASL(env *config.Env) sasl.Mechanism {
	mech := strings.ToUpper(env.String("KAFKA_SASL_MECHANISM", ""))
	user := env.String("KAFKA_SASL_USERNAME", "")
	pass := config.Secret(env.String("KAFKA_SASL_PASSWORD", ""))
	if mech == "" {
		if user != "" || pass != "" {
			env.Fail("KAFKA_SASL_MECHANISM", "is required with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (%s, %s or %s)",
				SASLSCRAMSHA256, SASLSCRAMSHA512, SASLPlain)
		}
		return nil
	}
	if user == "" {
		env.Fail("KAFKA_SASL_USERNAME", "is required with KAFKA_SASL_MECHANISM")
	}
	if pass == "" {
		env.Fail("KAFKA_SASL_PASSWORD", "is required with KAFKA_SASL_MECHANISM")
	}
	switch mech {
	case SASLSCRAMSHA256:
		return scram.Auth{User: user, Pass: pass.Reveal()}.AsSha256Mechanism()
	case SASLSCRAMSHA512:
		return scram.Auth{User: user, Pass: pass.Reveal()}.AsSha512Mechanism()
	case SASLPlain:
		return plain.Auth{User: user, Pass: pass.Reveal()}.AsMechanism()
	default:
		env.Fail("KAFKA_SASL_MECHANISM", "%q is not one of %s, %s, %s", mech, SASLSCRAMSHA256, SASLSCRAMSHA512, SASLPlain)
		return nil
	}
}

// Opts returns the client options for c: the seed brokers, TLS and SASL
// when configured and, when log is not nil, franz-go's logging through slog.
func (c Config) Opts(log *slog.Logger) []kgo.Opt {
	opts := []kgo.Opt{kgo.SeedBrokers(c.Brokers...)}
	if c.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(c.TLS.Clone()))
	}
	if c.SASL != nil {
		opts = append(opts, kgo.SASL(c.SASL))
	}
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
