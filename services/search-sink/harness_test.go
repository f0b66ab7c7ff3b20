package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/clickstream/clickstream/services/platform/event"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/oracle"
	"github.com/clickstream/clickstream/services/platform/serve/servetest"
	"github.com/clickstream/clickstream/services/platform/testenv"
	"github.com/clickstream/clickstream/services/search-sink/internal/index"
)

// stack is one test's slice of the real servers: its own topic, dead-letter
// topic, consumer group and index (named so that the template applies).
type stack struct {
	brokers                  []string
	topic, dlq, group, index string
	osURL                    string
	client                   *kgo.Client
	search                   *opensearchapi.Client
}

func newStack(t *testing.T) *stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := fmt.Sprintf("test-searchsink-%d", time.Now().UnixNano())
	s := &stack{
		brokers: strings.Split(testenv.Lookup(t, "KAFKA_BROKERS"), ","),
		osURL:   testenv.Lookup(t, "OPENSEARCH_URL"),
		topic:   name, dlq: name + "-dlq", group: name,
		index: "clickstream-events-" + name,
	}
	var err error
	if s.client, err = kafka.NewClient(ctx, kafka.Config{Brokers: s.brokers}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := kafka.EnsureTopic(ctx, s.client, kafka.TopicSpec{Name: s.topic, Partitions: 4, Replication: 1}); err != nil {
		t.Fatal(err)
	}
	if s.search, err = index.NewClient(ctx, index.Config{URL: s.osURL}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.search.Indices.Delete(context.Background(), opensearchapi.IndicesDeleteReq{Indices: []string{s.index}})
		kadm.NewClient(s.client).DeleteTopics(context.Background(), s.topic, s.dlq)
		s.client.Close()
	})
	return s
}

func (s *stack) sink(t *testing.T) *servetest.Process {
	t.Helper()
	return servetest.Start(t, "KAFKA_BROKERS="+strings.Join(s.brokers, ","), "KAFKA_TOPIC="+s.topic,
		"KAFKA_DLQ_TOPIC="+s.dlq, "SEARCHSINK_GROUP="+s.group, "SEARCHSINK_INDEX="+s.index,
		"OPENSEARCH_URL="+s.osURL, "KAFKA_GROUP_SESSION_TIMEOUT=6s", "SEARCHSINK_BULK_DOCS=2000")
}

// produce sends the file's valid rows ordered by event time, keyed by
// visitor, as the producer does, and returns the distinct events.
func (s *stack) produce(t *testing.T, path string) int {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	var times []int64
	for _, line := range strings.Split(string(body), "\n")[1:] {
		f := strings.Split(strings.TrimSpace(line), ",")
		if len(f) != 5 {
			continue
		}
		var e event.Event
		e.TimeMs, _ = strconv.ParseInt(f[0], 10, 64)
		e.Visitor, _ = strconv.ParseInt(f[1], 10, 64)
		e.Type, _ = event.ParseType([]byte(f[2]))
		e.Item, _ = strconv.ParseInt(f[3], 10, 64)
		if f[4] != "" {
			e.Txn, _ = strconv.ParseInt(f[4], 10, 64)
			e.HasTxn = true
		}
		if e.Validate() == nil {
			recs = append(recs, s.record(e))
			times = append(times, e.TimeMs)
		}
	}
	order := make([]int, len(recs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(times[a], times[b]) })
	sorted := make([]*kgo.Record, len(recs))
	for i, j := range order {
		sorted[i] = recs[j]
	}
	s.send(t, sorted...)
	want, err := oracle.FromFile(path, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return len(want.Events)
}

func (s *stack) record(e event.Event) *kgo.Record {
	return &kgo.Record{Topic: s.topic, Key: e.AppendKey(nil), Value: e.AppendProto(nil), Timestamp: time.UnixMilli(e.TimeMs)}
}

func (s *stack) send(t *testing.T, recs ...*kgo.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := s.client.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// waitCommitted waits until the group has committed the end of every
// partition: everything is durable in OpenSearch.
func (s *stack) waitCommitted(t *testing.T, timeout time.Duration) {
	t.Helper()
	adm := kadm.NewClient(s.client)
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ends, err1 := adm.ListEndOffsets(ctx, s.topic)
		committed, err2 := adm.FetchOffsets(ctx, s.group)
		cancel()
		var end, done int64
		ends.Each(func(o kadm.ListedOffset) { end += o.Offset })
		committed.Each(func(o kadm.OffsetResponse) { done += o.At })
		if err1 == nil && err2 == nil && done >= end && end > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the group committed %d of %d records (%v %v)", timeout, done, end, err1, err2)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// count refreshes the index and counts its documents.
func (s *stack) count(t *testing.T) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.search.Indices.Refresh(ctx, &opensearchapi.IndicesRefreshReq{Index: []string{s.index}}); err != nil {
		t.Fatal(err)
	}
	resp, err := s.search.Indices.Count(ctx, &opensearchapi.IndicesCountReq{Indices: []string{s.index}})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Count
}

// generated writes a data file with the CLI's generator (make build).
func generated(t *testing.T, rows int) string {
	t.Helper()
	bin := filepath.Join(testenv.Root(), "bin", "clickstream")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: run make build", bin)
		}
		t.Skipf("%s is missing: run make build", bin)
	}
	out := filepath.Join(t.TempDir(), "events.csv")
	if b, err := exec.Command(bin, "data", "generate", "--rows", strconv.Itoa(rows), "--seed", "5", "--out", out).CombinedOutput(); err != nil {
		t.Fatalf("generate: %v\n%s", err, b)
	}
	return out
}

func sample() string { return filepath.Join(testenv.Root(), "data", "sample.csv") }
