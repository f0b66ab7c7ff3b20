package replay

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the producer's Prometheus series.
type Metrics struct {
	sent      prometheus.Counter
	rejected  prometheus.Counter
	bytes     prometheus.Counter
	errors    prometheus.Counter
	latency   prometheus.Histogram
	replaying prometheus.Gauge
}

// NewMetrics creates the series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "clickstream_producer_events_sent_total",
			Help: "Events acknowledged by the brokers.",
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "clickstream_producer_rows_rejected_total",
			Help: "CSV rows rejected by the reader; never sent.",
		}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "clickstream_producer_bytes_sent_total",
			Help: "Record key and value bytes acknowledged by the brokers.",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "clickstream_producer_produce_errors_total",
			Help: "Records the brokers did not acknowledge.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "clickstream_producer_produce_latency_seconds",
			Help:    "Time from handing a record to the client to its acknowledgement, sampled one record in 64.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		replaying: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "clickstream_producer_replay_running",
			Help: "1 while a replay runs.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.sent, m.rejected, m.bytes, m.errors, m.latency, m.replaying)
	}
	return m
}
