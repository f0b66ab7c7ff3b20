// Package replay sends the events of a CSV file to the events topic: every
// visitor's events in event-time order, keyed by the visitor, each record
// stamped with its event time.
//
// The file is read whole and ordered by time (stably, so rows with equal
// times keep their file order) before the first record leaves, because
// event-time order per visitor is what the sinks' sessions depend on.
package replay

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/clickstream/clickstream/services/platform/event"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/logging"
	"github.com/clickstream/clickstream/services/producer/internal/clickcsv"
)

// Options say what to replay and how.
type Options struct {
	File        string
	Limit       int64   // send only the first Limit events in send order; 0 sends all
	Speed       float64 // 0 sends as fast as possible; N replays at N times real time
	RejectsFile string  // where to write every rejected row; "" writes none
}

// Replayer runs replays through one Kafka client.
type Replayer struct {
	client  *kgo.Client
	topic   kafka.TopicSpec
	log     *slog.Logger
	metrics *Metrics
	topicID kadm.TopicID // of the topic as the last replay found it; replays never overlap

	// FlushTimeout bounds the wait for acknowledgements once sending ends.
	FlushTimeout time.Duration
}

// New returns a Replayer producing through client to the topic, which each
// replay creates when it is missing. A nil log discards; nil metrics are
// created unregistered.
func New(client *kgo.Client, topic kafka.TopicSpec, log *slog.Logger, m *Metrics) *Replayer {
	if m == nil {
		m = NewMetrics(nil)
	}
	return &Replayer{
		client:       client,
		topic:        topic,
		log:          logging.OrDiscard(log),
		metrics:      m,
		FlushTimeout: 8 * time.Second,
	}
}

// Run performs the replay that p describes and records its outcome in p.
// It returns when every event is acknowledged, when ctx is done (a stop:
// what was handed to the client is flushed first), or on the first error.
func (r *Replayer) Run(ctx context.Context, p *Progress) {
	r.metrics.replaying.Set(1)
	defer r.metrics.replaying.Set(0)
	log := r.log.With("replay", p.ID, "file", p.Options.File)
	log.Info("replay started", "limit", p.Options.Limit, "speed", p.Options.Speed)

	state, err := r.run(ctx, p)
	p.End(state, err)

	s := p.Snapshot()
	attrs := []any{"state", state.String(), "rows", s.Rows, "rejected", s.Rejected,
		"sent", s.Sent, "duration", s.Elapsed().Round(time.Millisecond).String(),
		"events_per_second", int64(s.Rate())}
	if err != nil {
		log.Error("replay failed", append(attrs, "err", err)...)
		return
	}
	log.Info("replay ended", attrs...)
}

func (r *Replayer) run(ctx context.Context, p *Progress) (State, error) {
	topic, err := kafka.EnsureTopic(ctx, r.client, r.topic)
	switch {
	case ctx.Err() != nil:
		return Stopped, nil
	case err != nil:
		return Failed, err
	}
	if len(topic.Partitions) != int(r.topic.Partitions) {
		r.log.Warn("topic has another partition count than configured",
			"topic", r.topic.Name, "partitions", len(topic.Partitions), "configured", r.topic.Partitions)
	}
	r.forgetStale(topic.ID)
	rows, err := r.load(ctx, p)
	switch {
	case ctx.Err() != nil:
		return Stopped, nil
	case err != nil:
		return Failed, err
	}
	if lim := p.Options.Limit; lim > 0 && int64(len(rows)) > lim {
		rows = rows[:lim]
	}
	p.startSending(int64(len(rows)))

	if err := r.send(ctx, p, rows); err != nil {
		return Failed, err
	}
	if p.sent.Load() < int64(len(rows)) {
		return Stopped, nil
	}
	return Done, nil
}

// forgetStale makes the client forget what it holds for the topic when the
// topic was deleted and created again since the last replay: its id
// differs. Otherwise the client keeps its sequence numbers. Reset while the
// broker still remembers them, they make the broker take a batch whose
// numbers match one of the last it wrote for a retry of it, acknowledge it
// and drop it; other batches fail out of order and cost a new producer
// epoch. Records a failed replay left buffered are delivered in the end,
// which at worst writes an event twice; the sinks absorb that.
func (r *Replayer) forgetStale(id kadm.TopicID) {
	if r.topicID != (kadm.TopicID{}) && r.topicID != id {
		r.client.PurgeTopicsFromProducing(r.topic.Name)
	}
	r.topicID = id
}

// load reads every accepted row of the file and orders them by event time,
// rows with equal times in file order.
func (r *Replayer) load(ctx context.Context, p *Progress) ([]clickcsv.Row, error) {
	f, err := os.Open(p.Options.File)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd, err := clickcsv.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Options.File, err)
	}
	defer rd.Close()

	rejects, closeRejects, err := r.rejectsWriter(p.Options.RejectsFile)
	if err != nil {
		return nil, err
	}
	rd.OnReject = func(rj clickcsv.Rejection) {
		p.addReject(rj)
		r.metrics.rejected.Inc()
		if rejects != nil {
			rejects.Write([]string{strconv.FormatInt(rj.Line, 10), rj.Reason})
		}
	}

	rows, readErr := readRows(ctx, rd, p, estimateRows(f))
	if err := closeRejects(); err != nil && readErr == nil {
		readErr = fmt.Errorf("rejects file: %w", err)
	}
	if readErr != nil {
		return nil, readErr
	}
	slices.SortFunc(rows, func(a, b clickcsv.Row) int {
		if c := cmp.Compare(a.TimeMs, b.TimeMs); c != 0 {
			return c
		}
		return cmp.Compare(a.Line, b.Line)
	})
	return rows, nil
}

