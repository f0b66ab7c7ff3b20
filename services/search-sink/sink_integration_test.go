package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/clickstream/clickstream/services/platform/event"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/testenv"
)

func TestIntegrationEachEventOnce(t *testing.T) {
	s := newStack(t)
	want := s.produce(t, sample())
	s.sink(t)
	s.waitCommitted(t, 60*time.Second)
	if got := s.count(t); got != want {
		t.Fatalf("index holds %d documents, want %d distinct events", got, want)
	}
	s.produce(t, sample()) // a second replay adds nothing
	s.waitCommitted(t, 60*time.Second)
	if got := s.count(t); got != want {
		t.Fatalf("after a second replay the index holds %d documents, want %d", got, want)
	}
}

func TestIntegrationRefusedDocumentToDeadLetters(t *testing.T) {
	s := newStack(t)
	// This index maps visitor ids as 32-bit integers: a valid event with a
	// larger visitor id is refused by the mapping, for good.
	ctx0, cancel0 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel0()
	_, err := s.search.Indices.Create(ctx0, opensearchapi.IndicesCreateReq{Index: s.index,
		Body: strings.NewReader(`{"mappings":{"properties":{"visitor_id":{"type":"integer"}}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	refused := event.Event{TimeMs: 1433221332117, Visitor: 1 << 40, Item: 8, Type: event.View}
	s.send(t, s.record(refused), &kgo.Record{Topic: s.topic, Key: []byte("1"), Value: []byte("garbage")})
	want := s.produce(t, sample())
	s.sink(t)
	s.waitCommitted(t, 60*time.Second)
	if got := s.count(t); got != want {
		t.Fatalf("index holds %d documents, want the %d good events", got, want)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var cl *kgo.Client
	cl, err = kgo.NewClient(kgo.SeedBrokers(s.brokers...), kgo.ConsumeTopics(s.dlq), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var reasons []string
	for len(reasons) < 2 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			for _, h := range r.Headers {
				if h.Key == kafka.HeaderReason {
					reasons = append(reasons, string(h.Value))
				}
			}
		})
	}
	if len(reasons) != 2 || !strings.Contains(strings.Join(reasons, "|"), "rejected by OpenSearch") {
		t.Fatalf("dead-letter reasons = %q, want the refused document and the garbage record", reasons)
	}
}

func TestIntegrationFaultOpenSearchStopped(t *testing.T) {
	if os.Getenv("CLICKSTREAM_FAULTS") != "1" {
		t.Skip("fault test: runs in the serial pass of make test (CLICKSTREAM_FAULTS=1)")
	}
	s := newStack(t)
	want := s.produce(t, generated(t, 100_000))
	s.sink(t)
	time.Sleep(1500 * time.Millisecond)

	script := filepath.Join(testenv.Root(), "scripts", "local", "opensearch.sh")
	if out, err := exec.Command(script, "stop").CombinedOutput(); err != nil {
		t.Fatalf("stop opensearch: %v\n%s", err, out)
	}
	time.Sleep(5 * time.Second)
	if out, err := exec.Command(script, "start").CombinedOutput(); err != nil {
		t.Fatalf("start opensearch: %v\n%s", err, out)
	}
	s.waitCommitted(t, 180*time.Second)
	if got := s.count(t); got != want {
		t.Fatalf("after OpenSearch stopped and came back the index holds %d documents, want %d", got, want)
	}
}
