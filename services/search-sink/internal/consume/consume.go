// Package consume feeds the events topic into OpenSearch: poll, index in
// bulk, send what cannot be indexed to the dead-letter topic, and only then
// commit the offsets. Documents are idempotent by id, so a batch written
// again after a crash changes nothing.
package consume

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/clickstream/clickstream/services/platform/event"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/logging"
	"github.com/clickstream/clickstream/services/search-sink/internal/index"
)

// Config is what the consumer needs beyond its clients.
type Config struct {
	Group       string
	Topic       string
	DLQTopic    string
	Index       string
	Limits      index.Limits
	MaxPoll     int
	StopTimeout time.Duration

	// BackfillLag is the lag above which the index's refresh interval is
	// relaxed to RelaxedRefresh, and restored once the lag falls to a tenth.
	BackfillLag    int64
	RelaxedRefresh string
}

// Consumer is one member of the search-sink's consumer group.
type Consumer struct {
	cfg    Config
	os     *opensearchapi.Client
	bulker *index.Bulker
	client *kgo.Client
	log    *slog.Logger
	m      *metrics

	mu      sync.Mutex
	lag     map[int32]int64 // per owned partition, as of the last poll
	relaxed bool

	processed atomic.Int64
	lastErr   atomic.Pointer[string]
	down      atomic.Bool

	// OnDegraded is called when OpenSearch stops (true) or starts (false)
	// accepting writes.
	OnDegraded func(bool)
}

// New returns a consumer indexing through os, with a Kafka client made of
// base options (brokers, TLS) and the group's own.
func New(cfg Config, os *opensearchapi.Client, base []kgo.Opt, log *slog.Logger, reg prometheus.Registerer) (*Consumer, error) {
	c := &Consumer{
		cfg: cfg, os: os, log: logging.OrDiscard(log), m: newMetrics(reg),
		lag: make(map[int32]int64),
	}
	c.bulker = index.NewBulker(os, cfg.Index, cfg.Limits)
	c.bulker.OnRetry = c.retrying
	opts := append(base,
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topic),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		// A group that never committed starts from the beginning: enabling
		// the search-sink late backfills everything the topic holds.
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.OnPartitionsRevoked(c.forget),
		kgo.OnPartitionsLost(c.forget),
	)
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer: %w", err)
	}
	c.client = client
	return c, nil
}

// Run polls and indexes until ctx is done, then finishes the batch in hand
// (within StopTimeout), commits, restores the refresh interval and leaves.
func (c *Consumer) Run(ctx context.Context) error {
	defer c.client.Close()
	defer c.restoreRefresh(context.WithoutCancel(ctx))
	for {
		fetches := c.client.PollRecords(ctx, c.cfg.MaxPoll)
		if ctx.Err() != nil || c.client.Context().Err() != nil {
			c.client.AllowRebalance()
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			c.log.Warn("fetch failed", "topic", topic, "partition", p, "err", err)
		})
		c.track(ctx, fetches)
		if recs := fetches.Records(); len(recs) > 0 {
			// write gives up only when the sink stops: the uncommitted batch
			// is then read again by whoever owns its partitions next.
			if err := c.write(ctx, recs); err != nil {
				c.log.Warn("batch not written; it will be read again", "records", len(recs), "err", err)
				c.client.AllowRebalance()
				return nil
			}
		}
		c.client.AllowRebalance()
	}
}

// write makes a batch durable: documents indexed, refusals and poison
// records in the dead-letter topic; then it commits the batch's offsets.
func (c *Consumer) write(ctx context.Context, recs []*kgo.Record) error {
	start := time.Now()
	// A stop lets the batch in hand finish, for StopTimeout at most.
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(c.cfg.StopTimeout, cancel) })
	defer stop()

	events := make([]event.Event, 0, len(recs))
	from := make(map[event.Identity]*kgo.Record, len(recs))
	var dead []*kgo.Record
	for _, r := range recs {
		e, err := event.Decode(r.Value)
		if err != nil {
			dead = append(dead, c.deadLetter(r, err.Error()))
			continue
		}
		events = append(events, e)
		from[e.Identity()] = r
	}
	rejected, err := c.bulker.Index(wctx, events)
	if err != nil {
		return err
	}
	c.healthy()
	for _, rj := range rejected {
		dead = append(dead, c.deadLetter(from[rj.Event.Identity()], "rejected by OpenSearch: "+rj.Reason))
	}
	if len(dead) > 0 {
		err := c.retry(wctx, "dead-letter", func() error { return c.client.ProduceSync(wctx, dead...).FirstErr() })
		if err != nil {
			return err
		}
	}
	if err := c.retry(wctx, "commit offsets", func() error { return c.client.CommitRecords(wctx, recs...) }); err != nil {
		return err
	}

	c.processed.Add(int64(len(recs)))
	c.lastErr.Store(nil)
	c.m.indexed.Add(float64(len(events) - len(rejected)))
	c.m.rejected.Add(float64(len(rejected)))
	c.m.deadLettered.Add(float64(len(dead)))
	c.m.batchSeconds.Observe(time.Since(start).Seconds())
	return nil
}