func readRows(ctx context.Context, rd *clickcsv.Reader, p *Progress, capacity int) ([]clickcsv.Row, error) {
	const batch = 16 << 10
	rows := make([]clickcsv.Row, 0, capacity)
	for ctx.Err() == nil {
		rows = slices.Grow(rows, batch)
		n, err := rd.Read(rows[len(rows) : len(rows)+batch])
		rows = rows[:len(rows)+n]
		p.rows.Store(rd.Rows())
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Options.File, err)
		}
	}
	return nil, ctx.Err()
}

// estimateRows guesses the row count from the file size, so that the rows
// slice is allocated once: RetailRocket's rows average about 35 bytes, and
// gzip shrinks them about four times.
func estimateRows(f *os.File) int {
	st, err := f.Stat()
	if err != nil {
		return 0
	}
	var magic [2]byte
	if n, _ := f.ReadAt(magic[:], 0); n == 2 && magic == [2]byte{0x1f, 0x8b} {
		return int(st.Size() / 8)
	}
	return int(st.Size()/34) + 1024
}

func (r *Replayer) rejectsWriter(path string) (*csv.Writer, func() error, error) {
	if path == "" {
		return nil, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("rejects file: %w", err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"line", "reason"})
	return w, func() error {
		w.Flush()
		return errors.Join(w.Error(), f.Close())
	}, nil
}

// send hands the rows to the client in order, pacing them in real-time
// mode, then waits for every acknowledgement. It returns an error when the
// brokers failed to take a record; a stop through ctx is not an error.
func (r *Replayer) send(ctx context.Context, p *Progress, rows []clickcsv.Row) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()

	var failures atomic.Int64
	var firstErr atomic.Pointer[error]
	onAck := func(rec *kgo.Record, err error) {
		if err != nil {
			failures.Add(1)
			firstErr.CompareAndSwap(nil, &err)
			r.metrics.errors.Inc()
			stop()
			return
		}
		p.sent.Add(1)
		r.metrics.sent.Inc()
		n := int64(len(rec.Key) + len(rec.Value))
		p.bytes.Add(n)
		r.metrics.bytes.Add(float64(n))
	}

	var pace *pacer
	if p.Options.Speed > 0 && len(rows) > 0 {
		pace = newPacer(p.Options.Speed, rows[0].TimeMs)
	}
	// Records stay buffered after a stop so that they can be flushed.
	produceCtx := context.WithoutCancel(ctx)
	var batch recordBatch
	for i := range rows {
		if i%checkEvery == 0 && ctx.Err() != nil {
			break
		}
		if pace != nil && pace.wait(ctx, rows[i].TimeMs) != nil {
			break
		}
		rec := batch.next(&rows[i], r.topic.Name, len(rows)-i)
		if pace != nil {
			rec.Headers = []kgo.RecordHeader{{
				Key: event.SentAtHeader, Value: strconv.AppendInt(nil, time.Now().UnixNano(), 10),
			}}
		}
		if i%latencySample == 0 {
			start := time.Now()
			r.client.Produce(produceCtx, rec, func(rec *kgo.Record, err error) {
				r.metrics.latency.Observe(time.Since(start).Seconds())
				onAck(rec, err)
			})
			continue
		}
		r.client.Produce(produceCtx, rec, onAck)
	}

	flushCtx, cancel := context.WithTimeout(produceCtx, r.FlushTimeout)
	defer cancel()
	flushErr := r.client.Flush(flushCtx)
	if e := firstErr.Load(); e != nil {
		return fmt.Errorf("%d records not acknowledged, the first because: %w", failures.Load(), *e)
	}
	if flushErr != nil {
		return fmt.Errorf("waiting for acknowledgements: %w", flushErr)
	}
	return nil
}

const (
	checkEvery    = 1024 // rows between checks for a stop in batch mode
	latencySample = 64   // one record in latencySample has its latency timed
	chunk         = 4096 // records allocated together
)

// recordBatch hands out records allocated in chunks, with their keys and
// values in a shared byte arena, to spare the allocator millions of calls.
type recordBatch struct {
	recs  []kgo.Record
	arena []byte
}

func (b *recordBatch) next(row *clickcsv.Row, topic string, left int) *kgo.Record {
	if len(b.recs) == 0 {
		n := min(chunk, left)
		b.recs = make([]kgo.Record, n)
		b.arena = make([]byte, 0, n*40)
	}
	rec := &b.recs[0]
	b.recs = b.recs[1:]

	start := len(b.arena)
	b.arena = row.AppendKey(b.arena)
	keyEnd := len(b.arena)
	b.arena = row.AppendProto(b.arena)
	end := len(b.arena)
	rec.Key = b.arena[start:keyEnd:keyEnd]
	rec.Value = b.arena[keyEnd:end:end]
	rec.Topic = topic
	rec.Timestamp = time.UnixMilli(row.TimeMs)
	return rec
}
