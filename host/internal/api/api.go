// Package api is the REST API of gahost: the gin router, authentication and
// authorization, JSON decoding with strict limits, the error format, and the
// translation of each route to a call of the service that owns its rules
// (accounts, users, webhooks) and of that call's errors to answers. Each
// route area lives in its own file and registers through the areas list.
//
// Every route registers with its documentation, from which the OpenAPI 3.1
// document served at /api/v1/openapi.json is generated (openapi.go).
//
// Every error answer is {"error":{"code":"snake_case","message":"…"}} and is
// written by writeError. No answer, error message or log line carries an
// API key, secret, passphrase, token or password.
//
// This package holds no domain rule: validation, the main account, key
// checks, token and credential minting and webhook limits are the services'.
// It must not call an exchange to answer a read (dashboards come from stored
// snapshots), reads the database only through package store, and must not
// hold plaintext credentials beyond a request.
package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/accounts"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/users"
	"github.com/globalautomation/gahost/host/internal/webhooks"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// Syncer is what the API needs of the sync scheduler.
type Syncer interface {
	// AccountChanged says an account was created, changed or deleted, so
	// the scheduler can plan (or drop) it. It must not block.
	AccountChanged(accountID string)
	// SyncNow runs one sync of the account and returns when it finished
	// or failed (the outcome is in the account's sync state).
	SyncNow(ctx context.Context, accountID string) error
}

// Deps is what the API is built from. The services are built by the
// daemon's wiring and only called here.
type Deps struct {
	// Store serves the reads of dashboards, backups and readiness.
	Store    store.Backend
	Accounts *accounts.Service
	Users    *users.Service
	// Webhooks is optional; without it there are no webhook routes.
	Webhooks *webhooks.Service
	// Plugins serves GET /exchanges, plugin reloads and /readyz; optional.
	Plugins Plugins
	// Endpoints are the config's base URL overrides, by exchange name, as
	// GET /exchanges shows them; optional.
	Endpoints map[string]ExchangeEndpoints
	// Metrics is where HTTP metrics go and what /metrics serves; optional.
	Metrics *prometheus.Registry
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// MetricsElsewhere leaves /metrics out of this router: the daemon
	// serves MetricsHandler on its own address.
	MetricsElsewhere bool
	// Syncer is optional; without one, account changes are not announced.
	Syncer Syncer
	// Cluster shows the hosts sharing a PostgreSQL store; nil for a host
	// with its own bbolt store.
	Cluster Cluster
	// Valuer values balances in USDT at cached prices (*prices.Source);
	// optional: without it only USDT has a value.
	Valuer Valuer
	// Streams reports the private streams per exchange (*streams.Manager);
	// optional: without it GET /exchanges has no streams field.
	Streams Streams
	Logger  hclog.Logger

	CORSAllowedOrigins []string
	// TrustedProxies are the addresses whose X-Forwarded-For is believed
	// when telling clients apart (login backoff). None by default.
	TrustedProxies []string

	// PublicURL is the config's api.public_url ("https://hub.example.com",
	// no trailing slash): webhook URLs are given in full under it. Empty:
	// they are given as paths, and the answers say so.
	PublicURL string

	// MaxBodyBytes caps request bodies; default 64 KiB.
	MaxBodyBytes int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// handler carries the dependencies of every route; files of this package
// hang their handlers on it.
type handler struct {
	d   Deps
	log hclog.Logger
	now func() time.Time
}

// routes are the groups a route area registers into. Each registers a
// route together with its documentation (see openapi.go).
type routes struct {
	root   group // outside /api/v1: health, metrics, public hooks
	public group // /api/v1 without authentication
	authed group // /api/v1, bearer token required
	admin  group // /api/v1, admin role required
}

// areas register their routes, in this order; a new file adds its function
// here and nowhere else.
var areas = []func(h *handler, r routes){
	registerOps,
	registerExchanges,
	registerAuth,
	registerUsers,
	registerAccounts,
	registerBackup,
	registerCluster,
	registerWebhooks,
	registerDashboard, // with the manual sync route, which clears its cache
	registerSummary,
}

// New builds the router.
func New(d Deps) *gin.Engine {
	if d.Logger == nil {
		d.Logger = hclog.NewNullLogger()
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 64 << 10
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	h := &handler{d: d, log: d.Logger, now: d.Now}

	// Debug mode prints every route to stdout; the daemon logs through
	// hclog instead.
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	// With no trusted proxy, ClientIP is the peer address and a client
	// cannot pick its own identity with X-Forwarded-For.
	if err := e.SetTrustedProxies(d.TrustedProxies); err != nil {
		h.log.Error("ignoring invalid trusted proxies", "error", err)
		_ = e.SetTrustedProxies(nil)
	}
	// logRequests is outermost so that it also sees the 500 of a panic;
	// the metrics come next for the same reason.
	e.Use(h.logRequests)
	if m := h.httpMetrics(); m != nil {
		e.Use(m)
	}
	e.Use(h.recovery, cors(d.CORSAllowedOrigins), h.limitBody)
	e.NoRoute(func(c *gin.Context) { writeError(c, http.StatusNotFound, codeNotFound, "no such route") })
	e.NoMethod(func(c *gin.Context) {
		writeError(c, http.StatusMethodNotAllowed, codeMethodNotAllowed, "method not allowed on this route")
	})

	doc := newAPIDoc()
	root := group{rg: &e.RouterGroup, access: accessPublic, doc: doc}
	v1 := root.group("/api/v1")
	authed := v1.group("", h.requireAuth)
	authed.access = accessBearer
	admin := authed.group("", h.requireAdmin)
	admin.access = accessAdmin
	r := routes{root: root, public: v1, authed: authed, admin: admin}
	for _, register := range areas {
		register(h, r)
	}
	registerOpenAPI(r, doc)
	return e
}

// accountChanged tells the scheduler, if there is one.
func (h *handler) accountChanged(id string) {
	if h.d.Syncer != nil {
		h.d.Syncer.AccountChanged(id)
	}
}
