package faults

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"
)

// probe reads the pipeline's positions: what the topic holds, what the
// pg-sink has stored and what the search-sink has committed.
type probe struct {
	admin       *kadm.Client
	pool        *pgxpool.Pool
	topic       string
	pgGroup     string
	searchGroup string
}

// sample reads the three positions side by side, each within one second.
func (p *probe) sample(ctx context.Context) Sample {
	s := Sample{At: time.Now(), Produced: -1, Written: -1, Indexed: -1}
	var wg sync.WaitGroup
	read := func(dst *int64, f func(context.Context) (int64, error)) {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			if n, err := f(ctx); err == nil {
				*dst = n
			}
		})
	}
	read(&s.Produced, p.produced)
	read(&s.Written, p.written)
	read(&s.Indexed, p.indexed)
	wg.Wait()
	return s
}

// produced sums the end offsets of the topic.
func (p *probe) produced(ctx context.Context) (int64, error) {
	return endOffsets(ctx, p.admin, p.topic)
}

// endOffsets sums the end offsets of topic's partitions.
func endOffsets(ctx context.Context, admin *kadm.Client, topic string) (int64, error) {
	ends, err := admin.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, err
	}
	var n int64
	var errs []error
	ends.Each(func(o kadm.ListedOffset) {
		n += o.Offset
		errs = append(errs, o.Err)
	})
	if len(errs) == 0 {
		return 0, errors.New("no partitions listed")
	}
	return n, errors.Join(errs...)
}

// written sums the offsets the pg-sink stored in PostgreSQL with its writes.
func (p *probe) written(ctx context.Context) (int64, error) {
	var n int64
	err := p.pool.QueryRow(ctx, `SELECT coalesce(sum(next_offset), 0)::bigint FROM consumer_offsets
		WHERE consumer_group = $1 AND topic = $2`, p.pgGroup, p.topic).Scan(&n)
	return n, err
}

// indexed sums the offsets the search-sink committed to Kafka.
func (p *probe) indexed(ctx context.Context) (int64, error) {
	resp, err := p.admin.FetchOffsets(ctx, p.searchGroup)
	if err != nil {
		return 0, err
	}
	if err := resp.Error(); err != nil {
		return 0, err
	}
	var n int64
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic == p.topic {
			n += o.At
		}
	})
	return n, nil
}

// sampler samples the positions every 200 ms in the background and keeps
// every sample.
type sampler struct {
	mu      sync.Mutex
	samples []Sample
	notify  chan struct{} // receives after each sample, when nobody is behind
}

func runSampler(ctx context.Context, p *probe) *sampler {
	s := &sampler{notify: make(chan struct{}, 1)}
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			x := p.sample(ctx)
			s.mu.Lock()
			s.samples = append(s.samples, x)
			s.mu.Unlock()
			select {
			case s.notify <- struct{}{}:
			default:
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// since returns the samples taken at or after t.
func (s *sampler) since(t time.Time) []Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := len(s.samples)
	for i > 0 && !s.samples[i-1].At.Before(t) {
		i--
	}
	return append([]Sample(nil), s.samples[i:]...)
}

// writeCSV writes every sample to path, for a look at what happened.
func (s *sampler) writeCSV(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	b.WriteString("time,produced,written,indexed\n")
	for _, x := range s.samples {
		fmt.Fprintf(&b, "%s,%d,%d,%d\n", x.At.UTC().Format("15:04:05.000"), x.Produced, x.Written, x.Indexed)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// last returns the latest complete sample, if any.
func (s *sampler) last() (Sample, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.samples) - 1; i >= 0; i-- {
		if s.samples[i].complete() {
			return s.samples[i], true
		}
	}
	return Sample{}, false
}
