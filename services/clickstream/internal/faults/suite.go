// Package faults is the fault suite that `make faults` runs: the real
// service binaries over the real servers, with faults injected while a
// replay runs, the time the pipeline takes to recover from each, and the
// stores checked against one clean pass over the input after each.
//
// The suite runs the producer, one pg-sink, one search-sink and the
// analytics service as its own child processes, on addresses, a topic,
// consumer groups, a PostgreSQL schema, a Valkey prefix and an index of
// its own. It injects one kind of fault at a time: SIGKILL of each service
// (then a restart), a restart of Kafka and of PostgreSQL, OpenSearch
// stopped for a while, the Valkey keys deleted. It restarts the servers
// through scripts/local, so it must only be pointed at a stack that nothing
// else uses.
//
// Between faults it stops the replay, waits until both sinks have caught
// up and checks the stores; the next replay starts at the first event not
// yet sent, so the whole input is sent once in the end (a killed producer's
// events are sent again, which the sinks must ignore).
package faults

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/oracle"
)

// Kind names a fault.
type Kind string

// The faults the suite injects.
const (
	KillProducer   Kind = "producer"
	KillPGSink     Kind = "pg-sink"
	KillSearchSink Kind = "search-sink"
	KillAnalytics  Kind = "analytics"
	RestartKafka   Kind = "kafka"
	RestartPG      Kind = "postgres"
	StopOpenSearch Kind = "opensearch"
	FlushValkey    Kind = "valkey"
)

// Kinds lists every kind of fault, in the order a full run injects them.
var Kinds = []Kind{KillProducer, KillPGSink, KillSearchSink, KillAnalytics, FlushValkey, RestartPG, RestartKafka, StopOpenSearch}

// Fault is one kind of fault and how many times to inject it, one after
// the other, each after the pipeline recovered from the one before.
type Fault struct {
	Kind  Kind
	Times int
}

func (k Kind) label() string {
	switch k {
	case RestartKafka:
		return "Kafka broker restarted"
	case RestartPG:
		return "PostgreSQL restarted"
	case StopOpenSearch:
		return fmt.Sprintf("OpenSearch stopped %v, started", openSearchDown)
	case FlushValkey:
		return "Valkey keys deleted"
	default:
		return "SIGKILL " + string(k) + ", restart"
	}
}

const (
	trendWindow     = 5 * time.Second // the pre-fault trend, and the pause before each injection
	recoveryTimeout = 3 * time.Minute // the longest recovery waited for
	openSearchDown  = 5 * time.Second // how long OpenSearch stays stopped
	buffered        = 1000            // the producer's PRODUCER_BUFFERED_RECORDS
)

// Config is what the suite runs against.
type Config struct {
	Bin     string // the service binaries (make build)
	Scripts string // scripts/local
	Work    string // phase files and the services' logs

	Input string        // a plain CSV events file without rejected rows
	Pace  time.Duration // how long a paced replay of the whole input takes

	Brokers       []string
	PGURL         string // selects the suite's own schema
	ValkeyURL     string
	OpenSearchURL string
	Name          string // topic, groups, index and Valkey prefix are named after it

	Faults []Fault
	Logf   func(format string, args ...any)
}

// suite is one run.
type suite struct {
	cfg    Config
	feed   *feed
	speed  float64
	names  names
	report *Report

	admin     *kadm.Client
	pool      *pgxpool.Pool
	producer  clickstreamv1.ProducerServiceClient
	analytics clickstreamv1.AnalyticsServiceClient
	services  map[string]*service
	servers   map[Kind]server
	sampler   *sampler
	checker   checker
	ledger    ledger

	conns        []*grpc.ClientConn
	stopSampling context.CancelFunc

	cur     *running // the replay in progress; nil when none
	replays int
	began   time.Time
	stage   string // the row being worked on, for notes
}

// names are the suite's own topic, groups, index and key prefix.
type names struct {
	topic, dlq, pgGroup, searchGroup, index, prefix string
}

// Run runs the suite and returns its report. An error means the suite
// could not run to the end; the report then holds what it found until then.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	start := time.Now()
	s := &suite{cfg: cfg, report: &Report{Timeout: recoveryTimeout}, services: map[string]*service{}, began: start}
	s.names = names{
		topic: cfg.Name, dlq: cfg.Name + "-dlq", pgGroup: cfg.Name, searchGroup: cfg.Name + "-search",
		index: "clickstream-events-" + cfg.Name, prefix: cfg.Name + ":",
	}
	defer func() {
		s.report.Wall = time.Since(start)
		s.report.Finished = time.Now()
	}()
	defer s.close()
	if err := s.setUp(ctx); err != nil {
		return s.report, err
	}
	for _, f := range cfg.Faults {
		if err := s.phase(ctx, f); err != nil {
			return s.report, fmt.Errorf("%s: %w", f.Kind.label(), err)
		}
	}
	if err := s.finish(ctx); err != nil {
		return s.report, fmt.Errorf("last replay: %w", err)
	}
	return s.report, nil
}

