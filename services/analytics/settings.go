package main

import (
	"net"
	"strings"
	"time"

	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/grpcclient"
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
	SinkAddrs      []namedAddr   // STATUS_SINK_ADDRS: sinks on other hosts; replaces the local ports
	MaxStaleness   time.Duration // ANALYTICS_MAX_STALENESS: how long an answer serves while data moves
	// ParallelWorkers is PostgreSQL's max_parallel_workers_per_gather for
	// the service's queries: ANALYTICS_PG_PARALLEL_WORKERS.
	ParallelWorkers int
	// GRPC is how the other services are asked for their health:
	// GRPC_TOKEN and GRPC_TLS_CA_FILE.
	GRPC grpcclient.Config
}

// DefaultMaxStaleness is how long a funnel, a top-items answer or a status
// report computed for one caller serves the others while the data moves on.
const DefaultMaxStaleness = 5 * time.Second

// namedAddr is a gRPC endpoint and the name status shows for it.
type namedAddr struct{ Name, Addr string }

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
		GRPC:           grpcclient.ReadConfig(env),
	}
	s.SinkAddrs = readNamedAddrs(env, "STATUS_SINK_ADDRS")
	s.ParallelWorkers = env.Int("ANALYTICS_PG_PARALLEL_WORKERS", 0, 0, 64)
	s.MaxStaleness = DefaultMaxStaleness
	if v := env.String("ANALYTICS_MAX_STALENESS", ""); v == "0" {
		s.MaxStaleness = 0
	} else if v != "" {
		s.MaxStaleness = env.Duration("ANALYTICS_MAX_STALENESS", DefaultMaxStaleness)
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

// readNamedAddrs reads a comma separated list of name=host:port items; an
// item without a name is named after its address.
func readNamedAddrs(env *config.Env, name string) []namedAddr {
	var out []namedAddr
	for _, item := range env.List(name, nil) {
		n, addr, found := strings.Cut(item, "=")
		if !found {
			n, addr = item, item
		}
		if _, port, err := net.SplitHostPort(addr); err != nil || port == "" || n == "" {
			env.Fail(name, "%q is not name=host:port or host:port", item)
			continue
		}
		out = append(out, namedAddr{Name: n, Addr: addr})
	}
	return out
}
