package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TopicSpec is the shape a topic is created with.
type TopicSpec struct {
	Name       string
	Partitions int32
	// Replication is the replication factor; -1 takes the broker's default.
	Replication int16
}

// keepForever turns off time-based retention. Records carry their event
// time as timestamp, often years old, and a broker deletes records by that
// timestamp: with the usual seven-day retention a replayed data set would
// vanish within minutes. Size-based retention still applies.
var keepForever = map[string]*string{"retention.ms": kadm.StringPtr("-1")}

// EnsureTopic creates the topic when it is missing, without time-based
// retention, and returns what the brokers know of it: its id and its
// partitions, whose count for an existing topic may differ from
// spec.Partitions.
func EnsureTopic(ctx context.Context, cl *kgo.Client, spec TopicSpec) (kadm.TopicDetail, error) {
	adm := kadm.NewClient(cl)
	resp, err := adm.CreateTopic(ctx, spec.Partitions, spec.Replication, keepForever, spec.Name)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return kadm.TopicDetail{}, fmt.Errorf("create topic %s: %w", spec.Name, err)
	}
	// A new topic takes a moment to reach every broker's metadata.
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		details, err := adm.ListTopics(ctx, spec.Name)
		if err != nil {
			return kadm.TopicDetail{}, fmt.Errorf("describe topic %s: %w", spec.Name, err)
		}
		d, ok := details[spec.Name]
		if ok && d.Err == nil && len(d.Partitions) > 0 {
			return d, nil
		}
		if ok && d.Err != nil && !errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			return kadm.TopicDetail{}, fmt.Errorf("describe topic %s: %w", spec.Name, d.Err)
		}
		select {
		case <-ctx.Done():
			return kadm.TopicDetail{}, fmt.Errorf("topic %s not visible after creating it: %w", spec.Name, ctx.Err())
		case <-time.After(wait):
		}
	}
}
