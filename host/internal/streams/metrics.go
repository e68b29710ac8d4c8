package streams

import (
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the streams' counters: accounts by state per exchange,
// resyncs, failures, and the lag from a change at the exchange to its
// write in the store.
type metrics struct {
	resyncs    *prometheus.CounterVec
	failures   *prometheus.CounterVec
	events     *prometheus.CounterVec
	lag        *prometheus.HistogramVec
	mismatches *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, m *Manager) (*metrics, error) {
	x := &metrics{
		resyncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gahost_stream_resyncs_total",
			Help: "Times a streamed account's stream lost continuity and was subscribed and seeded again.",
		}, []string{"exchange"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gahost_stream_failures_total",
			Help: "Times a plugin gave up streaming an account, which is then polled.",
		}, []string{"exchange", "kind"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gahost_stream_changes_total",
			Help: "Account changes pushed by streams and written to the store.",
		}, []string{"exchange"}),
		mismatches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gahost_stream_mismatches_total",
			Help: "Parts of streamed accounts that a reconciling REST read found different from what the stream had written (repaired from REST, the stream resubscribed).",
		}, []string{"exchange", "part"}),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gahost_stream_lag_seconds",
			Help:    "From the exchange's event time of a change to its write in the store.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10},
		}, []string{"exchange"}),
	}
	if reg == nil {
		return x, nil
	}
	for _, c := range []prometheus.Collector{x.resyncs, x.failures, x.events, x.lag, x.mismatches, &stateCollector{m}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func (x *metrics) event(exchange string, before sdk.StreamState, ev sdk.StreamEvent, _ time.Time) {
	switch {
	case ev.State == sdk.StreamResyncing && before != sdk.StreamResyncing:
		x.resyncs.WithLabelValues(exchange).Inc()
	case ev.State == sdk.StreamFailed:
		x.failures.WithLabelValues(exchange, ev.Kind.String()).Inc()
	}
}

func (x *metrics) written(exchange string, ev sdk.StreamEvent, now time.Time) {
	x.events.WithLabelValues(exchange).Inc()
	if !ev.At.IsZero() && ev.State == sdk.StreamData {
		x.lag.WithLabelValues(exchange).Observe(max(now.Sub(ev.At), 0).Seconds())
	}
}

var accountsDesc = prometheus.NewDesc("gahost_stream_accounts",
	"Active accounts of an exchange with streams, by what keeps them fresh: connected (polled only to reconcile), subscribing, resyncing, failed, or polled (held back by the exchange's per-IP cap or connection rate).",
	[]string{"exchange", "state"}, nil)

type stateCollector struct{ m *Manager }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- accountsDesc }

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	for ex, byState := range c.m.counts() {
		for name, n := range byState {
			ch <- prometheus.MustNewConstMetric(accountsDesc, prometheus.GaugeValue, float64(n), ex, name)
		}
	}
}
