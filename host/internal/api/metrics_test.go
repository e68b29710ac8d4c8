package api

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Every route is counted, /api/v1 ones included, by its pattern, status
// code and status class.
func TestHTTPMetricsCountEveryRoute(t *testing.T) {
	e, _ := fullEnv(t, true)
	if r := e.do("GET", "/api/v1/me", e.adminToken, nil); r.Code != 200 {
		t.Fatalf("me: %d", r.Code)
	}
	if r := e.do("GET", "/api/v1/exchange-accounts/01NOSUCHACCOUNT", e.adminToken, nil); r.Code != 404 {
		t.Fatalf("missing account: %d", r.Code)
	}
	if r := e.do("GET", "/api/v1/me", "", nil); r.Code != 401 {
		t.Fatalf("me without a token: %d", r.Code)
	}
	r := e.do("GET", "/metrics", "", nil)
	if r.Code != 200 {
		t.Fatalf("metrics: %d", r.Code)
	}
	body := r.Body.String()
	for _, want := range []string{
		`gahost_http_requests_total{class="2xx",code="200",method="GET",route="/api/v1/me"} 1`,
		`gahost_http_requests_total{class="4xx",code="401",method="GET",route="/api/v1/me"} 1`,
		`gahost_http_requests_total{class="4xx",code="404",method="GET",route="/api/v1/exchange-accounts/:id"} 1`,
		`gahost_http_request_duration_seconds_count{method="GET",route="/api/v1/me"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// With api.metrics_token, /metrics answers only to that bearer token; with
// api.metrics_listen, the API's router does not serve it at all.
func TestMetricsProtection(t *testing.T) {
	const token = "metrics-token-0123456789"
	e := newEnv(t)
	e.deps.Metrics = prometheus.NewRegistry()
	e.deps.MetricsToken = token
	e.h = e.checked(New(e.deps))
	for _, tok := range []string{"", "wrong-token-0123456789", e.adminToken} {
		if r := e.do("GET", "/metrics", tok, nil); r.Code != 401 || r.errorCode() != codeUnauthorized {
			t.Errorf("metrics with token %q: %d %s", tok[:min(len(tok), 5)], r.Code, r.Body)
		}
	}
	if r := e.do("GET", "/metrics", token, nil); r.Code != 200 || !strings.Contains(r.Body.String(), "gahost_http_requests_total") {
		t.Fatalf("metrics with the token: %d", r.Code)
	}

	e.deps.MetricsToken = ""
	e.deps.MetricsElsewhere = true
	e.deps.Metrics = prometheus.NewRegistry()
	e.h = e.checked(New(e.deps))
	if r := e.do("GET", "/metrics", "", nil); r.Code != 404 {
		t.Fatalf("metrics on the API with metrics_listen set: %d", r.Code)
	}
}
