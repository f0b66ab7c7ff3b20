package cli

import (
	"google.golang.org/grpc"

	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/grpcclient"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/searchindex"
)

// settings are what the CLI reads from the environment: where the services
// listen and how to reach the stores it manages directly.
type settings struct {
	ProducerAddr  string // PRODUCER_ADDR: the producer's gRPC address
	AnalyticsAddr string // ANALYTICS_ADDR: the analytics service's gRPC address
	// GRPC is how the services are called: GRPC_TOKEN and GRPC_TLS_CA_FILE.
	GRPC         grpcclient.Config
	Kafka        kafka.Config
	DLQTopic     string        // KAFKA_DLQ_TOPIC
	Groups       []string      // PGSINK_GROUP and SEARCHSINK_GROUP
	PGURL        config.Secret // PG_URL
	ValkeyURL    config.Secret // VALKEY_URL
	ValkeyPrefix string        // VALKEY_PREFIX
	OpenSearch   openSearchSettings
	// SearchSink says whether consumer start runs the search-sink too:
	// OPENSEARCH_ENABLED, off by default.
	SearchSink bool
}

// openSearchSettings are how opensearch init reaches OpenSearch and its
// Dashboards; both use the same credentials.
type openSearchSettings struct {
	URL           string        // OPENSEARCH_URL; empty when OpenSearch is not used
	User          string        // OPENSEARCH_USER
	Password      config.Secret // OPENSEARCH_PASSWORD
	DashboardsURL string        // OPENSEARCH_DASHBOARDS_URL
	Index         string        // SEARCHSINK_INDEX
	Replicas      int           // OPENSEARCH_REPLICAS: replicas of the index, 0 on one node
}

func readSettings(env *config.Env) settings {
	s := settings{
		ProducerAddr:  env.Addr("PRODUCER_ADDR", "127.0.0.1:50051"),
		AnalyticsAddr: env.Addr("ANALYTICS_ADDR", "127.0.0.1:50054"),
		GRPC:          grpcclient.ReadConfig(env),
		Kafka:         kafka.ReadConfig(env),
		DLQTopic:      env.String("KAFKA_DLQ_TOPIC", "clickstream-events-dlq"),
		Groups: []string{
			env.String("PGSINK_GROUP", "clickstream-postgresql"),
			env.String("SEARCHSINK_GROUP", "clickstream-opensearch"),
		},
		ValkeyPrefix: env.String("VALKEY_PREFIX", "clickstream:"),
		OpenSearch:   readOpenSearch(env),
		SearchSink:   env.Bool("OPENSEARCH_ENABLED", false),
	}
	// Parsed here, as the services do, so that a malformed URL is reported
	// masked at start and never reaches a client library's error message.
	if u := env.URL("PG_URL", false, "postgres", "postgresql"); u != nil {
		s.PGURL = config.Secret(u.String())
	}
	if u := env.URL("VALKEY_URL", false, "redis", "rediss", "valkey", "valkeys"); u != nil {
		s.ValkeyURL = config.Secret(u.String())
	}
	return s
}

// dial returns a client connection to the service at addr, with the token
// and TLS of the settings. It does not connect.
func (a *app) dial(addr string) (*grpc.ClientConn, error) {
	cfg, err := a.settings()
	if err != nil {
		return nil, err
	}
	return cfg.GRPC.NewClient(addr)
}

func readOpenSearch(env *config.Env) openSearchSettings {
	s := openSearchSettings{
		User:          env.String("OPENSEARCH_USER", ""),
		Password:      config.Secret(env.String("OPENSEARCH_PASSWORD", "")),
		DashboardsURL: "http://127.0.0.1:5601",
		Index:         env.String("SEARCHSINK_INDEX", searchindex.Index),
		Replicas:      env.Int("OPENSEARCH_REPLICAS", 0, 0, 10),
	}
	if u := env.URL("OPENSEARCH_URL", false, "http", "https"); u != nil {
		s.URL = u.String()
	}
	if u := env.URL("OPENSEARCH_DASHBOARDS_URL", false, "http", "https"); u != nil {
		s.DashboardsURL = u.String()
	}
	return s
}
