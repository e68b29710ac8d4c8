package scheduler

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the scheduler's Prometheus series. Counters are updated as
// syncs finish; the state gauges are read from the schedule at scrape time.
type metrics struct {
	syncs    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

var (
	descLag = prometheus.NewDesc("gahost_sync_lag_seconds",
		"Longest time since an active account of the exchange last synced successfully (or was added).",
		[]string{"exchange"}, nil)
	descInterval = prometheus.NewDesc("gahost_sync_interval_seconds",
		"Effective sync interval of the exchange: the configured one, stretched when the rate budget cannot serve every account in it; with users stretched by different amounts, the longest.",
		[]string{"exchange"}, nil)
	descAccounts = prometheus.NewDesc("gahost_sync_accounts",
		"Active accounts by schedule state: scheduled, running, backoff (after transient failures) or parked (auth_failed).",
		[]string{"exchange", "state"}, nil)
	descPaused = prometheus.NewDesc("gahost_sync_exchange_paused",
		"1 while the exchange's syncs are paused, by reason (rate_limited, plugin_unavailable).",
		[]string{"exchange", "reason"}, nil)
	descInFlight = prometheus.NewDesc("gahost_sync_in_flight",
		"Account syncs running now.", nil, nil)
)

func newMetrics(reg prometheus.Registerer, s *Scheduler) (*metrics, error) {
	m := &metrics{
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gahost_syncs_total",
			Help: "Account syncs by exchange and outcome (ok, partial, error, auth_failed, rate_limited, plugin_unavailable).",
		}, []string{"exchange", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gahost_sync_duration_seconds",
			Help:    "Time one account sync took, from its start to its result being written.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"exchange"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.syncs, m.duration, (*stateCollector)(s)} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *metrics) observe(exchange string, out outcome, took time.Duration) {
	if out.kind == outGone || out.kind == outCancelled || out.kind == outStale {
		return
	}
	m.syncs.WithLabelValues(exchange, out.kind.String()).Inc()
	m.duration.WithLabelValues(exchange).Observe(took.Seconds())
}

// stateCollector reads the schedule's state when scraped.
type stateCollector Scheduler

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLag, descInterval, descAccounts, descPaused, descInFlight} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	s := (*Scheduler)(c)
	now := s.clock.Now()
	type counts struct {
		lag                                 time.Duration
		scheduled, running, backoff, parked int
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	per := map[string]*counts{}
	for name := range s.exchanges {
		per[name] = &counts{}
	}
	for _, e := range s.accounts {
		k := per[e.exchange]
		switch {
		case e.gone:
			continue
		case e.parked:
			k.parked++
			continue
		case e.running:
			k.running++
		case e.failures > 0:
			k.backoff++
		default:
			k.scheduled++
		}
		since := e.lastOK
		if since.IsZero() {
			since = e.known
		}
		k.lag = max(k.lag, now.Sub(since))
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for name, ex := range s.exchanges {
		k := per[name]
		gauge(descLag, k.lag.Seconds(), name)
		gauge(descInterval, s.longestEveryLocked(ex).Seconds(), name)
		gauge(descAccounts, float64(k.scheduled), name, "scheduled")
		gauge(descAccounts, float64(k.running), name, "running")
		gauge(descAccounts, float64(k.backoff), name, "backoff")
		gauge(descAccounts, float64(k.parked), name, "parked")
		for _, why := range []string{holdRateLimited, holdPluginDown} {
			v := 0.0
			if ex.holdWhy == why && now.Before(ex.holdUntil) {
				v = 1
			}
			gauge(descPaused, v, name, why)
		}
	}
	gauge(descInFlight, float64(s.inFlight))
}
