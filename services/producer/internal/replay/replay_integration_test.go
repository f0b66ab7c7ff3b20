package replay

import (
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/clickstream/clickstream/services/platform/event"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/testenv"
	"github.com/clickstream/clickstream/services/producer/internal/clickcsv"
)

// fixture is a CSV file written for a test and what the reader must make
// of it.
type fixture struct {
	path     string
	accepted []clickcsv.Row // in file order
	rejected []int64        // line numbers
}

// writeFixture writes n data rows from 40 visitors with times spread over
// spanMs, out of time order, with exact duplicates, blank lines, CRLF line
// ends and one bad row in 25, each bad row naming the item 999999999.
func writeFixture(t *testing.T, n int, spanMs int64) fixture {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	var b strings.Builder
	b.WriteString(clickcsv.Header + "\n")
	fx := fixture{path: filepath.Join(t.TempDir(), "events.csv")}
	line := int64(1)
	bad := []string{"%d,%d,click,999999999,", "%d,%d,view,999999999", "-%d,%d,view,999999999,", "%d,%d,view,999999999,x"}
	var prev string
	for i := range n {
		line++
		if i%97 == 0 {
			b.WriteString("\r\n")
			line++
		}
		ts := 1_433_000_000_000 + rng.Int64N(spanMs+1)
		visitor := rng.Int64N(40)
		if i%25 == 24 {
			fmt.Fprintf(&b, bad[i%len(bad)]+"\n", ts, visitor)
			fx.rejected = append(fx.rejected, line)
			continue
		}
		row := clickcsv.Row{Line: line, Event: event.Event{TimeMs: ts, Visitor: visitor, Item: rng.Int64N(500), Type: event.View}}
		if i%30 == 0 {
			row.Type, row.Txn, row.HasTxn = event.Transaction, int64(i), true
		}
		text := fmt.Sprintf("%d,%d,%s,%d,", row.TimeMs, row.Visitor, row.Type, row.Item)
		if row.HasTxn {
			text += strconv.FormatInt(row.Txn, 10)
		}
		if i%50 == 7 && prev != "" {
			text = prev // an exact duplicate of the row before
			row = fx.accepted[len(fx.accepted)-1]
			row.Line = line
		}
		prev = text
		b.WriteString(text + "\n")
		fx.accepted = append(fx.accepted, row)
	}
	if err := os.WriteFile(fx.path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return fx
}

// sendOrder is the order the producer must send rows in.
func (fx fixture) sendOrder() []clickcsv.Row {
	rows := slices.Clone(fx.accepted)
	slices.SortStableFunc(rows, func(a, b clickcsv.Row) int { return int(a.TimeMs - b.TimeMs) })
	return rows
}

type harness struct {
	brokers []string
	client  *kgo.Client
	topic   string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	brokers := strings.Split(testenv.Lookup(t, "KAFKA_BROKERS"), ",")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client, err := kafka.NewClient(ctx, kafka.Config{Brokers: brokers}, nil,
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerBatchCompression(kgo.Lz4Compression()))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{brokers: brokers, client: client, topic: fmt.Sprintf("test-replay-%d", time.Now().UnixNano())}
	t.Cleanup(func() {
		kadm.NewClient(client).DeleteTopics(context.Background(), h.topic)
		client.Close()
	})
	return h
}

func (h *harness) replay(t *testing.T, ctx context.Context, opt Options) Snapshot {
	t.Helper()
	r := New(h.client, kafka.TopicSpec{Name: h.topic, Partitions: 4, Replication: 1}, nil, nil)
	p := NewProgress("test", opt)
	r.Run(ctx, p)
	return p.Snapshot()
}

// records returns every record of the topic, checking with the end offsets
// that there are exactly want of them.
func (h *harness) records(t *testing.T, want int) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ends, err := kadm.NewClient(h.client).ListEndOffsets(ctx, h.topic)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	if total != int64(want) {
		t.Fatalf("topic holds %d records, want %d", total, want)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(h.brokers...), kgo.ConsumeTopics(h.topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for len(recs) < want {
		fs := cl.PollFetches(ctx)
		if err := fs.Err(); err != nil {
			t.Fatalf("consume after %d records: %v", len(recs), err)
		}
		recs = append(recs, fs.Records()...)
	}
	return recs
}

func TestIntegrationEveryRowOnceInOrderOnItsPartition(t *testing.T) {
	h := newHarness(t)
	fx := writeFixture(t, 6000, 86_400_000)
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	s := h.replay(t, ctx, Options{File: fx.path, RejectsFile: rejects})
	if s.State != Done || s.Err != nil {
		t.Fatalf("replay ended %v: %v", s.State, s.Err)
	}
	if s.Sent != int64(len(fx.accepted)) || s.Rejected != int64(len(fx.rejected)) ||
		s.Rows != int64(len(fx.accepted)+len(fx.rejected)) {
		t.Fatalf("rows %d sent %d rejected %d; want %d sent, %d rejected",
			s.Rows, s.Sent, s.Rejected, len(fx.accepted), len(fx.rejected))
	}

	recs := h.records(t, len(fx.accepted))
	partitionOf := map[int64]int32{}
	last := map[int64]*kgo.Record{}
	got := map[event.Event]int{}
	for _, r := range recs {
		e, err := event.Decode(r.Value)
		if err != nil {
			t.Fatalf("record at %d/%d: %v", r.Partition, r.Offset, err)
		}
		got[e]++
		if string(r.Key) != strconv.FormatInt(e.Visitor, 10) {
			t.Fatalf("record key %q for visitor %d", r.Key, e.Visitor)
		}
		if r.Timestamp.UnixMilli() != e.TimeMs {
			t.Fatalf("record timestamp %d for event time %d", r.Timestamp.UnixMilli(), e.TimeMs)
		}
		if p, ok := partitionOf[e.Visitor]; ok && p != r.Partition {
			t.Fatalf("visitor %d on partitions %d and %d", e.Visitor, p, r.Partition)
		}
		partitionOf[e.Visitor] = r.Partition
		if prev := last[e.Visitor]; prev != nil && prev.Offset < r.Offset && prev.Timestamp.After(r.Timestamp) {
			t.Fatalf("visitor %d: offset %d at %v after offset %d at %v", e.Visitor, r.Offset, r.Timestamp, prev.Offset, prev.Timestamp)
		}
		last[e.Visitor] = r
		if e.Item == 999999999 {
			t.Fatalf("a rejected row was sent: %+v", e)
		}
	}
	want := map[event.Event]int{}
	for _, r := range fx.accepted {
		want[r.Event]++
	}
	for e, n := range want {
		if got[e] != n {
			t.Fatalf("event %+v arrived %d times, want %d", e, got[e], n)
		}
	}

	lines := readRejects(t, rejects)
	if !slices.Equal(lines, fx.rejected) {
		t.Fatalf("rejects file lists lines %v, want %v", lines, fx.rejected)
	}
	if len(s.Rejects) != FirstRejections || s.Rejects[0].Line != fx.rejected[0] {
		t.Fatalf("first rejections = %+v", s.Rejects)
	}
}

func readRejects(t *testing.T, path string) []int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var lines []int64
	for _, rec := range records[1:] {
		n, _ := strconv.ParseInt(rec[0], 10, 64)
		lines = append(lines, n)
	}
	return lines
}

func TestIntegrationLimitIsExact(t *testing.T) {
	h := newHarness(t)
	fx := writeFixture(t, 3000, 3_600_000)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const limit = 1234
	s := h.replay(t, ctx, Options{File: fx.path, Limit: limit})
	if s.State != Done || s.Sent != limit || s.Total != limit {
		t.Fatalf("replay %v sent %d of %d, want %d: %v", s.State, s.Sent, s.Total, limit, s.Err)
	}
	want := map[event.Event]int{}
	for _, r := range fx.sendOrder()[:limit] {
		want[r.Event]++
	}
	for _, r := range h.records(t, limit) {
		e, _ := event.Decode(r.Value)
		if want[e] == 0 {
			t.Fatalf("event %+v is not among the first %d in send order", e, limit)
		}
		want[e]--
	}
}

func TestIntegrationRealtimePacing(t *testing.T) {
	for _, tc := range []struct {
		speed  float64
		spanMs int64
	}{
		{speed: 10, spanMs: 20_000},
		{speed: 100, spanMs: 200_000},
	} {
		t.Run(fmt.Sprintf("%gx", tc.speed), func(t *testing.T) {
			h := newHarness(t)
			fx := writeFixture(t, 400, tc.spanMs)
			order := fx.sendOrder()
			span := time.Duration(order[len(order)-1].TimeMs-order[0].TimeMs) * time.Millisecond
			want := time.Duration(float64(span) / tc.speed)

			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s := h.replay(t, ctx, Options{File: fx.path, Speed: tc.speed})
			if s.State != Done {
				t.Fatalf("replay ended %v: %v", s.State, s.Err)
			}
			// Each record carries the moment it was handed to the client.
			// Pacing is judged on those moments, not on the acknowledgements,
			// which a loaded broker may delay.
			recs := h.records(t, len(order))
			sent := make([]int64, len(recs))
			for i, r := range recs {
				sent[i] = sentAt(t, r)
			}
			firstSent, lastSent := slices.Min(sent), slices.Max(sent)
			for i, r := range recs {
				e, err := event.Decode(r.Value)
				if err != nil {
					t.Fatal(err)
				}
				due := time.Duration(float64(e.TimeMs-order[0].TimeMs) * float64(time.Millisecond) / tc.speed)
				if at := time.Duration(sent[i] - firstSent); at < due-5*time.Millisecond {
					t.Fatalf("event at %d sent %v into the replay, before it was due at %v", e.TimeMs, at, due)
				}
			}
			got := time.Duration(lastSent - firstSent)
			if lo, hi := want-want/10, want+want/10; got < lo || got > hi {
				t.Fatalf("records were sent over %v, want %v (between %v and %v)", got, want, lo, hi)
			}
			t.Logf("records sent over %v for %v of event time at %gx (ideal %v); acknowledged after %v",
				got, span, tc.speed, want, s.Finished.Sub(s.Sending))
		})
	}
}

// Replays one after the other keep the client's idempotent producer state:
// forgetting it would cost each later replay an epoch bump and seconds. A
// topic deleted and created again in between is still written in full.
func TestIntegrationReplaysKeepTheProducerEpoch(t *testing.T) {
	h := newHarness(t)
	fx := writeFixture(t, 300, 60_000)
	r := New(h.client, kafka.TopicSpec{Name: h.topic, Partitions: 4, Replication: 1}, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	run := func() {
		t.Helper()
		p := NewProgress("test", Options{File: fx.path})
		r.Run(ctx, p)
		if s := p.Snapshot(); s.State != Done || s.Sent != int64(len(fx.accepted)) {
			t.Fatalf("replay ended %v with %d sent of %d: %v", s.State, s.Sent, len(fx.accepted), s.Err)
		}
	}

	run()
	run()
	recs := h.records(t, 2*len(fx.accepted))
	for _, rec := range recs {
		if rec.ProducerID != recs[0].ProducerID || rec.ProducerEpoch != recs[0].ProducerEpoch {
			t.Fatalf("record at %d/%d written by producer %d epoch %d, the first by %d epoch %d",
				rec.Partition, rec.Offset, rec.ProducerID, rec.ProducerEpoch, recs[0].ProducerID, recs[0].ProducerEpoch)
		}
	}

	adm := kadm.NewClient(h.client)
	if _, err := adm.DeleteTopics(ctx, h.topic); err != nil {
		t.Fatal(err)
	}
	for {
		topics, err := adm.ListTopics(ctx, h.topic)
		if err != nil {
			t.Fatal(err)
		}
		if !topics.Has(h.topic) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	run()
	h.records(t, len(fx.accepted))
}

func TestIntegrationStopFlushesWhatWasSent(t *testing.T) {
	h := newHarness(t)
	fx := writeFixture(t, 500, 600_000) // ten minutes of events at 1x
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	stopCtx, stop := context.WithCancel(ctx)
	time.AfterFunc(1500*time.Millisecond, stop)
	s := h.replay(t, stopCtx, Options{File: fx.path, Speed: 1})
	if s.State != Stopped || s.Err != nil {
		t.Fatalf("replay ended %v (%v), want stopped", s.State, s.Err)
	}
	if s.Sent == 0 || s.Sent >= s.Total {
		t.Fatalf("sent %d of %d before the stop; want some, not all", s.Sent, s.Total)
	}
	h.records(t, int(s.Sent)) // the topic holds exactly what was acknowledged
}

// sentAt reads the send moment a real-time replay stamps on each record.
func sentAt(t *testing.T, r *kgo.Record) int64 {
	t.Helper()
	for _, h := range r.Headers {
		if h.Key == event.SentAtHeader {
			n, err := strconv.ParseInt(string(h.Value), 10, 64)
			if err != nil {
				t.Fatalf("record at offset %d: header %s: %v", r.Offset, h.Key, err)
			}
			return n
		}
	}
	t.Fatalf("record at offset %d has no %s header", r.Offset, event.SentAtHeader)
	return 0
}
