package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	clickstreamv1 "github.com/clickstream/clickstream/proto/clickstream/v1"
	"github.com/clickstream/clickstream/services/platform/config"
)

type benchmarkFlags struct {
	file     string
	limit    int64
	replicas int
	yes      bool
	json     bool
	results  string
	timeout  time.Duration
	clients  int           // analytics clients calling during the run
	pause    time.Duration // between one client's calls
}

func (a *app) benchmarkCmd() *cobra.Command {
	var f benchmarkFlags
	cmd := &cobra.Command{
		Use:   "benchmark [--limit N] [--replicas N] [-y] [--json] [--results FILE]",
		Short: "Measure how fast pg-sink replicas write a replay to PostgreSQL",
		Long: `Measure the pipeline's throughput into PostgreSQL: stop the sinks running on
this machine, empty the pipeline as data reset does, start --replicas
pg-sink replicas (one per partition by default; the search-sink is left
out), replay the file in batch mode, and wait until PostgreSQL holds every
record. The rate is the events sent divided by the time from the start of
the replay to the sinks' last commit, both taken from PostgreSQL's clock.
The sinks are stopped again at the end; consumer start runs them again.

Each run appends a row to a CSV file (benchmarks.csv by default, with a
header when the file is new): timestamp, events, replicas, partitions,
seconds, events_per_second. Because it empties the pipeline, benchmark
asks first unless -y is given, and refuses when it cannot ask.

With --analytics-clients N, N clients call the analytics service from the
replay's start until the sinks' last commit, each waiting --analytics-pause
(none by default) between an answer and its next call, and asking in
turn for the funnel (all time, last day, last month), the top viewed items
and the pipeline status, the way dashboards poll it. The report adds each
method's calls, errors and latency (p50, p99, max); comparing the rate with
a run without clients shows what the queries cost the ingest.`,
		Example: `  clickstream benchmark --limit 500000
  clickstream benchmark -y --replicas 2 --json
  clickstream benchmark -y --file data/events.csv --results /tmp/runs.csv
  clickstream benchmark -y --analytics-clients 8 --analytics-pause 200ms --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.limit < 0 || f.replicas < 0 || f.clients < 0 || f.pause < 0 || f.timeout <= 0 {
				return errors.New("--limit, --replicas and --analytics-clients must not be negative, --timeout must be positive")
			}
			if !f.yes {
				const prompt = "benchmark first deletes every event in the pipeline. Type yes to go on: "
				ok, err := a.confirm(cmd.InOrStdin(), prompt)
				if err != nil || !ok {
					return errors.Join(errors.New("benchmark cancelled"), err)
				}
			}
			return a.benchmarkRun(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.file, "file", "", "CSV file to replay (plain or gzip); default: the producer's PRODUCER_FILE")
	fl.Int64Var(&f.limit, "limit", 0, "replay only the first N events (0: all)")
	fl.IntVar(&f.replicas, "replicas", 0, "pg-sink replicas (0: the topic's partition count)")
	fl.BoolVarP(&f.yes, "yes", "y", false, "do not ask for confirmation")
	fl.BoolVar(&f.json, "json", false, "print the result as JSON")
	fl.StringVar(&f.results, "results", "benchmarks.csv", "CSV file to append the result to")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Minute, "give up when PostgreSQL lags this long after the replay")
	fl.IntVar(&f.clients, "analytics-clients", 0, "analytics clients calling during the run")
	fl.DurationVar(&f.pause, "analytics-pause", 0, "pause of each analytics client between an answer and its next call")
	return cmd
}

// benchmarkResult is one run, as appended to the results file and printed.
type benchmarkResult struct {
	Time       time.Time
	Events     int64
	Replicas   int
	Partitions int
	Seconds    float64
	Load       *loadReport // nil without --analytics-clients
}

func (r benchmarkResult) eventsPerSecond() float64 {
	if r.Seconds <= 0 {
		return 0
	}
	return float64(r.Events) / r.Seconds
}

// benchmarkReport is the JSON form of a run, printed with --json; fields
// are only ever added.
type benchmarkReport struct {
	Events          int64       `json:"events"`
	Replicas        int         `json:"replicas"`
	Partitions      int         `json:"partitions"`
	Seconds         float64     `json:"seconds"`
	EventsPerSecond float64     `json:"events_per_second"`
	ResultsFile     string      `json:"results_file"`
	AnalyticsLoad   *loadReport `json:"analytics_load,omitempty"`
}

// benchmarkRun runs the benchmark, then records and reports it. With --json
// the steps' progress lines go to stderr, so that stdout holds the JSON.
func (a *app) benchmarkRun(ctx context.Context, f benchmarkFlags) error {
	out := a.stdout
	if f.json {
		a.stdout = a.stderr
	}
	res, err := a.benchmark(ctx, f)
	a.stdout = out
	if err != nil {
		return err
	}
	return finishBenchmark(a.stdout, res, f.results, f.json)
}

// finishBenchmark appends the run to the results file and reports it.
func finishBenchmark(w io.Writer, r benchmarkResult, results string, asJSON bool) error {
	if err := appendResult(results, r); err != nil {
		return err
	}
	if asJSON {
		return writeJSON(w, benchmarkReport{
			Events: r.Events, Replicas: r.Replicas, Partitions: r.Partitions,
			Seconds: round3(r.Seconds), EventsPerSecond: round3(r.eventsPerSecond()),
			ResultsFile: results, AnalyticsLoad: r.Load,
		})
	}
	_, err := fmt.Fprintf(w, "benchmark: %s events through %d pg-sink replicas on %d partitions "+
		"in %.3fs: %s events/s (appended to %s)\n",
		count(r.Events), r.Replicas, r.Partitions, r.Seconds, count(int64(r.eventsPerSecond())), results)
	if err == nil && r.Load != nil {
		err = writeLoad(w, r.Load)
	}
	return err
}

func round3(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 3, 64), 64)
	return v
}

var resultsHeader = []string{
	"timestamp", "events", "replicas", "partitions", "seconds", "events_per_second",
}

// appendResult appends r to the CSV file at path, writing the header first
// when the file is new or empty. A file with another header is left alone.
func appendResult(path string, r benchmarkResult) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if st.Size() == 0 {
		w.Write(resultsHeader)
	} else if err := checkResultsFile(f, st.Size()); err != nil {
		return fmt.Errorf("results file %s: %w", path, err)
	}
	w.Write([]string{
		r.Time.UTC().Format(time.RFC3339),
		strconv.FormatInt(r.Events, 10),
		strconv.Itoa(r.Replicas),
		strconv.Itoa(r.Partitions),
		strconv.FormatFloat(r.Seconds, 'f', 3, 64),
		strconv.FormatFloat(r.eventsPerSecond(), 'f', 1, 64),
	})
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("results file %s: %w", path, err)
	}
	return f.Close()
}

// checkResultsFile makes sure f starts with the results header and ends
// with a line break, adding the break when a previous writer left it out.
func checkResultsFile(f *os.File, size int64) error {
	header, err := csv.NewReader(io.NewSectionReader(f, 0, size)).Read()
	if err != nil || !slices.Equal(header, resultsHeader) {
		return fmt.Errorf("does not start with the header %v; pass another --results", resultsHeader)
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, size-1); err != nil {
		return err
	}
	if last[0] != '\n' {
		_, err = f.WriteString("\n")
	}
	return err
}

// benchmark empties the pipeline, runs pg-sink replicas and a replay, and
// measures from the replay's start to the sinks' last commit.
func (a *app) benchmark(ctx context.Context, f benchmarkFlags) (benchmarkResult, error) {
	cfg, err := a.settings()
	if err != nil {
		return benchmarkResult{}, err
	}
	if cfg.PGURL == "" {
		return benchmarkResult{}, errors.New("benchmark needs PG_URL")
	}
	if err := a.stopSinks(); err != nil {
		return benchmarkResult{}, err
	}
	if err := a.reset(ctx); err != nil {
		return benchmarkResult{}, err
	}
	partitions, err := a.partitions(ctx)
	if err != nil {
		return benchmarkResult{}, err
	}
	replicas := f.replicas
	if replicas == 0 {
		replicas = partitions
	}

	// The benchmark measures pg-sink alone: a search-sink would compete for
	// the same CPU. The settings live only as long as this command.
	cfg.SearchSink = false
	defer func() {
		if err := a.stopSinks(); err != nil {
			fmt.Fprintf(a.stderr, "stop the benchmark's sinks: %v\n", err)
		}
	}()
	if err := a.consumerStart(ctx, replicas); err != nil {
		return benchmarkResult{}, err
	}

	res, err := a.measure(ctx, cfg, f)
	res.Replicas, res.Partitions = replicas, partitions
	return res, err
}

// measure runs the replay and waits for PostgreSQL. Both ends of the
// interval come from the database's clock, so that a client clock that is
// off does not skew the rate.
func (a *app) measure(ctx context.Context, cfg *settings, f benchmarkFlags) (benchmarkResult, error) {
	conn, err := pgx.Connect(ctx, cfg.PGURL.Reveal())
	if err != nil {
		return benchmarkResult{}, fmt.Errorf("postgres %s: %w", config.Mask(cfg.PGURL.Reveal()), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	client, closeConn, err := a.producerClient(ctx, true)
	if err != nil {
		return benchmarkResult{}, err
	}
	defer closeConn()

	var load func() *loadReport
	if f.clients > 0 {
		ac, closeAnalytics, err := a.analyticsClient(ctx)
		if err != nil {
			return benchmarkResult{}, err
		}
		defer closeAnalytics()
		loadCtx, stopLoad := context.WithCancel(ctx)
		defer stopLoad()
		done := make(chan *loadReport, 1)
		go func() { done <- analyticsLoad(loadCtx, ac, f.clients, f.pause, analyticsTimeout) }()
		load = func() *loadReport { stopLoad(); return <-done }
	}

	var start time.Time
	if err := conn.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&start); err != nil {
		return benchmarkResult{}, fmt.Errorf("read the database clock: %w", err)
	}
	req := &clickstreamv1.StartReplayRequest{File: localPath(f.file), Limit: f.limit}
	resp, err := client.StartReplay(ctx, req)
	if err != nil {
		return benchmarkResult{}, rpcError("start replay", err)
	}
	final, err := a.follow(ctx, client, resp.GetReplay().GetId())
	if err != nil {
		return benchmarkResult{}, err
	}
	if final.GetState() != clickstreamv1.ReplayState_REPLAY_STATE_DONE {
		return benchmarkResult{}, fmt.Errorf("replay %s %s: %s",
			final.GetId(), stateName(final.GetState()), final.GetError())
	}
	if final.GetSent() == 0 {
		return benchmarkResult{}, fmt.Errorf("replay %s sent no events", final.GetId())
	}

	waitCtx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	if err := a.waitWritten(waitCtx); err != nil {
		return benchmarkResult{}, err
	}
	var report *loadReport
	if load != nil {
		report = load()
	}
	var end time.Time
	err = conn.QueryRow(ctx, `SELECT max(updated_at) FROM consumer_offsets
		WHERE consumer_group = $1 AND topic = $2`, cfg.Groups[0], cfg.Kafka.Topic).Scan(&end)
	if err != nil {
		return benchmarkResult{}, fmt.Errorf("read the last commit: %w", err)
	}
	return benchmarkResult{Time: start, Events: final.GetSent(), Seconds: end.Sub(start).Seconds(), Load: report}, nil
}
