package plugins

import (
	"maps"

	"github.com/prometheus/client_golang/prometheus"
)

// The rate budgets, one series per exchange and pool, read when scraped.
var (
	descBudgetLimit = prometheus.NewDesc("gahost_sync_budget_limit",
		"The exchange's per-IP limit per window, as declared by the plugin or lower if the exchange reported less.",
		[]string{"exchange", "pool"}, nil)
	descBudgetAllowed = prometheus.NewDesc("gahost_sync_budget_allowed",
		"Weight per window this host allows itself (a safety share of the limit).",
		[]string{"exchange", "pool"}, nil)
	descBudgetUsed = prometheus.NewDesc("gahost_sync_budget_used",
		"Weight spent over the last window, including what the exchange counted from other traffic on the IP.",
		[]string{"exchange", "pool"}, nil)
	descBudgetWindow = prometheus.NewDesc("gahost_sync_budget_window_seconds",
		"Length of the exchange's rate-limit window.",
		[]string{"exchange", "pool"}, nil)
	descBudgetExternal = prometheus.NewDesc("gahost_sync_budget_external_total",
		"Weight the exchange reported beyond what this host sent (other traffic sharing the IP).",
		[]string{"exchange", "pool"}, nil)
)

type budgetCollector struct{ c *Catalog }

func (budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBudgetLimit, descBudgetAllowed, descBudgetUsed, descBudgetWindow, descBudgetExternal} {
		ch <- d
	}
}

func (b budgetCollector) Collect(ch chan<- prometheus.Metric) {
	b.c.mu.RLock()
	sets := maps.Clone(b.c.budgets)
	b.c.mu.RUnlock()
	now := b.c.now()
	for exchange, set := range sets {
		for _, p := range set.Stats(now) {
			gauge := func(d *prometheus.Desc, v float64) {
				ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, exchange, p.Name)
			}
			gauge(descBudgetLimit, float64(p.Limit))
			gauge(descBudgetAllowed, float64(p.Allowed))
			gauge(descBudgetUsed, float64(p.Used))
			gauge(descBudgetWindow, p.Window.Seconds())
			ch <- prometheus.MustNewConstMetric(descBudgetExternal, prometheus.CounterValue, float64(p.External), exchange, p.Name)
		}
	}
}
