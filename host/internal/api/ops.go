package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// registerOps adds the operations routes outside /api/v1: health,
// readiness and, unless it is served on its own address, /metrics.
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
	if h.d.Metrics == nil || h.d.MetricsElsewhere {
		return
	}
	r.root.handle(http.MethodGet, "/metrics", op{id: "metrics", tag: "operations",
		summary: "Prometheus metrics",
		desc: "Plugin states and restarts, plugin call latency, syncs by outcome, sync lag, " +
			"HTTP requests by route and status. The text exposition format unless the client's Accept asks for another.",
		res: []res{{http.StatusOK, "The metrics.", rawBody{"text/plain", openapi3.NewStringSchema()}},
			{http.StatusUnauthorized, "api.metrics_token is set and the request does not carry it as " +
				"Authorization: Bearer (unauthorized).", errBody}},
	}, gin.WrapH(MetricsHandler(h.d.Metrics, h.d.MetricsToken)))
}

// MetricsHandler serves the registry's metrics; with a token, only to a
// request carrying it as a bearer token. The daemon mounts it on the API's
// router, or alone on api.metrics_listen.
func MetricsHandler(reg *prometheus.Registry, token string) http.Handler {
	serve := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if token == "" {
		return serve
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearerToken(r.Header.Get("Authorization"))
		// Compared as hashes, so the time taken tells nothing of the
		// token's length either.
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gahost-metrics"`)
			w.Header().Set("Content-Type", jsonContentType)
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(errorBody{Error: errorDetail{Code: codeUnauthorized,
				Message: "metrics need the metrics bearer token"}})
			return
		}
		serve.ServeHTTP(w, r)
	})
}

// httpMetrics returns the middleware counting every request by route
// pattern, status code and status class, or nil without a registry. New
// installs it on the engine before any group exists: gin copies a group's
// middleware when the group is made, so middleware added later misses
// every route of the groups made before.
func (h *handler) httpMetrics() gin.HandlerFunc {
	if h.d.Metrics == nil {
		return nil
	}
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gahost_http_requests_total",
		Help: "HTTP requests answered, by route pattern, status code and status class (2xx, 4xx, ...).",
	}, []string{"method", "route", "code", "class"})
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gahost_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"method", "route"})
	for _, c := range []prometheus.Collector{reqs, dur} {
		if err := h.d.Metrics.Register(c); err != nil {
			h.log.Error("registering HTTP metrics", "error", err)
			return nil
		}
	}
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched" // keeps label cardinality bounded
		}
		status := c.Writer.Status()
		reqs.WithLabelValues(c.Request.Method, route, strconv.Itoa(status), strconv.Itoa(status/100)+"xx").Inc()
		dur.WithLabelValues(c.Request.Method, route).Observe(time.Since(start).Seconds())
	}
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
