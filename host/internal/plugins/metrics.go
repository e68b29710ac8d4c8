package plugins

import (
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	state    *prometheus.GaugeVec
	restarts *prometheus.CounterVec
	rpc      *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gahost_plugin_state",
			Help: "1 for the state each exchange's plugin is in, 0 for the others.",
		}, []string{"exchange", "state"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gahost_plugin_restarts_total",
			Help: "Plugin processes that exited unasked and were restarted.",
		}, []string{"exchange"}),
		rpc: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gahost_plugin_rpc_duration_seconds",
			Help:    "Host to plugin call latency, by method and outcome (ok or the error kind).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"exchange", "method", "outcome"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.state, m.restarts, m.rpc} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

var allStates = []string{StateStarting, StateReady, StateNoCapabilities, StateCrashed, StateDisabled}

func (m *metrics) setStates(sts []Status) {
	for _, s := range sts {
		for _, st := range allStates {
			v := 0.0
			if st == s.State {
				v = 1
			}
			m.state.WithLabelValues(s.Name, st).Set(v)
		}
	}
}

func (m *metrics) observe(exchange, method string, err error, d time.Duration) {
	outcome := "ok"
	if err != nil {
		outcome = sdk.KindOf(err).String()
	}
	m.rpc.WithLabelValues(exchange, method, outcome).Observe(d.Seconds())
}
