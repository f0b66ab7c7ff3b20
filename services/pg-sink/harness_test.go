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

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/clickstream/clickstream/services/platform/event"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/oracle"
	"github.com/clickstream/clickstream/services/platform/serve/servetest"
	"github.com/clickstream/clickstream/services/platform/testenv"
	"github.com/clickstream/clickstream/sql/pgtest"
)

// stack is one test's private slice of the real servers: its own topic,
// dead-letter topic, consumer group, PostgreSQL schema and Valkey prefix.
type stack struct {
	brokers                  []string
	topic, dlq, group        string
	pgURL, valkeyURL, prefix string
	client                   *kgo.Client
	pool                     *pgxpool.Pool
	procs                    []*servetest.Process
}

func newStack(t *testing.T) *stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := fmt.Sprintf("test-pgsink-%d", time.Now().UnixNano())
	s := &stack{
		brokers:   strings.Split(testenv.Lookup(t, "KAFKA_BROKERS"), ","),
		topic:     name,
		dlq:       name + "-dlq",
		group:     name,
		valkeyURL: testenv.Lookup(t, "VALKEY_URL"),
		prefix:    name + ":",
		pgURL:     pgtest.Schema(t),
	}
	client, err := kafka.NewClient(ctx, kafka.Config{Brokers: s.brokers}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.client = client
	if _, err := kafka.EnsureTopic(ctx, client, kafka.TopicSpec{Name: s.topic, Partitions: 4, Replication: 1}); err != nil {
		t.Fatal(err)
	}
	if s.pool, err = pgxpool.New(ctx, s.pgURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.pool.Close()
		kadm.NewClient(client).DeleteTopics(context.Background(), s.topic, s.dlq)
		client.Close()
	})
	return s
}

// sink starts a pg-sink process on the stack.
func (s *stack) sink(t *testing.T, extra ...string) *servetest.Process {
	t.Helper()
	env := append([]string{
		"KAFKA_BROKERS=" + strings.Join(s.brokers, ","), "KAFKA_TOPIC=" + s.topic,
		"KAFKA_DLQ_TOPIC=" + s.dlq, "PGSINK_GROUP=" + s.group, "PG_URL=" + s.pgURL,
		"VALKEY_URL=" + s.valkeyURL, "VALKEY_PREFIX=" + s.prefix,
		"PGSINK_MAX_POLL_RECORDS=4000", "KAFKA_GROUP_SESSION_TIMEOUT=6s",
	}, extra...)
	p := servetest.Start(t, env...)
	s.procs = append(s.procs, p)
	return p
}

// logs returns the last lines each sink printed, for a failure message.
func (s *stack) logs() string {
	var b strings.Builder
	for i, p := range s.procs {
		lines := strings.Split(p.Output(), "\n")
		fmt.Fprintf(&b, "--- sink %d (exited %v):\n%s\n", i, p.Exited(), strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
	return b.String()
}

// produce sends the file's valid rows the way the producer does: ordered
// by event time (file order among equal times), keyed by visitor.
func (s *stack) produce(t *testing.T, path string) int {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var events []event.Event
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
			events = append(events, e)
		}
	}
	slices.SortStableFunc(events, func(a, b event.Event) int { return cmp.Compare(a.TimeMs, b.TimeMs) })
	recs := make([]*kgo.Record, len(events))
	for i := range events {
		recs[i] = &kgo.Record{Topic: s.topic, Key: events[i].AppendKey(nil), Value: events[i].AppendProto(nil),
			Timestamp: time.UnixMilli(events[i].TimeMs)}
	}
	s.send(t, recs...)
	return len(recs)
}

func (s *stack) send(t *testing.T, recs ...*kgo.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := s.client.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// endOffsets sums the topic's end offsets.
func (s *stack) endOffsets(t *testing.T) int64 {
	t.Helper()
	ends, err := kadm.NewClient(s.client).ListEndOffsets(context.Background(), s.topic)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}

// written sums the offsets stored in PostgreSQL.
func (s *stack) written(ctx context.Context) int64 {
	var n int64
	s.pool.QueryRow(ctx, "SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets WHERE consumer_group = $1", s.group).Scan(&n)
	return n
}

// waitProgress waits until PostgreSQL holds more than from records, and
// returns how many it holds.
func (s *stack) waitProgress(t *testing.T, from int64) int64 {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if n := s.written(context.Background()); n > from {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("no progress past %d records in 60s\n%s", from, s.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitWritten waits until PostgreSQL holds every record of the topic.
func (s *stack) waitWritten(t *testing.T, timeout time.Duration) {
	t.Helper()
	want := s.endOffsets(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for s.written(ctx) < want {
		if ctx.Err() != nil {
			t.Fatalf("after %v PostgreSQL holds %d of %d records\n%s", timeout, s.written(context.Background()), want, s.logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// compare checks PostgreSQL against one clean batch pass over the file.
func (s *stack) compare(t *testing.T, path string) {
	t.Helper()
	want, err := oracle.FromFile(path, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if diff := oracle.DiffEvents(want.Events, s.events(t, ctx), 10); len(diff) > 0 {
		t.Fatalf("events differ from one clean pass:\n%s", strings.Join(diff, "\n"))
	}
	if diff := oracle.DiffSessions(want.Sessions, s.sessions(t, ctx), 10); len(diff) > 0 {
		t.Fatalf("sessions differ from one clean pass:\n%s", strings.Join(diff, "\n"))
	}
	t.Logf("PostgreSQL equals one clean pass: %d events, %d sessions", len(want.Events), len(want.Sessions))
}

func (s *stack) events(t *testing.T, ctx context.Context) []oracle.Event {
	rows, err := s.pool.Query(ctx, "SELECT visitor_id, event_time, event_type, item_id, transaction_id FROM events")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []oracle.Event
	for rows.Next() {
		var e oracle.Event
		var at time.Time
		if err := rows.Scan(&e.Visitor, &at, &e.Type, &e.Item, &e.Txn); err != nil {
			t.Fatal(err)
		}
		e.TimeMs = at.UnixMilli()
		out = append(out, e)
	}
	return out
}

func (s *stack) sessions(t *testing.T, ctx context.Context) []oracle.Session {
	rows, err := s.pool.Query(ctx, `SELECT session_id, visitor_id, session_start, session_end, duration_seconds,
		event_count, view_count, cart_count, transaction_count, items_viewed, items_carted, items_purchased, converted
		FROM sessions ORDER BY session_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []oracle.Session
	for rows.Next() {
		var x oracle.Session
		if err := rows.Scan(&x.ID, &x.Visitor, &x.Start, &x.End, &x.DurationSeconds, &x.Events, &x.Views,
			&x.Carts, &x.Transactions, &x.ItemsViewed, &x.ItemsCarted, &x.ItemsPurchased, &x.Converted); err != nil {
			t.Fatal(err)
		}
		out = append(out, x)
	}
	return out
}

// generated writes a data file with the CLI's generator (make build puts it
// in bin/).
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
	cmd := exec.Command(bin, "data", "generate", "--rows", strconv.Itoa(rows), "--seed", "11", "--out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generate: %v\n%s", err, b)
	}
	return out
}

func sample(t *testing.T) string {
	return filepath.Join(testenv.Root(), "data", "sample.csv")
}