func (s *suite) logf(format string, args ...any) {
	s.cfg.Logf("%6.1fs "+format, append([]any{time.Since(s.began).Seconds()}, args...)...)
}

// note adds a remark to the report, naming the fault in progress.
func (s *suite) note(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	s.logf("%s", text)
	s.report.Notes = append(s.report.Notes, fmt.Sprintf("%s: %s", s.stage, text))
}

func (s *suite) setUp(ctx context.Context) error {
	want, err := oracle.FromFile(s.cfg.Input, sessionTimeout)
	if err != nil {
		return err
	}
	if want.Rejected > 0 {
		return fmt.Errorf("%s has %d rejected rows; the suite needs a clean input", s.cfg.Input, want.Rejected)
	}
	if s.feed, err = readFeed(s.cfg.Input); err != nil {
		return err
	}
	s.speed = float64(s.feed.spanMs()) / float64(s.cfg.Pace.Milliseconds())
	s.ledger = ledger{rows: s.feed.len(), buffered: buffered}
	s.report.Input = fmt.Sprintf("%s: %d events (%d distinct, %d sessions), paced at %.0fx real time (%.0f events/s)",
		filepath.Base(s.cfg.Input), s.feed.len(), len(want.Events), len(want.Sessions), s.speed,
		float64(s.feed.len())/s.cfg.Pace.Seconds())
	s.logf("input %s", s.report.Input)

	if err := s.ownServers(ctx); err != nil {
		return err
	}
	cl, err := kafka.NewClient(ctx, kafka.Config{Brokers: s.cfg.Brokers}, nil)
	if err != nil {
		return err
	}
	s.admin = kadm.NewClient(cl)
	if _, err := kafka.EnsureTopic(ctx, cl, kafka.TopicSpec{Name: s.names.topic, Partitions: 4, Replication: 1}); err != nil {
		return err
	}
	if s.pool, err = pgxpool.New(ctx, s.cfg.PGURL); err != nil {
		return err
	}
	if err := s.startServices(ctx); err != nil {
		return err
	}
	s.checker = checker{
		input: s.cfg.Input, pool: s.pool, admin: s.admin, dlq: s.names.dlq, analytics: s.analytics,
		search: searchIndex{url: strings.TrimRight(s.cfg.OpenSearchURL, "/"), index: s.names.index, http: &http.Client{Timeout: 30 * time.Second}},
	}
	p := &probe{admin: s.admin, pool: s.pool, topic: s.names.topic, pgGroup: s.names.pgGroup, searchGroup: s.names.searchGroup}
	var sampling context.Context
	sampling, s.stopSampling = context.WithCancel(ctx)
	s.sampler = runSampler(sampling, p)
	return nil
}

// ownServers checks that the scripts the suite restarts servers with
// manage the servers the services use.
func (s *suite) ownServers(ctx context.Context) error {
	pgAddr, err := hostPort(s.cfg.PGURL)
	if err != nil {
		return fmt.Errorf("PG_URL: %w", err)
	}
	osAddr, err := hostPort(s.cfg.OpenSearchURL)
	if err != nil {
		return fmt.Errorf("OPENSEARCH_URL: %w", err)
	}
	logs := filepath.Join(s.cfg.Work, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return err
	}
	s.servers = map[Kind]server{
		RestartKafka:   newServer(s.cfg.Scripts, logs, "kafka"),
		RestartPG:      newServer(s.cfg.Scripts, logs, "postgres"),
		StopOpenSearch: newServer(s.cfg.Scripts, logs, "opensearch"),
	}
	for kind, addr := range map[Kind]string{RestartKafka: s.cfg.Brokers[0], RestartPG: pgAddr, StopOpenSearch: osAddr} {
		if err := s.servers[kind].checkOwn(ctx, addr); err != nil {
			return err
		}
	}
	return nil
}

