package kafka

import (
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Headers of a dead-letter record, which carries the original key and
// value unchanged.
const (
	HeaderReason    = "clickstream-error"
	HeaderTopic     = "clickstream-source-topic"
	HeaderPartition = "clickstream-source-partition"
	HeaderOffset    = "clickstream-source-offset"
	HeaderConsumer  = "clickstream-consumer-group"
)

// DeadLetter returns the record to send to the dead-letter topic for src,
// which the consumer group could not use, and why.
func DeadLetter(topic string, src *kgo.Record, group, reason string) *kgo.Record {
	return &kgo.Record{
		Topic: topic,
		Key:   src.Key,
		Value: src.Value,
		Headers: append(append([]kgo.RecordHeader(nil), src.Headers...),
			kgo.RecordHeader{Key: HeaderReason, Value: []byte(reason)},
			kgo.RecordHeader{Key: HeaderTopic, Value: []byte(src.Topic)},
			kgo.RecordHeader{Key: HeaderPartition, Value: []byte(strconv.Itoa(int(src.Partition)))},
			kgo.RecordHeader{Key: HeaderOffset, Value: []byte(strconv.FormatInt(src.Offset, 10))},
			kgo.RecordHeader{Key: HeaderConsumer, Value: []byte(group)},
		),
	}
}
