package sink

import "github.com/prometheus/client_golang/prometheus"

// metrics are the pg-sink's Prometheus series.
type metrics struct {
	records      prometheus.Counter
	inserted     prometheus.Counter
	duplicates   prometheus.Counter
	late         prometheus.Counter
	deadLettered prometheus.Counter
	sessions     prometheus.Counter
	retries      prometheus.Counter
	valkeyErrors prometheus.Counter
	stateLoads   *prometheus.CounterVec
	batchSize    prometheus.Histogram
	batchSeconds prometheus.Histogram
	lag          *prometheus.GaugeVec
	endToEnd     prometheus.Summary
}

func newMetrics(reg prometheus.Registerer) *metrics {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "clickstream_pgsink_" + name, Help: help})
	}
	m := &metrics{
		records:      counter("records_total", "Records consumed from the events topic."),
		inserted:     counter("events_inserted_total", "Events new to PostgreSQL."),
		duplicates:   counter("duplicates_skipped_total", "Events already in PostgreSQL: duplicates and redeliveries."),
		late:         counter("late_events_total", "Events older than their visitor's current session: stored, not sessionized."),
		deadLettered: counter("dead_lettered_total", "Records that could not be decoded, sent to the dead-letter topic."),
		sessions:     counter("sessions_upserted_total", "Session rows written."),
		retries:      counter("batch_retries_total", "Batches tried again after an error."),
		valkeyErrors: counter("valkey_errors_total", "Failed Valkey calls; state then comes from PostgreSQL."),
		stateLoads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clickstream_pgsink_state_loads_total",
			Help: "Visitor states found for a batch, by source: memory, valkey, postgres, or new (no session yet, known without a lookup).",
		}, []string{"source"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "clickstream_pgsink_batch_records",
			Help:    "Records per partition batch.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 9),
		}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "clickstream_pgsink_batch_duration_seconds",
			Help:    "Time to write a partition batch, from its first load to its commit.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		endToEnd: prometheus.NewSummary(prometheus.SummaryOpts{
			Name:       "clickstream_pgsink_end_to_end_seconds",
			Help:       "From the producer sending a record to its row being committed, for real-time replays (which stamp records with their send time).",
			Objectives: map[float64]float64{0.5: 0.01, 0.9: 0.005, 0.99: 0.001},
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "clickstream_pgsink_consumer_lag",
			Help: "Records in the partition not yet written, as of the last batch.",
		}, []string{"partition"}),
	}
	if reg != nil {
		reg.MustRegister(m.records, m.inserted, m.duplicates, m.late, m.deadLettered, m.sessions,
			m.retries, m.valkeyErrors, m.stateLoads, m.batchSize, m.batchSeconds, m.lag, m.endToEnd)
	}
	return m
}