// retry runs fn until it succeeds or ctx ends, with backoff: a batch must
// not be skipped, or the offsets of the next one would cover it.
func (c *Consumer) retry(ctx context.Context, what string, fn func() error) error {
	wait := 100 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return nil
		}
		msg := what + ": " + err.Error()
		c.lastErr.Store(&msg)
		c.log.Warn("retrying", "step", what, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// deadLetter logs and builds the dead-letter record for r.
func (c *Consumer) deadLetter(r *kgo.Record, reason string) *kgo.Record {
	c.log.Warn("record dead-lettered", "partition", r.Partition, "offset", r.Offset, "err", reason)
	return kafka.DeadLetter(c.cfg.DLQTopic, r, c.cfg.Group, reason)
}

func (c *Consumer) retrying(items int, err error) {
	c.m.retried.Add(float64(items))
	msg := err.Error()
	c.lastErr.Store(&msg)
	if !c.down.Swap(true) {
		c.log.Warn("opensearch is not taking writes; retrying", "items", items, "err", err)
		if c.OnDegraded != nil {
			c.OnDegraded(true)
		}
	}
}

func (c *Consumer) healthy() {
	if c.down.Swap(false) {
		c.log.Info("opensearch takes writes again")
		if c.OnDegraded != nil {
			c.OnDegraded(false)
		}
	}
}

// track records each partition's lag and relaxes or restores the index's
// refresh interval: refreshing every second while catching up on millions
// of documents costs more than the writes.
func (c *Consumer) track(ctx context.Context, fetches kgo.Fetches) {
	c.mu.Lock()
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if n := len(p.Records); n > 0 {
			c.lag[p.Partition] = max(p.HighWatermark-p.Records[n-1].Offset-1, 0)
			c.m.lag.WithLabelValues(strconv.Itoa(int(p.Partition))).Set(float64(c.lag[p.Partition]))
		}
	})
	var total int64
	for _, l := range c.lag {
		total += l
	}
	relax := !c.relaxed && total > c.cfg.BackfillLag
	restore := c.relaxed && total <= c.cfg.BackfillLag/10
	c.mu.Unlock()

	switch {
	case relax:
		if c.setRefresh(ctx, c.cfg.RelaxedRefresh) {
			c.log.Info("backfilling: refresh interval relaxed", "index", c.cfg.Index, "lag", total, "refresh_interval", c.cfg.RelaxedRefresh)
			c.setRelaxed(true)
		}
	case restore:
		c.restoreRefresh(ctx)
	}
}

func (c *Consumer) setRelaxed(v bool) {
	c.mu.Lock()
	c.relaxed = v
	c.mu.Unlock()
}

// restoreRefresh puts the template's refresh interval back (null resets
// the setting to the template's value).
func (c *Consumer) restoreRefresh(ctx context.Context) {
	c.mu.Lock()
	relaxed := c.relaxed
	c.mu.Unlock()
	if relaxed && c.setRefresh(ctx, "") {
		c.log.Info("caught up: refresh interval restored", "index", c.cfg.Index)
		c.setRelaxed(false)
	}
}

func (c *Consumer) setRefresh(ctx context.Context, interval string) bool {
	value := "null"
	if interval != "" {
		value = strconv.Quote(interval)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := c.os.Indices.Settings.Put(ctx, opensearchapi.SettingsPutReq{
		Indices: []string{c.cfg.Index},
		Body:    strings.NewReader(`{"index":{"refresh_interval":` + value + `}}`),
	})
	if err != nil {
		c.log.Warn("set refresh interval failed", "index", c.cfg.Index, "err", err)
		return false
	}
	return true
}

func (c *Consumer) forget(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ps := range lost {
		for _, p := range ps {
			delete(c.lag, p)
			c.m.lag.DeleteLabelValues(strconv.Itoa(int(p)))
		}
	}
}
