// Package api is the REST API of gahost: the gin router, authentication and
// authorization, JSON decoding with strict limits, the error format, and the
// handlers of users and exchange accounts. Other route areas live in their own
// files of this package and register through the areas list.
//
// Every error answer is {"error":{"code":"snake_case","message":"…"}} and is
// written by writeError. No answer, error message or log line carries an
// API key, secret, passphrase, token or password.
//
// This package must not call an exchange to answer a read (dashboards come
// from stored snapshots), must not touch the database except through
// package store, and must not hold plaintext credentials beyond a request.
package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// Exchanges is what the API needs of the plugin catalog.
type Exchanges interface {
	// Exchange returns the client and info of the plugin that serves name;
	// ok is false if no plugin serves it.
	Exchange(name string) (client sdk.Exchange, info sdk.Info, ok bool)
}

// Syncer is what the API needs of the sync scheduler.
type Syncer interface {
	// AccountChanged says an account was created, changed or deleted, so
	// the scheduler can plan (or drop) it. It must not block.
	AccountChanged(accountID string)
	// SyncNow runs one sync of the account and returns when it finished
	// or failed (the outcome is in the account's sync state).
	SyncNow(ctx context.Context, accountID string) error
}

// Deps is what the API is built from.
type Deps struct {
	Store     *store.Store
	Keys      *secrets.Key
	Exchanges Exchanges
	// Plugins serves GET /exchanges, plugin reloads and /readyz; optional.
	Plugins Plugins
	// Metrics is where HTTP metrics go and what /metrics serves; optional.
	Metrics *prometheus.Registry
	// Syncer is optional; without one, account changes are not announced.
	Syncer Syncer
	Logger hclog.Logger

	CORSAllowedOrigins []string
	// TrustedProxies are the addresses whose X-Forwarded-For is believed
	// when telling clients apart (login backoff). None by default.
	TrustedProxies []string

	// ValidateTimeout bounds a credentials check; default 10s.
	ValidateTimeout time.Duration
	// LoginTTL is how long a login token lives; default 24h.
	LoginTTL time.Duration
	// MaxBodyBytes caps request bodies; default 64 KiB.
	MaxBodyBytes int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// handler carries the dependencies of every route; files of this package
// hang their handlers on it.
type handler struct {
	d     Deps
	log   hclog.Logger
	now   func() time.Time
	login *loginLimiter
	// hashing bounds concurrent argon2id work (19 MiB each).
	hashing chan struct{}
}

// routes are the groups a route area registers into.
type routes struct {
	root   *gin.Engine      // outside /api/v1: health, metrics, public hooks
	public *gin.RouterGroup // /api/v1 without authentication
	authed *gin.RouterGroup // /api/v1, bearer token required
	admin  *gin.RouterGroup // /api/v1, admin role required
}

// areas register their routes; a new file adds its function here.
var areas = []func(h *handler, r routes){
	registerOps, // first: its metrics middleware must see every later route
	registerExchanges,
	registerAuth,
	registerAccounts,
	registerBackup,
	registerWebhooks,
}

// New builds the router.
func New(d Deps) *gin.Engine {
	if d.Logger == nil {
		d.Logger = hclog.NewNullLogger()
	}
	if d.ValidateTimeout <= 0 {
		d.ValidateTimeout = 10 * time.Second
	}
	if d.LoginTTL <= 0 {
		d.LoginTTL = 24 * time.Hour
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 64 << 10
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	h := &handler{
		d:       d,
		log:     d.Logger,
		now:     d.Now,
		login:   newLoginLimiter(d.Now),
		hashing: make(chan struct{}, 4),
	}

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
	// logRequests is outermost so that it also sees the 500 of a panic.
	e.Use(h.logRequests, h.recovery, cors(d.CORSAllowedOrigins), h.limitBody)
	e.NoRoute(func(c *gin.Context) { writeError(c, http.StatusNotFound, codeNotFound, "no such route") })
	e.NoMethod(func(c *gin.Context) {
		writeError(c, http.StatusMethodNotAllowed, codeMethodNotAllowed, "method not allowed on this route")
	})

	v1 := e.Group("/api/v1")
	authed := v1.Group("", h.requireAuth)
	r := routes{root: e, public: v1, authed: authed, admin: authed.Group("", h.requireAdmin)}
	for _, register := range areas {
		register(h, r)
	}
	return e
}

// accountChanged tells the scheduler, if there is one.
func (h *handler) accountChanged(id string) {
	if h.d.Syncer != nil {
		h.d.Syncer.AccountChanged(id)
	}
}
