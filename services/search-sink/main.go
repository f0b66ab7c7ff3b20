// Command search-sink consumes click events from Kafka into an OpenSearch
// index for dashboards, each event once by document id. Run several to
// share the topic's partitions.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/serve"
	"github.com/clickstream/clickstream/services/search-sink/internal/consume"
	"github.com/clickstream/clickstream/services/search-sink/internal/index"
)

func main() {
	serve.Main(serve.Spec[settings]{
		Name:     "search-sink",
		GRPCAddr: "127.0.0.1:50053",
		HTTPAddr: "127.0.0.1:8083",
		Config:   readSettings,
		Start:    start,
	})
}

func start(ctx context.Context, cfg settings, srv *serve.Server, log *slog.Logger) (func(context.Context) error, error) {
	search, err := index.NewClient(ctx, cfg.OpenSearch)
	if err != nil {
		return nil, err
	}
	if err := index.Prepare(ctx, search, cfg.Index, cfg.Replicas); err != nil {
		return nil, err
	}
	admin, err := kafka.NewClient(ctx, cfg.Kafka, log)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	if _, err := kafka.EnsureTopic(ctx, admin, kafka.TopicSpec{Name: cfg.DLQTopic, Partitions: 1, Replication: -1}); err != nil {
		return nil, err
	}

	c, err := consume.New(consume.Config{
		Group: cfg.Group, Topic: cfg.Kafka.Topic, DLQTopic: cfg.DLQTopic, Index: cfg.Index,
		Limits: cfg.Limits, MaxPoll: cfg.MaxPoll, StopTimeout: 7 * time.Second,
		BackfillLag: cfg.BackfillLag, RelaxedRefresh: cfg.RelaxedRefresh,
	}, search, append(cfg.Kafka.Opts(log), kgo.SessionTimeout(cfg.GroupSession)), log, srv.Registry())
	if err != nil {
		return nil, err
	}
	c.OnDegraded = func(down bool) { srv.SetServing(!down) }
	srv.SetReady(func(ctx context.Context) error {
		if _, err := search.Cluster.Health(ctx, nil); err != nil {
			return fmt.Errorf("opensearch: %w", err)
		}
		return nil
	})
	clickstreamv1.RegisterSinkServiceServer(srv.GRPC(), c.StatusServer())
	return c.Run, nil
}