func (s *suite) startServices(ctx context.Context) error {
	common := []string{
		"KAFKA_BROKERS=" + strings.Join(s.cfg.Brokers, ","), "KAFKA_TOPIC=" + s.names.topic,
		"KAFKA_DLQ_TOPIC=" + s.names.dlq, "PGSINK_GROUP=" + s.names.pgGroup, "SEARCHSINK_GROUP=" + s.names.searchGroup,
		"SEARCHSINK_INDEX=" + s.names.index, "VALKEY_PREFIX=" + s.names.prefix, "PG_URL=" + s.cfg.PGURL,
		"VALKEY_URL=" + s.cfg.ValkeyURL, "OPENSEARCH_URL=" + s.cfg.OpenSearchURL,
		"KAFKA_GROUP_SESSION_TIMEOUT=6s", "KAFKA_PARTITIONS=4", "LOG_LEVEL=info",
	}
	var err error
	for _, name := range []string{"pg-sink", "search-sink", "producer", "analytics"} {
		if s.services[name], err = newService(name, s.cfg.Bin, s.cfg.Work, common); err != nil {
			return err
		}
	}
	s.services["producer"].env = append(s.services["producer"].env, fmt.Sprintf("PRODUCER_BUFFERED_RECORDS=%d", buffered))
	s.services["analytics"].env = append(s.services["analytics"].env,
		"PRODUCER_ADDR="+s.services["producer"].grpcAddr, "STATUS_SINK_REPLICAS=0",
		"ANALYTICS_MAX_STALENESS="+analyticsStaleness.String())
	for _, name := range []string{"pg-sink", "search-sink", "producer", "analytics"} {
		if err := s.services[name].start(ctx); err != nil {
			return err
		}
		s.logf("%s serving on %s, log %s", name, s.services[name].grpcAddr, s.services[name].logPath)
	}
	producer, err := s.dial(s.services["producer"].grpcAddr)
	if err != nil {
		return err
	}
	analytics, err := s.dial(s.services["analytics"].grpcAddr)
	if err != nil {
		return err
	}
	s.producer = clickstreamv1.NewProducerServiceClient(producer)
	s.analytics = clickstreamv1.NewAnalyticsServiceClient(analytics)
	return nil
}

// dial returns a connection to a service's gRPC address, closed with the
// suite. It connects lazily, and again after the service restarts.
func (s *suite) dial(addr string) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	s.conns = append(s.conns, conn)
	return conn, nil
}

