// Command producer replays click events from a CSV file into Kafka. It runs
// as a service: replays are started, stopped and followed over gRPC
// (clickstream.v1.ProducerService), usually through `clickstream producer`.
package main

import (
	"context"
	"log/slog"
	"runtime/debug"

	"github.com/twmb/franz-go/pkg/kgo"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/serve"
	"github.com/clickstream/clickstream/services/producer/internal/control"
	"github.com/clickstream/clickstream/services/producer/internal/replay"
)

func main() {
	serve.Main(serve.Spec[settings]{
		Name:     "producer",
		GRPCAddr: "127.0.0.1:50051",
		HTTPAddr: "127.0.0.1:8081",
		Config:   readSettings,
		Start:    start,
	})
}

func start(ctx context.Context, cfg settings, srv *serve.Server, log *slog.Logger) (func(context.Context) error, error) {
	if cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}
	client, err := kafka.NewClient(ctx, cfg.Kafka, log,
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(cfg.Compression),
		kgo.MaxBufferedRecords(cfg.Buffered),
		// No record delivery timeout: franz-go measures it from the record
		// timestamp, which here is the event time, often years ago.
	)
	if err != nil {
		return nil, err
	}
	topic := kafka.TopicSpec{Name: cfg.Kafka.Topic, Partitions: cfg.Partitions, Replication: cfg.Replication}
	replayer := replay.New(client, topic, log, replay.NewMetrics(srv.Registry()))
	ctl := control.New(replayer, control.Defaults{File: cfg.File, RejectsFile: cfg.RejectsFile}, log)
	clickstreamv1.RegisterProducerServiceServer(srv.GRPC(), ctl)

	return func(ctx context.Context) error {
		defer client.Close()
		return ctl.Run(ctx)
	}, nil
}
