// Command pg-sink consumes click events from Kafka into PostgreSQL: an
// events table and a sessions table, exactly once, with open-session state
// cached in Valkey. Run several to share the topic's partitions.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/pg-sink/internal/sink"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/serve"
	"github.com/clickstream/clickstream/sql/migrations"
)

func main() {
	serve.Main(serve.Spec[settings]{
		Name:     "pg-sink",
		GRPCAddr: "127.0.0.1:50052",
		HTTPAddr: "127.0.0.1:8082",
		Config:   readSettings,
		Start:    start,
	})
}

func start(ctx context.Context, cfg settings, srv *serve.Server, log *slog.Logger) (func(context.Context) error, error) {
	pool, err := openPostgres(ctx, cfg)
	if err != nil {
		return nil, err
	}
	admin, err := kafka.NewClient(ctx, cfg.Kafka, log)
	if err != nil {
		pool.Close()
		return nil, err
	}
	defer admin.Close()
	if _, err := kafka.EnsureTopic(ctx, admin, kafka.TopicSpec{Name: cfg.DLQTopic, Partitions: 1, Replication: -1}); err != nil {
		pool.Close()
		return nil, err
	}

	// Valkey is a cache: without it the sink starts degraded, reads every
	// state from PostgreSQL, and keeps trying to reach it.
	valkey := &valkeyConn{url: cfg.ValkeyURL.Reveal(), prefix: cfg.KeyPrefix, ttl: cfg.StateTTL, log: log}
	store := valkey.dial(ctx)
	s, err := sink.New(sink.Config{
		Group: cfg.Group, Topic: cfg.Kafka.Topic, DLQTopic: cfg.DLQTopic,
		SessionTimeout: cfg.SessionTimeout, MaxPoll: cfg.MaxPoll, StopTimeout: 7 * time.Second,
	}, pool, store, append(cfg.Kafka.Opts(log), kgo.SessionTimeout(cfg.GroupSession)), log, srv.Registry())
	if err != nil {
		valkey.close()
		pool.Close()
		return nil, err
	}
	s.OnDegraded = func(down bool) { srv.SetServing(!down) }
	srv.SetReady(func(ctx context.Context) error {
		if err := pool.Ping(ctx); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		return nil
	})
	clickstreamv1.RegisterSinkServiceServer(srv.GRPC(), s.StatusServer())

	if store == nil {
		srv.SetServing(false)
		go valkey.redial(ctx, s.UseCache)
	}
	return func(ctx context.Context) error {
		defer pool.Close()
		defer valkey.close()
		return s.Run(ctx)
	}, nil
}

// openPostgres connects and applies the migrations the database lacks.
func openPostgres(ctx context.Context, cfg settings) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.PGURL.Reveal())
	if err != nil {
		return nil, fmt.Errorf("PG_URL: %w", err)
	}
	pc.MaxConns = int32(cfg.PGConns)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres %s:%d: %w", pc.ConnConfig.Host, pc.ConnConfig.Port, err)
	}
	if _, err := migrations.Apply(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}
