package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// registerOps adds the operations routes outside /api/v1 and the HTTP
// request metrics. It comes first among the areas so that its middleware
// sees every route registered after it.
func registerOps(h *handler, r routes) {
	defer func() {
		r.root.handle(http.MethodGet, "/healthz", op{id: "health", tag: "operations",
			summary: "Liveness: 200 while the process serves",
			res:     []res{{http.StatusOK, "Serving.", statusAnswer{}}}},
			func(c *gin.Context) { c.JSON(http.StatusOK, statusAnswer{Status: "ok"}) })
		r.root.handle(http.MethodGet, "/readyz", op{id: "ready", tag: "operations",
			summary: "Readiness: 200 once the store is open and the plugins are loaded",
			res: []res{{http.StatusOK, "Ready.", statusAnswer{}},
				{http.StatusServiceUnavailable, "Not ready yet (not_ready).", errBody}}}, h.getReady)
	}()
	if h.d.Metrics == nil {
		return
	}
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gahost_http_requests_total",
		Help: "HTTP requests answered, by route and status code.",
	}, []string{"method", "route", "code"})
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gahost_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"method", "route"})
	if err := h.d.Metrics.Register(reqs); err != nil {
		h.log.Error("registering HTTP metrics", "error", err)
		return
	}
	if err := h.d.Metrics.Register(dur); err != nil {
		h.log.Error("registering HTTP metrics", "error", err)
		return
	}
	r.engine.Use(func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched" // keeps label cardinality bounded
		}
		reqs.WithLabelValues(c.Request.Method, route, strconv.Itoa(c.Writer.Status())).Inc()
		dur.WithLabelValues(c.Request.Method, route).Observe(time.Since(start).Seconds())
	})
	r.root.handle(http.MethodGet, "/metrics", op{id: "metrics", tag: "operations",
		summary: "Prometheus metrics",
		desc: "Plugin states and restarts, plugin call latency, syncs by outcome, sync lag, " +
			"HTTP requests by route and status. The text exposition format unless the client's Accept asks for another.",
		res: []res{{http.StatusOK, "The metrics.", rawBody{"text/plain", openapi3.NewStringSchema()}}},
	}, gin.WrapH(promhttp.HandlerFor(h.d.Metrics, promhttp.HandlerOpts{})))
}

// statusAnswer is the body of the health and readiness answers.
type statusAnswer struct {
	Status string `json:"status" doc:"ok or ready."`
}

// getReady answers 200 once the store is open and the plugins are loaded.
func (h *handler) getReady(c *gin.Context) {
	if h.d.Store == nil || (h.d.Plugins != nil && !h.d.Plugins.Ready()) {
		writeError(c, http.StatusServiceUnavailable, codeNotReady, "not ready")
		return
	}
	c.JSON(http.StatusOK, statusAnswer{Status: "ready"})
}
