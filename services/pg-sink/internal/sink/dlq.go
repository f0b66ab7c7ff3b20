package sink

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/clickstream/clickstream/services/platform/kafka"
)

// deadLetter sends records that cannot be decoded to the dead-letter topic,
// as they came, with headers saying why and from where. It returns once the
// brokers have them, so that their offsets may be committed.
func (s *Sink) deadLetter(ctx context.Context, partition int32, recs []*kgo.Record, errs []error) error {
	if len(recs) == 0 {
		return nil
	}
	out := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		out[i] = kafka.DeadLetter(s.cfg.DLQTopic, r, s.cfg.Group, errs[i].Error())
	}
	if err := s.client.ProduceSync(ctx, out...).FirstErr(); err != nil {
		return fmt.Errorf("dead-letter %d records: %w", len(out), err)
	}
	s.m.deadLettered.Add(float64(len(out)))
	for i, r := range recs {
		s.log.Warn("record dead-lettered", "partition", partition, "offset", r.Offset, "err", errs[i])
	}
	return nil
}
