// Package probe looks at every part of the pipeline for a status report:
// the stores with what they hold, the topic, the consumer groups' lag and
// the services' health. A part that does not answer is reported as such;
// the report itself never fails.
package probe

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/valkey-io/valkey-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/clickstream/clickstream/sql/db"
	"github.com/clickstream/clickstream/sql/migrations"
)

// Targets are what the prober looks at. Nil clients are reported as not
// configured.
type Targets struct {
	Postgres     *pgxpool.Pool
	PostgresAddr string
	Valkey       valkey.Client
	ValkeyAddr   string
	ValkeyErr    string // why there is no client, when there is none
	ValkeyPrefix string
	OpenSearch   *opensearchapi.Client
	SearchURL    string
	Index        string
	Kafka        *kadm.Client
	KafkaAddr    string
	Topic        string
	PGGroup      string // offsets stored in PostgreSQL
	SearchGroup  string // offsets committed to Kafka
	Services     []Service
	// Dial connects to a service for its health check; nil dials in plain
	// text.
	Dial func(addr string) (*grpc.ClientConn, error)
}

// Service is a gRPC endpoint whose health is checked. Optional ones are
// reported only when they answer: sink replicas that may not run.
type Service struct {
	Name, Addr string
	Optional   bool
}

// Report is a status report.
type Report struct {
	Stores    []Store
	Topic     Topic
	Groups    []Group
	Services  []Health
	CheckedAt time.Time
}

// Store is one store's state.
type Store struct {
	Name, Address string
	Reachable     bool
	Err           string
	Counts        map[string]int64
	Latency       time.Duration
	Note          string // what a reachable store lacks
}

// Topic is the events topic's partitions.
type Topic struct {
	Name       string
	Partitions []Offsets
}

// Offsets are a partition's first and next offsets.
type Offsets struct {
	Partition  int32
	Start, End int64
}

// Group is a consumer group's position and lag per partition.
type Group struct {
	Name       string
	Partitions []Lag
	TotalLag   int64
}

// Lag is one partition's position and lag.
type Lag struct {
	Partition   int32
	Offset, Lag int64
}

// Health is one service's gRPC health.
type Health struct {
	Name, Addr, State string
}

// Check probes every target in parallel, each bounded by ctx.
func Check(ctx context.Context, t Targets) Report {
	r := Report{CheckedAt: time.Now().UTC()}
	var wg sync.WaitGroup
	stores := make([]Store, 4)
	var topic Topic
	var groups []Group
	var services []Health
	wg.Go(func() { stores[0] = t.postgres(ctx) })
	wg.Go(func() { stores[1] = t.valkey(ctx) })
	wg.Go(func() { stores[2] = t.openSearch(ctx) })
	wg.Go(func() { stores[3], topic, groups = t.kafka(ctx) })
	wg.Go(func() { services = t.health(ctx) })
	wg.Wait()
	r.Stores, r.Topic, r.Groups, r.Services = stores, topic, groups, services
	return r
}

func timed(name, addr string, fn func() (map[string]int64, error)) Store {
	start := time.Now()
	counts, err := fn()
	s := Store{Name: name, Address: addr, Latency: time.Since(start), Counts: counts}
	if err != nil {
		s.Err = err.Error()
	} else {
		s.Reachable = true
	}
	return s
}

var errNotConfigured = fmt.Errorf("not configured")

func (t Targets) postgres(ctx context.Context) Store {
	var note string
	s := timed("postgresql", t.PostgresAddr, func() (map[string]int64, error) {
		row, err := db.New(t.Postgres).TableCounts(ctx)
		if migrations.NotApplied(err) {
			note = "no tables yet: the first pg-sink creates them"
			return map[string]int64{"events": 0, "sessions": 0}, nil
		}
		if err != nil {
			return nil, err
		}
		return map[string]int64{"events": row.Events, "sessions": row.Sessions}, nil
	})
	s.Note = note
	return s
}

func (t Targets) valkey(ctx context.Context) Store {
	return timed("valkey", t.ValkeyAddr, func() (map[string]int64, error) {
		if t.Valkey == nil {
			if t.ValkeyErr != "" {
				return nil, errors.New(t.ValkeyErr)
			}
			return nil, errNotConfigured
		}
		var n int64
		var cursor uint64
		for {
			e, err := t.Valkey.Do(ctx, t.Valkey.B().Scan().Cursor(cursor).Match(t.ValkeyPrefix+"*:s:*").Count(1000).Build()).AsScanEntry()
			if err != nil {
				return nil, err
			}
			n += int64(len(e.Elements))
			if cursor = e.Cursor; cursor == 0 {
				return map[string]int64{"session_keys": n}, nil
			}
		}
	})
}

