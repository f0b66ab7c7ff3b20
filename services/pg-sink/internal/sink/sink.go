// Package sink consumes click events and writes them, with the sessions
// they make, to PostgreSQL, exactly once per event whatever crashes,
// restarts or rebalances happen.
//
// Each partition batch is one PostgreSQL transaction that inserts the new
// events, upserts every session they touch with absolute values and moves
// the partition's stored offset from the value this consumer last read. A
// consumer that lost its partition fails that last step and its batch rolls
// back. On assignment a partition resumes from the offset stored in
// PostgreSQL, not from Kafka's, which is committed afterwards for lag tools.
//
// Session state lives in memory while a partition is owned, in Valkey for
// whoever owns it next, and in PostgreSQL for good; see package cache for
// when a cached state is trusted.
package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"

	"github.com/clickstream/clickstream/services/pg-sink/internal/cache"
	"github.com/clickstream/clickstream/services/platform/logging"
)

// Config is what the sink needs beyond its clients.
type Config struct {
	Group          string
	Topic          string
	DLQTopic       string
	SessionTimeout time.Duration
	MaxPoll        int           // records per poll, over all partitions
	StopTimeout    time.Duration // for the batch in hand at shutdown
}

// Sink is one consumer of the group. Several processes share the partitions.
type Sink struct {
	cfg    Config
	pool   *pgxpool.Pool
	cache  atomic.Pointer[cache.Store] // nil until Valkey is reached
	client *kgo.Client
	log    *slog.Logger
	m      *metrics

	mu    sync.Mutex
	parts map[int32]*partition
	known atomic.Pointer[visitorFilter] // rebuilt on every assignment

	processed  atomic.Int64
	lastErr    atomic.Pointer[string]
	valkeyDown atomic.Bool
	retry      backoff

	// OnDegraded is called when Valkey becomes unreachable (true) or
	// reachable again (false).
	OnDegraded func(bool)
}

// New returns a sink writing through pool and caching in store, which may
// be nil while Valkey cannot be reached (see [Sink.UseCache]). Its Kafka
// client is made from base options (brokers, TLS) plus the group's own.
func New(cfg Config, pool *pgxpool.Pool, store *cache.Store, base []kgo.Opt, log *slog.Logger, reg prometheus.Registerer) (*Sink, error) {
	s := &Sink{
		cfg:   cfg,
		pool:  pool,
		log:   logging.OrDiscard(log),
		m:     newMetrics(reg),
		parts: make(map[int32]*partition),
	}
	opts := append(base,
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topic),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.AdjustFetchOffsetsFn(s.claim),
		kgo.OnPartitionsRevoked(s.release),
		kgo.OnPartitionsLost(s.release),
	)
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer: %w", err)
	}
	s.client = client
	if store != nil {
		s.cache.Store(store)
	} else {
		s.valkeyDown.Store(true)
	}
	return s, nil
}

// UseCache starts caching in store, once Valkey could be reached after
// the sink started without it. Partitions trust it only after their next
// write bumps their generation.
func (s *Sink) UseCache(store *cache.Store) {
	s.cache.Store(store)
	s.valkeyOK()
}

// Run polls and writes batches until ctx is done, then finishes the batch in
// hand, commits, leaves the group and closes the client.
func (s *Sink) Run(ctx context.Context) error {
	defer s.client.Close()
	for {
		fetches := s.client.PollRecords(ctx, s.cfg.MaxPoll)
		if ctx.Err() != nil || s.client.Context().Err() != nil {
			s.client.AllowRebalance()
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			s.log.Warn("fetch failed", "topic", topic, "partition", p, "err", err)
		})
		s.writeFetches(ctx, fetches)
		s.client.AllowRebalance()
	}
}

// writeFetches writes each partition's records as one batch, partitions in
// parallel, then commits the written offsets to Kafka. Shutdown does not
// cut a batch short: it gets StopTimeout to finish.
func (s *Sink) writeFetches(ctx context.Context, fetches kgo.Fetches) {
	var g errgroup.Group
	var mu sync.Mutex
	var done []*kgo.Record
	fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
		if len(fp.Records) == 0 {
			return
		}
		part := s.partition(fp.Partition)
		if part == nil {
			return
		}
		g.Go(func() error {
			last, err := s.writeWithRetry(ctx, part, fp.Records)
			if err != nil || last == nil {
				return nil
			}
			part.highWatermark.Store(fp.HighWatermark)
			s.m.lag.WithLabelValues(strconv.Itoa(int(fp.Partition))).Set(float64(max(fp.HighWatermark-last.Offset-1, 0)))
			mu.Lock()
			done = append(done, last)
			mu.Unlock()
			return nil
		})
	})
	g.Wait()
	if len(done) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.client.CommitRecords(cctx, done...); err != nil {
		s.log.Warn("kafka offset commit failed; PostgreSQL holds the offsets", "err", err)
	}
}

// writeWithRetry writes a batch until it succeeds, the partition turns out
// to be lost, or the sink stops. It returns the last record written.
func (s *Sink) writeWithRetry(ctx context.Context, part *partition, recs []*kgo.Record) (*kgo.Record, error) {
	wait := 100 * time.Millisecond
	var stopAt time.Time
	deadLettered := false // the poison records of this batch, once sent
	for attempt := 1; ; attempt++ {
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		last, err := s.writeBatch(bctx, part, recs, &deadLettered)
		cancel()
		if err == nil {
			s.lastErr.Store(nil)
			return last, nil
		}
		if errors.Is(err, errLost) {
			s.log.Warn("partition moved by another consumer; reloading it", "partition", part.id)
			s.reclaim(ctx, part)
			return nil, err
		}
		msg := err.Error()
		s.lastErr.Store(&msg)
		s.m.retries.Inc()
		s.log.Warn("batch failed; retrying", "partition", part.id, "attempt", attempt, "err", err)

		if ctx.Err() != nil {
			if stopAt.IsZero() {
				stopAt = time.Now().Add(s.cfg.StopTimeout)
			}
			if time.Now().After(stopAt) {
				return nil, err // redelivered to whoever owns the partition next
			}
		}
		time.Sleep(wait)
		wait = min(2*wait, 5*time.Second)
	}
}
