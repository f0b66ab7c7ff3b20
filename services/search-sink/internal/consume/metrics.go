package consume

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	indexed      prometheus.Counter
	retried      prometheus.Counter
	rejected     prometheus.Counter
	deadLettered prometheus.Counter
	batchSeconds prometheus.Histogram
	lag          *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		indexed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "clickstream_searchsink_indexed_total",
			Help: "Events written to OpenSearch (an event written again counts again).",
		}),
		retried: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "clickstream_searchsink_retried_total",
			Help: "Documents sent again after OpenSearch throttled or failed them, or the whole request.",
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "clickstream_searchsink_rejected_total",
			Help: "Documents OpenSearch refused for good; they go to the dead-letter topic.",
		}),
		deadLettered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "clickstream_searchsink_dead_lettered_total",
			Help: "Records sent to the dead-letter topic: refused documents and undecodable records.",
		}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "clickstream_searchsink_batch_duration_seconds",
			Help:    "Time to make a polled batch durable, from decoding to the offset commit.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "clickstream_searchsink_consumer_lag",
			Help: "Records in the partition not yet indexed, as of the last poll.",
		}, []string{"partition"}),
	}
	if reg != nil {
		reg.MustRegister(m.indexed, m.retried, m.rejected, m.deadLettered, m.batchSeconds, m.lag)
	}
	return m
}
