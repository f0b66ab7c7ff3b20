package sink

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/clickstream/clickstream/services/pg-sink/internal/cache"
	"github.com/clickstream/clickstream/services/pg-sink/internal/session"
	"github.com/clickstream/clickstream/services/platform/event"
	"github.com/clickstream/clickstream/sql/db"
)

// batch is one partition's records, decoded.
type batch struct {
	events   []event.Event
	poison   []*kgo.Record
	poisoned []error
	visitors []int64 // distinct, in first-seen order
	last     *kgo.Record
}

func decode(recs []*kgo.Record, from int64) batch {
	var b batch
	seen := make(map[int64]struct{})
	for _, r := range recs {
		if r.Offset < from {
			continue // already written: a redelivery
		}
		b.last = r
		e, err := event.Decode(r.Value)
		if err != nil {
			b.poison = append(b.poison, r)
			b.poisoned = append(b.poisoned, err)
			continue
		}
		b.events = append(b.events, e)
		if _, ok := seen[e.Visitor]; !ok {
			seen[e.Visitor] = struct{}{}
			b.visitors = append(b.visitors, e.Visitor)
		}
	}
	return b
}

// writeBatch writes the records of one partition in one transaction and
// returns the last record it covered, or nil when all were written before.
// deadLettered says whether an earlier attempt already sent the batch's
// poison records to the dead-letter topic, and is set once they are.
func (s *Sink) writeBatch(ctx context.Context, part *partition, recs []*kgo.Record, deadLettered *bool) (*kgo.Record, error) {
	start := time.Now()
	b := decode(recs, part.next)
	if b.last == nil {
		return nil, nil
	}
	if !*deadLettered {
		if err := s.deadLetter(ctx, part.id, b.poison, b.poisoned); err != nil {
			return nil, err
		}
		*deadLettered = true
	}
	work, err := s.states(ctx, part, b.visitors)
	if err != nil {
		return nil, err
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx)
	q := db.New(tx)

	fresh, err := insertEvents(ctx, q, b.events)
	if err != nil {
		return nil, err
	}
	inserted := len(fresh)
	touched, late := s.apply(b.events, fresh, work)
	if err := upsertSessions(ctx, q, touched); err != nil {
		return nil, err
	}
	next := b.last.Offset + 1
	moved, err := q.AdvanceOffset(ctx, db.AdvanceOffsetParams{
		NextOffset: next, ConsumerGroup: s.cfg.Group, Topic: s.cfg.Topic,
		Partition: part.id, ExpectedOffset: part.next,
	})
	if err != nil {
		return nil, fmt.Errorf("advance offset: %w", err)
	}
	if moved != 1 {
		return nil, errLost
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}

	s.committed(part, next, work, b.events)
	s.saveStates(ctx, part, work, b.visitors)
	s.evictClosed(part)

	s.observeLatency(recs)
	s.processed.Add(int64(len(recs)))
	s.m.records.Add(float64(len(recs)))
	s.m.inserted.Add(float64(inserted))
	s.m.duplicates.Add(float64(len(b.events) - inserted))
	s.m.late.Add(float64(late))
	s.m.sessions.Add(float64(len(touched)))
	s.m.batchSize.Observe(float64(len(recs)))
	s.m.batchSeconds.Observe(time.Since(start).Seconds())
	return b.last, nil
}

// insertEvents inserts the batch and returns the identities that were new.
func insertEvents(ctx context.Context, q *db.Queries, events []event.Event) (map[event.Identity]struct{}, error) {
	n := len(events)
	p := db.InsertEventsParams{
		VisitorIds: make([]int64, n), EventTimes: make([]time.Time, n), EventTypes: make([]string, n),
		ItemIds: make([]int64, n), TransactionIds: make([]int64, n), HasTransaction: make([]bool, n),
	}
	for i, e := range events {
		p.VisitorIds[i], p.EventTimes[i], p.EventTypes[i] = e.Visitor, e.Time(), e.Type.String()
		p.ItemIds[i], p.TransactionIds[i], p.HasTransaction[i] = e.Item, e.Txn, e.HasTxn
	}
	rows, err := q.InsertEvents(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("insert events: %w", err)
	}
	fresh := make(map[event.Identity]struct{}, len(rows))
	for _, r := range rows {
		typ, _ := event.ParseType([]byte(r.EventType))
		fresh[event.Identity{Visitor: r.VisitorID, TimeMs: r.EventTime.UnixMilli(), Item: r.ItemID, Type: typ}] = struct{}{}
	}
	return fresh, nil
}

// apply folds the new events, in offset order, into the working states and
// returns every session they touched, final values, and how many were late.
// An identity inserted twice in one batch is applied once.
func (s *Sink) apply(events []event.Event, fresh map[event.Identity]struct{}, work map[int64]*session.State) ([]*session.State, int) {
	touched := make(map[string]*session.State)
	late := 0
	for i := range events {
		e := &events[i]
		id := e.Identity()
		if _, ok := fresh[id]; !ok {
			continue
		}
		delete(fresh, id)

		st := work[e.Visitor]
		if st == nil {
			st = session.New(e, 1)
			work[e.Visitor] = st
			touched[st.ID()] = st
			continue
		}
		o, closed := st.Apply(e, s.cfg.SessionTimeout)
		switch o {
		case session.Late:
			late++
			continue
		case session.Opened:
			touched[closed.ID()] = closed
		}
		touched[st.ID()] = st
	}
	out := make([]*session.State, 0, len(touched))
	for _, st := range touched {
		out = append(out, st)
	}
	return out, late
}