func (t Targets) openSearch(ctx context.Context) Store {
	var note string
	s := timed("opensearch", t.SearchURL, func() (map[string]int64, error) {
		if t.OpenSearch == nil {
			return nil, errNotConfigured
		}
		resp, err := t.OpenSearch.Indices.Count(ctx, &opensearchapi.IndicesCountReq{Indices: []string{t.Index}})
		var apiErr *opensearch.StructError
		if errors.As(err, &apiErr) && apiErr.Err.Type == "index_not_found_exception" {
			note = "no index " + t.Index + " yet: the search-sink or opensearch init creates it"
			return map[string]int64{"documents": 0}, nil
		}
		if err != nil {
			return nil, err
		}
		return map[string]int64{"documents": int64(resp.Count)}, nil
	})
	s.Note = note
	return s
}

// kafka reports the broker as a store, the topic's offsets, and both
// groups' lag: the pg-sink's from its offsets in PostgreSQL, the
// search-sink's from its committed Kafka offsets.
func (t Targets) kafka(ctx context.Context) (Store, Topic, []Group) {
	topic := Topic{Name: t.Topic}
	var ends kadm.ListedOffsets
	store := timed("kafka", t.KafkaAddr, func() (map[string]int64, error) {
		starts, err := t.Kafka.ListStartOffsets(ctx, t.Topic)
		if err != nil {
			return nil, err
		}
		if ends, err = t.Kafka.ListEndOffsets(ctx, t.Topic); err != nil {
			return nil, err
		}
		var records int64
		ends.Each(func(o kadm.ListedOffset) {
			s, _ := starts.Lookup(o.Topic, o.Partition)
			topic.Partitions = append(topic.Partitions, Offsets{Partition: o.Partition, Start: s.Offset, End: o.Offset})
			records += o.Offset - s.Offset
		})
		sort.Slice(topic.Partitions, func(i, j int) bool { return topic.Partitions[i].Partition < topic.Partitions[j].Partition })
		return map[string]int64{"records": records, "partitions": int64(len(topic.Partitions))}, nil
	})
	if !store.Reachable {
		return store, topic, nil
	}
	groups := []Group{t.pgGroup(ctx, topic), t.kafkaGroup(ctx, topic)}
	return store, topic, groups
}

func (t Targets) pgGroup(ctx context.Context, topic Topic) Group {
	stored := map[int32]int64{}
	rows, err := db.New(t.Postgres).PartitionOffsets(ctx, t.PGGroup)
	if err == nil {
		for _, r := range rows {
			if r.Topic == t.Topic {
				stored[r.Partition] = r.NextOffset
			}
		}
	}
	return lagOf(t.PGGroup, topic, stored)
}

func (t Targets) kafkaGroup(ctx context.Context, topic Topic) Group {
	committed := map[int32]int64{}
	if offs, err := t.Kafka.FetchOffsets(ctx, t.SearchGroup); err == nil {
		offs.Each(func(o kadm.OffsetResponse) {
			if o.Topic == t.Topic && o.Err == nil {
				committed[o.Partition] = o.At
			}
		})
	}
	return lagOf(t.SearchGroup, topic, committed)
}

// lagOf compares positions with the records the partitions hold: a
// position before a partition's start (its records were deleted) counts
// from the start.
func lagOf(name string, topic Topic, at map[int32]int64) Group {
	g := Group{Name: name}
	for _, p := range topic.Partitions {
		pos := at[p.Partition]
		l := Lag{Partition: p.Partition, Offset: pos, Lag: max(p.End-max(pos, p.Start), 0)}
		g.Partitions = append(g.Partitions, l)
		g.TotalLag += l.Lag
	}
	return g
}

func (t Targets) health(ctx context.Context) []Health {
	out := make([]Health, len(t.Services))
	var wg sync.WaitGroup
	for i, s := range t.Services {
		wg.Go(func() { out[i] = Health{Name: s.Name, Addr: s.Addr, State: t.check(ctx, s.Addr)} })
	}
	wg.Wait()
	var shown []Health
	for i, h := range out {
		if h.State != "UNREACHABLE" || !t.Services[i].Optional {
			shown = append(shown, h)
		}
	}
	return shown
}

func (t Targets) check(ctx context.Context, addr string) string {
	dial := t.Dial
	if dial == nil {
		dial = func(addr string) (*grpc.ClientConn, error) {
			return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		}
	}
	conn, err := dial(addr)
	if err != nil {
		return "UNREACHABLE"
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return "UNREACHABLE"
	}
	return strings.TrimPrefix(resp.GetStatus().String(), "HealthCheckResponse_")
}
