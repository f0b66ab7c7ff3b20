package main

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valkey-io/valkey-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/serve/servetest"
)

func TestIntegrationSampleEndToEnd(t *testing.T) {
	s := newStack(t)
	s.produce(t, sample(t))
	s.sink(t)
	s.waitWritten(t, 60*time.Second)
	s.compare(t, sample(t))
}

func TestIntegrationGeneratedFileTwice(t *testing.T) {
	s := newStack(t)
	file := generated(t, 60_000)
	s.produce(t, file)
	s.sink(t)
	s.waitWritten(t, 90*time.Second)
	s.compare(t, file)

	s.produce(t, file) // a second replay of the same file changes nothing
	s.waitWritten(t, 90*time.Second)
	s.compare(t, file)
}

func TestIntegrationKilledAtRandom(t *testing.T) {
	s := newStack(t)
	file := generated(t, 200_000)
	s.produce(t, file)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	total := s.endOffsets(t)
	var written int64
	for kill := 1; kill <= 6; kill++ {
		p := s.sink(t)
		written = s.waitProgress(t, written) // killed while writing, not while joining
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		p.Kill()
		written = s.written(context.Background())
		t.Logf("kill %d with %d of %d records written", kill, written, total)
		if written >= total {
			t.Fatalf("everything was written before kill %d: use a larger file", kill)
		}
	}
	s.sink(t)
	s.waitWritten(t, 120*time.Second)
	s.compare(t, file)
}

func TestIntegrationReplicasComeAndGo(t *testing.T) {
	for _, replicas := range []int{2, 4} {
		t.Run(strconv.Itoa(replicas), func(t *testing.T) {
			s := newStack(t)
			file := generated(t, 150_000)
			s.produce(t, file)
			var procs []*servetest.Process
			for range replicas {
				procs = append(procs, s.sink(t))
			}
			s.waitProgress(t, 0)
			time.Sleep(500 * time.Millisecond)
			procs[0].Kill()
			t.Logf("killed one of %d replicas at %d records", replicas, s.written(context.Background()))
			time.Sleep(700 * time.Millisecond)
			s.sink(t)
			s.waitWritten(t, 120*time.Second)
			s.compare(t, file)
		})
	}
}

func TestIntegrationValkeyFlushedMidway(t *testing.T) {
	s := newStack(t)
	file := generated(t, 150_000)
	s.produce(t, file)
	s.sink(t)
	client, err := valkey.NewClient(valkey.MustParseURL(s.valkeyURL))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	for range 3 {
		time.Sleep(600 * time.Millisecond)
		n := flush(t, client, s.prefix)
		t.Logf("flushed %d cached states at %d records", n, s.written(context.Background()))
	}
	s.waitWritten(t, 120*time.Second)
	s.compare(t, file)
}

// flush deletes every key under the prefix, as FLUSHALL would for the
// sink, without touching other tests' keys.
func flush(t *testing.T, client valkey.Client, prefix string) int {
	ctx := context.Background()
	keys, err := client.Do(ctx, client.B().Keys().Pattern(prefix+"*").Build()).AsStrSlice()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) > 0 {
		if err := client.Do(ctx, client.B().Del().Key(keys...).Build()).Error(); err != nil {
			t.Fatal(err)
		}
	}
	return len(keys)
}

func TestIntegrationPoisonRecordToDeadLetters(t *testing.T) {
	s := newStack(t)
	s.produce(t, sample(t))
	s.send(t, &kgo.Record{Topic: s.topic, Key: []byte("42"), Value: []byte("not an event")})
	s.produce(t, sample(t)) // the sink carries on past it
	s.sink(t)
	s.waitWritten(t, 60*time.Second)
	s.compare(t, sample(t))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.brokers...), kgo.ConsumeTopics(s.dlq),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	fs := cl.PollFetches(ctx)
	recs := fs.Records()
	if len(recs) != 1 || string(recs[0].Value) != "not an event" {
		t.Fatalf("dead-letter topic holds %d records (%v), want the poison record", len(recs), fs.Err())
	}
	headers := map[string]string{}
	for _, h := range recs[0].Headers {
		headers[h.Key] = string(h.Value)
	}
	if headers[kafka.HeaderTopic] != s.topic || headers[kafka.HeaderReason] == "" || headers[kafka.HeaderOffset] == "" {
		t.Fatalf("dead-letter headers = %v", headers)
	}
}

func TestIntegrationStartsWithoutValkey(t *testing.T) {
	s := newStack(t)
	s.produce(t, sample(t))
	p := s.sink(t, "VALKEY_URL=redis://127.0.0.1:1/0") // nothing listens there
	s.waitWritten(t, 60*time.Second)
	s.compare(t, sample(t))

	conn, err := grpc.NewClient(p.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "pg-sink"})
	if err != nil || resp.Status != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("health without Valkey = %v, %v; want NOT_SERVING", resp, err)
	}
	st, err := clickstreamv1.NewSinkServiceClient(conn).GetStatus(ctx, &clickstreamv1.GetStatusRequest{})
	if err != nil || !st.Degraded {
		t.Fatalf("status without Valkey = %v, %v; want degraded", st, err)
	}
}