func upsertSessions(ctx context.Context, q *db.Queries, sessions []*session.State) error {
	if len(sessions) == 0 {
		return nil
	}
	n := len(sessions)
	p := db.UpsertSessionsParams{
		SessionIds: make([]string, n), VisitorIds: make([]int64, n),
		SessionStarts: make([]time.Time, n), SessionEnds: make([]time.Time, n),
		Durations: make([]int32, n), EventCounts: make([]int32, n), ViewCounts: make([]int32, n),
		CartCounts: make([]int32, n), TransactionCounts: make([]int32, n),
		ItemsViewed: make([]string, n), ItemsCarted: make([]string, n), ItemsPurchased: make([]string, n),
	}
	var sb strings.Builder
	for i, st := range sessions {
		p.SessionIds[i], p.VisitorIds[i] = st.ID(), st.Visitor
		p.SessionStarts[i], p.SessionEnds[i] = time.UnixMilli(st.Start).UTC(), time.UnixMilli(st.End).UTC()
		p.Durations[i], p.EventCounts[i], p.ViewCounts[i] = st.DurationSeconds(), st.Events, st.Views
		p.CartCounts[i], p.TransactionCounts[i] = st.Carts, st.Transactions
		p.ItemsViewed[i] = arrayLiteral(&sb, st.Viewed)
		p.ItemsCarted[i] = arrayLiteral(&sb, st.Carted)
		p.ItemsPurchased[i] = arrayLiteral(&sb, st.Purchased)
	}
	if err := q.UpsertSessions(ctx, p); err != nil {
		return fmt.Errorf("upsert sessions: %w", err)
	}
	return nil
}

// arrayLiteral formats ids as a PostgreSQL array literal: {1,2,3}.
func arrayLiteral(sb *strings.Builder, ids []int64) string {
	sb.Reset()
	sb.WriteByte('{')
	var buf [20]byte
	for i, v := range ids {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.Write(strconv.AppendInt(buf[:0], v, 10))
	}
	sb.WriteByte('}')
	return sb.String()
}

// committed makes the batch's states the partition's own.
func (s *Sink) committed(part *partition, next int64, work map[int64]*session.State, events []event.Event) {
	part.next = next
	part.nextOffset.Store(next)
	known := s.known.Load()
	for v, st := range work {
		part.states[v] = st
		if known != nil {
			known.add(v)
		}
	}
	for i := range events {
		part.watermark = max(part.watermark, events[i].TimeMs)
	}
}

// evictClosed forgets the sessions that the newest event time has closed.
// Should such a visitor come back, its state is read again; PostgreSQL
// always has it.
func (s *Sink) evictClosed(part *partition) {
	horizon := part.watermark - s.cfg.SessionTimeout.Milliseconds()
	for v, st := range part.states {
		if st.End < horizon {
			delete(part.states, v)
			delete(part.cached, v)
		}
	}
}

// saveStates caches in Valkey the batch's sessions that are still open, for
// the partition's next owner, and deletes there the ones that closed. A
// failure is logged and remembered, never fatal: the generation is bumped
// before the next write, so that whatever was half written is ignored.
func (s *Sink) saveStates(ctx context.Context, part *partition, work map[int64]*session.State, visitors []int64) {
	store := s.cache.Load()
	if store == nil {
		part.stale = true
		return
	}
	if part.stale && !s.valkeyRetryDue() {
		return
	}
	if part.stale {
		gen, err := db.New(s.pool).BumpGeneration(ctx, db.BumpGenerationParams{
			ConsumerGroup: s.cfg.Group, Topic: s.cfg.Topic, Partition: part.id,
		})
		if err != nil {
			s.log.Warn("bump cache generation failed", "partition", part.id, "err", err)
			return
		}
		part.gen = gen
		clear(part.cached)
	}
	horizon := part.watermark - s.cfg.SessionTimeout.Milliseconds()
	var open []*session.State
	var closed []int64
	for _, v := range visitors {
		st := work[v]
		_, wasCached := part.cached[v]
		switch {
		case st == nil:
		case st.End >= horizon:
			open = append(open, st)
		case wasCached:
			closed = append(closed, v)
		}
	}
	vctx, cancel := context.WithTimeout(ctx, valkeyTimeout)
	defer cancel()
	mark := cache.Mark{Gen: part.gen, Offset: part.next}
	if err := store.Save(vctx, s.cfg.Topic, part.id, mark, open, closed); err != nil {
		s.valkeyFailed(part, err)
		return
	}
	s.valkeyOK()
	part.stale = false
	for _, st := range open {
		part.cached[st.Visitor] = struct{}{}
	}
	for _, v := range closed {
		delete(part.cached, v)
	}
}

// observeLatency records, for records stamped by a real-time replay, the
// time from their sending to now, just after their commit.
func (s *Sink) observeLatency(recs []*kgo.Record) {
	now := time.Now().UnixNano()
	for _, r := range recs {
		for _, h := range r.Headers {
			if h.Key != event.SentAtHeader {
				continue
			}
			if sent, err := strconv.ParseInt(string(h.Value), 10, 64); err == nil {
				s.m.endToEnd.Observe(float64(now-sent) / 1e9)
			}
		}
	}
}
