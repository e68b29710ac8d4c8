package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// registerOps adds the operations routes outside /api/v1 and the HTTP
// request metrics. It comes first among the areas so that its middleware
// sees every route registered after it.
func registerOps(h *handler, r routes) {
	defer func() {
		r.root.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
		r.root.GET("/readyz", h.getReady)
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
	r.root.Use(func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched" // keeps label cardinality bounded
		}
		reqs.WithLabelValues(c.Request.Method, route, strconv.Itoa(c.Writer.Status())).Inc()
		dur.WithLabelValues(c.Request.Method, route).Observe(time.Since(start).Seconds())
	})
	r.root.GET("/metrics", gin.WrapH(promhttp.HandlerFor(h.d.Metrics, promhttp.HandlerOpts{})))
}

// getReady answers 200 once the store is open and the plugins are loaded.
func (h *handler) getReady(c *gin.Context) {
	if h.d.Store == nil || (h.d.Plugins != nil && !h.d.Plugins.Ready()) {
		writeError(c, http.StatusServiceUnavailable, codeNotReady, "not ready")
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}