// close stops the services and removes what the suite created; the
// PostgreSQL schema is the caller's.
func (s *suite) close() {
	if s.sampler != nil {
		s.stopSampling()
		s.sampler.writeCSV(filepath.Join(s.cfg.Work, "samples.csv"))
	}
	for _, conn := range s.conns {
		conn.Close()
	}
	for _, svc := range s.services {
		svc.stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if s.admin != nil {
		s.admin.DeleteTopics(ctx, s.names.topic, s.names.dlq)
		s.admin.DeleteGroups(ctx, s.names.searchGroup, s.names.pgGroup)
		s.admin.Close()
	}
	if s.pool != nil {
		s.pool.Close()
	}
	if s.checker.search.http != nil {
		s.checker.search.do(ctx, http.MethodDelete, "", nil, nil)
	}
	if s.cfg.ValkeyURL != "" {
		flushValkey(ctx, s.cfg.ValkeyURL, s.names.prefix)
	}
}

// phase runs a replay, injects one kind of fault as many times as asked,
// measures each recovery, then stops the replay and checks the stores.
func (s *suite) phase(ctx context.Context, f Fault) error {
	row := Row{Fault: f.Kind.label()}
	defer func() { s.report.Rows = append(s.report.Rows, row) }()
	s.stage = row.Fault

	from := s.ledger.covered
	if from >= s.feed.len() {
		from = 0 // the input is all sent: send it again, which must change nothing
	}
	if err := s.startReplay(ctx, from, s.speed); err != nil {
		return err
	}
	if err := s.waitFlowing(ctx); err != nil {
		return err
	}
	for i := range f.Times {
		if err := s.waitReplay(ctx, trendWindow); err != nil {
			return err
		}
		injected := time.Now()
		rec := newRecovery(injected, allowance(s.sampler.since(injected.Add(-trendWindow)), injected, trendWindow, s.perSecond()))
		s.logf("%s (%d of %d), lag allowance %d", f.Kind.label(), i+1, f.Times, rec.allowance)
		if err := s.inject(ctx, f.Kind); err != nil {
			return err
		}
		rec.end(time.Now())
		row.Over = append(row.Over, rec.over.Sub(injected))
		if err := s.awaitRecovery(ctx, rec); err != nil {
			return err
		}
		row.Recovery = append(row.Recovery, rec.took())
		if rec.took() == 0 {
			return fmt.Errorf("the pipeline did not recover within %v", recoveryTimeout)
		}
		s.logf("fault over after %.1fs, recovered after %.1fs", rec.over.Sub(injected).Seconds(), rec.took().Seconds())
	}
	failures, err := s.checkpoint(ctx)
	if err != nil {
		return err
	}
	row.Checked, row.Failures = true, failures
	return nil
}

// finish sends the rest of the input at full speed and checks the stores
// against the whole input.
func (s *suite) finish(ctx context.Context) error {
	row := Row{Fault: "none: the rest of the input at full speed"}
	defer func() { s.report.Rows = append(s.report.Rows, row) }()
	s.stage = row.Fault
	if s.ledger.covered < s.feed.len() {
		if err := s.startReplay(ctx, s.ledger.covered, 0); err != nil {
			return err
		}
		deadline := time.Now().Add(2 * time.Minute)
		for {
			r, err := s.getReplay(ctx)
			if err != nil {
				return err
			}
			if r.GetState() != clickstreamv1.ReplayState_REPLAY_STATE_SENDING && r.GetState() != clickstreamv1.ReplayState_REPLAY_STATE_READING {
				break
			}
			if time.Now().After(deadline) {
				return errors.New("the last replay did not end within 2 minutes")
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	failures, err := s.checkpoint(ctx)
	if err != nil {
		return err
	}
	if s.ledger.covered != s.feed.len() {
		failures = append(failures, fmt.Sprintf("only %d of %d events were sent", s.ledger.covered, s.feed.len()))
	}
	row.Checked, row.Failures = true, failures
	return nil
}

// inject injects one fault and returns when it is over: the process or
// server is back, or the keys are deleted.
func (s *suite) inject(ctx context.Context, kind Kind) error {
	switch kind {
	case KillProducer:
		return s.killProducer(ctx)
	case KillPGSink, KillSearchSink, KillAnalytics:
		svc := s.services[string(kind)]
		if err := svc.kill(); err != nil {
			return err
		}
		return svc.start(ctx)
	case RestartKafka, RestartPG:
		return s.servers[kind].restart(ctx, s.logf)
	case StopOpenSearch:
		srv := s.servers[kind]
		if _, err := srv.run(ctx, "stop"); err != nil {
			return err
		}
		time.Sleep(openSearchDown)
		return srv.start(ctx, s.logf)
	case FlushValkey:
		n, err := flushValkey(ctx, s.cfg.ValkeyURL, s.names.prefix)
		s.logf("deleted %d keys under %s", n, s.names.prefix)
		return err
	}
	return fmt.Errorf("unknown fault %q", kind)
}

// awaitRecovery follows the samples until rec says the pipeline has
// recovered or the timeout passes; meanwhile it keeps the replay going and
// asks the analytics service for the funnel until it answers.
func (s *suite) awaitRecovery(ctx context.Context, rec *recovery) error {
	deadline := rec.injected.Add(recoveryTimeout)
	next := rec.over
	answered := false
	for time.Now().Before(deadline) {
		if err := s.keepReplaying(ctx); err != nil {
			return err
		}
		if !answered {
			asked := time.Now()
			if answered = s.funnelAnswers(ctx); answered {
				rec.answer(asked)
			}
		}
		for _, x := range s.sampler.since(next) {
			next = x.At.Add(time.Nanosecond)
			if rec.observe(x) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

func (s *suite) funnelAnswers(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := s.analytics.GetFunnel(ctx, &clickstreamv1.GetFunnelRequest{
		Windows: []*clickstreamv1.Window{{Window: &clickstreamv1.Window_AllTime{AllTime: true}}},
	})
	return err == nil
}

// checkpoint stops the replay, waits until both sinks have written all the
// topic holds, and checks the stores against the input's covered prefix.
func (s *suite) checkpoint(ctx context.Context) ([]string, error) {
	if err := s.stopReplay(ctx); err != nil {
		return nil, err
	}
	covered, err := s.ledger.settle()
	if err != nil {
		return nil, err
	}
	ends, err := s.endOffsets(ctx)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		x, ok := s.sampler.last()
		if ok && x.Written == ends && x.Indexed == ends && x.Produced == ends {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the sinks did not catch up within 2 minutes: topic %d, PostgreSQL %d, OpenSearch %d",
				ends, x.Written, x.Indexed)
		}
		time.Sleep(200 * time.Millisecond)
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	failures, err := s.checker.check(cctx, covered)
	if err != nil {
		return nil, err
	}
	verdict := "every invariant holds"
	if len(failures) > 0 {
		verdict = fmt.Sprintf("%d invariants do not hold", len(failures))
	}
	s.logf("checked the stores after the first %d of %d events: %s", covered, s.feed.len(), verdict)
	return failures, nil
}

// hostPort returns the host:port of a URL.
func hostPort(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if u.Port() == "" {
		return "", fmt.Errorf("%s names no port", u.Redacted())
	}
	return u.Host, nil
}
