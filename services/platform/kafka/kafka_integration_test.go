package kafka

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/testenv"
)

func TestIntegrationTopicProduceConsumeCommit(t *testing.T) {
	brokers := testenv.Lookup(t, "KAFKA_BROKERS")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	topic := fmt.Sprintf("test-roundtrip-%d", time.Now().UnixNano())
	group := topic + "-group"
	cfg := Config{Brokers: strings.Split(brokers, ",")}

	admin, err := NewClient(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	adm := kadm.NewClient(admin)
	created, err := adm.CreateTopic(ctx, 4, 1, nil, topic)
	if err != nil || created.Err != nil {
		t.Fatalf("create topic: %v %v", err, created.Err)
	}
	t.Cleanup(func() { adm.DeleteTopics(context.Background(), topic) })

	const n = 200
	producer, err := NewClient(ctx, cfg, nil, kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Key: []byte(strconv.Itoa(i % 17)), Value: []byte(strconv.Itoa(i))}
	}
	if err := producer.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}

	consumer, err := NewClient(ctx, cfg, nil,
		kgo.ConsumeTopics(topic),
		kgo.ConsumerGroup(group),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()

	seen := make(map[string]int32) // value -> partition
	partitionOfKey := make(map[string]int32)
	for len(seen) < n {
		fetches := consumer.PollFetches(ctx)
		if err := fetches.Err(); err != nil {
			t.Fatalf("poll after %d records: %v", len(seen), err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if p, ok := partitionOfKey[string(r.Key)]; ok && p != r.Partition {
				t.Errorf("key %s on partitions %d and %d", r.Key, p, r.Partition)
			}
			partitionOfKey[string(r.Key)] = r.Partition
			seen[string(r.Value)] = r.Partition
		})
		if err := consumer.CommitUncommittedOffsets(ctx); err != nil {
			t.Fatalf("commit: %v", err)
		}
	}
	if len(seen) != n {
		t.Fatalf("consumed %d distinct records, want %d", len(seen), n)
	}

	offsets, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("fetch committed offsets: %v", err)
	}
	var committed int64
	offsets.Each(func(o kadm.OffsetResponse) { committed += o.At })
	if committed != n {
		t.Fatalf("group committed offsets sum to %d, want %d", committed, n)
	}
}

func TestReadConfig(t *testing.T) {
	env := config.NewEnv(func(string) string { return "" })
	ReadConfig(env)
	if err := env.Err(); err == nil || !strings.Contains(err.Error(), "KAFKA_BROKERS") {
		t.Fatalf("ReadConfig(empty) error = %v, want one naming KAFKA_BROKERS", err)
	}

	vars := map[string]string{"KAFKA_BROKERS": "a:1, b:2"}
	env = config.NewEnv(func(k string) string { return vars[k] })
	c := ReadConfig(env)
	if env.Err() != nil || len(c.Brokers) != 2 || c.Topic != DefaultTopic {
		t.Fatalf("ReadConfig = %+v, %v", c, env.Err())
	}
}
