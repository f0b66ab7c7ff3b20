package sink

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/clickstream/clickstream/services/pg-sink/internal/cache"
	"github.com/clickstream/clickstream/services/pg-sink/internal/session"
	"github.com/clickstream/clickstream/sql/db"
)

// errLost means another consumer moved the partition's offset: this one no
// longer owns it, or its view of it is stale.
var errLost = errors.New("partition offset moved by another consumer")

// partition is what the sink knows of a partition it owns. Only the poll
// goroutine's batch for this partition touches it.
type partition struct {
	id   int32
	next int64 // first offset not yet written, as stored in PostgreSQL
	gen  int64 // generation of the cached states

	// stale says a write to Valkey failed or its marker disagreed with
	// (gen, next): cached states are not read, and the generation must be
	// bumped before the next write.
	stale bool

	// unfiltered is set once another consumer has written to the partition
	// since the visitor filter was built: the filter may then miss its
	// visitors, so every one is looked up until the next assignment.
	unfiltered bool

	// states are the visitors' current sessions, authoritative while the
	// partition is owned; closed sessions are dropped as the watermark
	// passes them.
	states    map[int64]*session.State
	watermark int64 // newest event time written, Unix ms

	// cached are the visitors whose state Valkey holds under gen, as far as
	// this consumer wrote or read it: a session that closes is deleted
	// there, so that Valkey holds open sessions only and never a stale one.
	cached map[int64]struct{}

	highWatermark atomic.Int64 // the partition's end offset, as of the last fetch
	nextOffset    atomic.Int64 // next, for status readers on other goroutines
}

func (s *Sink) partition(id int32) *partition {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.parts[id]
}

// claim runs on assignment: it makes every assigned partition resume from
// the offset stored in PostgreSQL.
func (s *Sink) claim(ctx context.Context, assigned map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	// No batch runs during a rebalance, so the filter built here sees every
	// commit so far.
	known, err := buildFilter(ctx, s.pool)
	if err != nil {
		return nil, err
	}
	s.known.Store(known)
	for topic, offsets := range assigned {
		for p := range offsets {
			part, err := s.load(ctx, topic, p)
			if err != nil {
				return nil, err
			}
			offsets[p] = kgo.NewOffset().At(part.next).WithEpoch(-1)
			s.mu.Lock()
			s.parts[p] = part
			s.mu.Unlock()
			s.log.Info("partition assigned", "topic", topic, "partition", p, "offset", part.next, "generation", part.gen)
		}
	}
	return assigned, nil
}

func (s *Sink) load(ctx context.Context, topic string, p int32) (*partition, error) {
	row, err := db.New(s.pool).ClaimPartition(ctx, db.ClaimPartitionParams{
		ConsumerGroup: s.cfg.Group, Topic: topic, Partition: p,
	})
	if err != nil {
		return nil, fmt.Errorf("claim partition %d: %w", p, err)
	}
	part := &partition{
		id: p, next: row.NextOffset, gen: row.Generation,
		states: make(map[int64]*session.State), cached: make(map[int64]struct{}),
	}
	part.nextOffset.Store(part.next)
	return part, nil
}

// release forgets revoked or lost partitions. Rebalances wait for the batch
// in hand, so nothing is being written for them.
func (s *Sink) release(_ context.Context, _ *kgo.Client, revoked map[string][]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for topic, ps := range revoked {
		for _, p := range ps {
			delete(s.parts, p)
			s.m.lag.DeleteLabelValues(strconv.Itoa(int(p)))
			s.log.Info("partition released", "topic", topic, "partition", p)
		}
	}
}

// reclaim reloads a partition whose offset another consumer moved, and
// resumes fetching from the stored offset with nothing cached.
func (s *Sink) reclaim(ctx context.Context, old *partition) {
	for wait := 100 * time.Millisecond; ctx.Err() == nil; wait = min(2*wait, 5*time.Second) {
		part, err := s.load(ctx, s.cfg.Topic, old.id)
		if err == nil {
			part.unfiltered = true
			s.mu.Lock()
			if s.parts[old.id] == old {
				s.parts[old.id] = part
			}
			s.mu.Unlock()
			s.client.SetOffsets(map[string]map[int32]kgo.EpochOffset{
				s.cfg.Topic: {old.id: {Epoch: -1, Offset: part.next}},
			})
			return
		}
		s.log.Warn("reload partition failed; retrying", "partition", old.id, "err", err)
		time.Sleep(wait)
	}
}

