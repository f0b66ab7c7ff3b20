// Command analytics answers funnel, top-item and pipeline status questions
// over gRPC (clickstream.v1.AnalyticsService), from what the sinks wrote.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/valkey-io/valkey-go"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/analytics/internal/probe"
	"github.com/clickstream/clickstream/services/analytics/internal/rpc"
	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/serve"
	"github.com/clickstream/clickstream/sql/db"
)

func main() {
	serve.Main(serve.Spec[settings]{
		Name:     "analytics",
		GRPCAddr: "127.0.0.1:50054",
		HTTPAddr: "127.0.0.1:8084",
		Config:   readSettings,
		Start:    start,
	})
}

func start(ctx context.Context, cfg settings, srv *serve.Server, log *slog.Logger) (func(context.Context) error, error) {
	pc, err := pgxpool.ParseConfig(cfg.PGURL.Reveal())
	if err != nil {
		return nil, fmt.Errorf("PG_URL: %w", err)
	}
	// Parallel workers make one analytics query take every core, and the
	// sinks' writes wait: by default each query stays on one.
	pc.ConnConfig.RuntimeParams["max_parallel_workers_per_gather"] = strconv.Itoa(cfg.ParallelWorkers)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("PG_URL: %w", err)
	}
	kc, err := kafka.NewClient(ctx, cfg.Kafka, log)
	if err != nil {
		pool.Close()
		return nil, err
	}
	t := probe.Targets{
		Postgres: pool, PostgresAddr: config.Mask(cfg.PGURL.Reveal()),
		Kafka: kadm.NewClient(kc), KafkaAddr: fmt.Sprint(cfg.Kafka.Brokers), Topic: cfg.Kafka.Topic,
		PGGroup: cfg.PGGroup, SearchGroup: cfg.SearchGroup, ValkeyPrefix: cfg.ValkeyPrefix,
		Index: cfg.Index, SearchURL: config.Mask(cfg.OpenSearchURL),
		Services: services(cfg), Dial: healthDialer(cfg.GRPC),
	}
	// Valkey and OpenSearch are optional: status says when they do not
	// answer. A Valkey that does not answer at start stays unreported until
	// the service restarts, because its client dials when made.
	if cfg.ValkeyURL != "" {
		if opt, err := valkey.ParseURL(cfg.ValkeyURL.Reveal()); err == nil {
			opt.ForceSingleClient = true
			if c, err := valkey.NewClient(opt); err == nil {
				t.Valkey, t.ValkeyAddr = c, fmt.Sprint(opt.InitAddress)
			} else {
				t.ValkeyAddr, t.ValkeyErr = fmt.Sprint(opt.InitAddress), "unreachable when the service started: "+err.Error()
				log.Warn("valkey unreachable at start; status will say so", "err", err)
			}
		}
	}
	if cfg.OpenSearchURL != "" {
		t.OpenSearch, err = opensearchapi.NewClient(opensearchapi.Config{Client: opensearch.Config{
			Addresses: []string{cfg.OpenSearchURL}, Username: cfg.OpenSearchUser, Password: cfg.OpenSearchPass.Reveal(),
		}})
		if err != nil {
			return nil, fmt.Errorf("opensearch client: %w", err)
		}
	}

	clickstreamv1.RegisterAnalyticsServiceServer(srv.GRPC(), rpc.New(db.New(pool), func(ctx context.Context) probe.Report {
		return probe.Check(ctx, t)
	}, cfg.MaxStaleness))
	srv.SetReady(pool.Ping)
	return func(ctx context.Context) error {
		<-ctx.Done()
		kc.Close()
		if t.Valkey != nil {
			t.Valkey.Close()
		}
		pool.Close()
		return nil
	}, nil
}

// services lists the gRPC endpoints whose health status reports: the
// producer, and the sinks named by STATUS_SINK_ADDRS or, without it, the
// local sink replicas' fixed ports, which are shown only when they answer.
func services(cfg settings) []probe.Service {
	out := []probe.Service{{Name: "producer", Addr: cfg.ProducerAddr}}
	if len(cfg.SinkAddrs) > 0 {
		for _, s := range cfg.SinkAddrs {
			out = append(out, probe.Service{Name: s.Name, Addr: s.Addr})
		}
		return out
	}
	for i := 1; i <= cfg.SinkReplicas; i++ {
		out = append(out,
			probe.Service{Name: "pg-sink-" + strconv.Itoa(i), Addr: "127.0.0.1:" + strconv.Itoa(50060+i), Optional: true},
			probe.Service{Name: "search-sink-" + strconv.Itoa(i), Addr: "127.0.0.1:" + strconv.Itoa(50070+i), Optional: true})
	}
	return out
}
