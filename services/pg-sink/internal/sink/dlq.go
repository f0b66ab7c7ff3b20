package sink

import (
	"context"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Dead-letter record headers.
const (
	HeaderReason    = "clickstream-error"
	HeaderTopic     = "clickstream-source-topic"
	HeaderPartition = "clickstream-source-partition"
	HeaderOffset    = "clickstream-source-offset"
	HeaderConsumer  = "clickstream-consumer-group"
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
		out[i] = &kgo.Record{
			Topic: s.cfg.DLQTopic,
			Key:   r.Key,
			Value: r.Value,
			Headers: append(append([]kgo.RecordHeader(nil), r.Headers...),
				kgo.RecordHeader{Key: HeaderReason, Value: []byte(errs[i].Error())},
				kgo.RecordHeader{Key: HeaderTopic, Value: []byte(r.Topic)},
				kgo.RecordHeader{Key: HeaderPartition, Value: []byte(strconv.Itoa(int(r.Partition)))},
				kgo.RecordHeader{Key: HeaderOffset, Value: []byte(strconv.FormatInt(r.Offset, 10))},
				kgo.RecordHeader{Key: HeaderConsumer, Value: []byte(s.cfg.Group)},
			),
		}
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