// states returns the current session of every visitor, from memory, else
// from Valkey when the partition's cache is trusted, else from PostgreSQL.
// Visitors without sessions are absent. The result is a working copy.
func (s *Sink) states(ctx context.Context, part *partition, visitors []int64) (map[int64]*session.State, error) {
	work := make(map[int64]*session.State, len(visitors))
	var missing []int64
	for _, v := range visitors {
		if st, ok := part.states[v]; ok {
			work[v] = st.Clone()
		} else {
			missing = append(missing, v)
		}
	}
	s.m.stateLoads.WithLabelValues("memory").Add(float64(len(work)))
	if len(missing) == 0 {
		return work, nil
	}

	missing = s.fromValkey(ctx, part, missing, work)
	missing = s.withSessions(part, missing)
	if len(missing) == 0 {
		return work, nil
	}
	rows, err := db.New(s.pool).LatestSessions(ctx, missing)
	if err != nil {
		return nil, fmt.Errorf("load sessions: %w", err)
	}
	for _, r := range rows {
		_, n, ok := session.ParseID(r.SessionID)
		if !ok {
			return nil, fmt.Errorf("session id %q is not <visitor>_<n>", r.SessionID)
		}
		work[r.VisitorID] = &session.State{
			Visitor: r.VisitorID, N: n,
			Start: r.SessionStart.UnixMilli(), End: r.SessionEnd.UnixMilli(),
			Events: r.EventCount, Views: r.ViewCount, Carts: r.CartCount, Transactions: r.TransactionCount,
			Viewed: r.ItemsViewed, Carted: r.ItemsCarted, Purchased: r.ItemsPurchased,
		}
	}
	s.m.stateLoads.WithLabelValues("postgres").Add(float64(len(missing)))
	return work, nil
}

// fromValkey fills work with the trusted cached states and returns the
// visitors still missing. A Valkey failure is not an error: PostgreSQL has
// every state.
func (s *Sink) fromValkey(ctx context.Context, part *partition, visitors []int64, work map[int64]*session.State) []int64 {
	store := s.cache.Load()
	if store == nil {
		part.stale = true
		return visitors
	}
	if part.stale {
		return visitors
	}
	vctx, cancel := context.WithTimeout(ctx, valkeyTimeout)
	defer cancel()
	mark, entries, err := store.Load(vctx, s.cfg.Topic, part.id, visitors)
	if err != nil {
		s.valkeyFailed(part, err)
		return visitors
	}
	s.valkeyOK()
	if mark != (cache.Mark{Gen: part.gen, Offset: part.next}) {
		// Flushed, rolled back, or written last by a consumer that crashed
		// between its commit and its cache write.
		if !part.stale {
			s.log.Info("valkey cache out of step; reading states from PostgreSQL",
				"partition", part.id, "marker_generation", mark.Gen, "marker_offset", mark.Offset,
				"generation", part.gen, "offset", part.next)
		}
		part.stale = true
		return visitors
	}
	var missing []int64
	for _, v := range visitors {
		if e, ok := entries[v]; ok && e.Gen == part.gen {
			work[v] = e.State
			part.cached[v] = struct{}{}
		} else {
			missing = append(missing, v)
		}
	}
	s.m.stateLoads.WithLabelValues("valkey").Add(float64(len(visitors) - len(missing)))
	return missing
}

// valkeyTimeout bounds each Valkey call, so that a hung server slows
// batches down by little.
const valkeyTimeout = 2 * time.Second

func (s *Sink) valkeyFailed(part *partition, err error) {
	part.stale = true
	s.m.valkeyErrors.Inc()
	s.retry.failed()
	if !s.valkeyDown.Swap(true) {
		s.log.Warn("valkey unreachable; reading states from PostgreSQL", "err", err)
		if s.OnDegraded != nil {
			s.OnDegraded(true)
		}
	}
}

func (s *Sink) valkeyOK() {
	s.retry.reset()
	if s.valkeyDown.Swap(false) {
		s.log.Info("valkey reachable again")
		if s.OnDegraded != nil {
			s.OnDegraded(false)
		}
	}
}

func (s *Sink) valkeyRetryDue() bool { return s.retry.due() }

// backoff spaces out attempts to reach Valkey while it is down.
type backoff struct {
	mu   sync.Mutex
	wait time.Duration
	next time.Time
}

func (b *backoff) failed() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.wait = min(max(2*b.wait, 250*time.Millisecond), 30*time.Second)
	b.next = time.Now().Add(b.wait)
}

func (b *backoff) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.wait, b.next = 0, time.Time{}
}

func (b *backoff) due() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !time.Now().Before(b.next)
}

// withSessions drops the visitors that certainly have no session yet.
func (s *Sink) withSessions(part *partition, visitors []int64) []int64 {
	known := s.known.Load()
	if known == nil || part.unfiltered {
		return visitors
	}
	maybe := visitors[:0]
	for _, v := range visitors {
		if known.mayContain(v) {
			maybe = append(maybe, v)
		}
	}
	s.m.stateLoads.WithLabelValues("new").Add(float64(len(visitors) - len(maybe)))
	return maybe
}
