package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/accounts"
	"github.com/globalautomation/gahost/host/internal/api/apitest"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/users"
	"github.com/globalautomation/gahost/host/internal/webhooks"
	"github.com/globalautomation/gahost/sdk"
	"github.com/hashicorp/go-hclog"
)

// fakeExchange is a plugin whose credential check is scripted by the key:
// the prefix of the API key says how it fails. Its messages quote the keys
// on purpose, to prove the API never passes them on.
type fakeExchange struct {
	info sdk.Info
	// authOnly limits the script to "bad" keys, for fuzzing: every other
	// key passes, so no answer depends on a simulated outage.
	authOnly  bool
	validated atomic.Int32
	mu        sync.Mutex
	lastAcct  sdk.Account
}

func (f *fakeExchange) Info(context.Context) (sdk.Info, error) { return f.info, nil }

func (f *fakeExchange) ValidateCredentials(ctx context.Context, acct sdk.Account) (sdk.Permissions, error) {
	f.validated.Add(1)
	f.mu.Lock()
	f.lastAcct = acct
	f.mu.Unlock()
	switch k := acct.APIKey; {
	case f.authOnly && !strings.HasPrefix(k, "bad"):
		return sdk.Permissions{CanRead: true}, nil
	case strings.HasPrefix(k, "bad"):
		return sdk.Permissions{}, &sdk.Error{Kind: sdk.KindAuthentication, ExchangeCode: "-2015",
			Message: "Invalid API-key " + acct.APIKey + " (secret " + acct.SecretKey + ", passphrase " + acct.Passphrase + ")"}
	case strings.HasPrefix(k, "noperm"):
		return sdk.Permissions{}, sdk.Errorf(sdk.KindPermission, "key lacks read permission; prefix %s", acct.APIKey[:12])
	case strings.HasPrefix(k, "slow"):
		<-ctx.Done()
		return sdk.Permissions{}, ctx.Err()
	case strings.HasPrefix(k, "limited"):
		return sdk.Permissions{}, sdk.RateLimited(30*time.Second, "too many requests")
	case strings.HasPrefix(k, "down"):
		return sdk.Permissions{}, sdk.Errorf(sdk.KindUnavailable, "maintenance")
	case strings.HasPrefix(k, "skew"):
		return sdk.Permissions{}, sdk.Errorf(sdk.KindClockSkew, "timestamp outside recvWindow")
	case strings.HasPrefix(k, "crash"):
		return sdk.Permissions{}, &rpcError{"rpc error: plugin exited while handling key " + acct.APIKey}
	case strings.HasPrefix(k, "withdraw"):
		return sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true, CanWithdraw: true}, nil
	}
	return sdk.Permissions{CanRead: true}, nil
}

type rpcError struct{ s string }

func (e *rpcError) Error() string { return e.s }

var errUnsupported = sdk.Errorf(sdk.KindUnsupported, "not in this fake")

func (f *fakeExchange) SpotBalances(context.Context, sdk.Account) ([]sdk.Balance, error) {
	return nil, errUnsupported
}
func (f *fakeExchange) FuturesAccount(context.Context, sdk.Account) (sdk.FuturesAccount, error) {
	return sdk.FuturesAccount{}, errUnsupported
}
func (f *fakeExchange) Positions(context.Context, sdk.Account) ([]sdk.Position, error) {
	return nil, errUnsupported
}
func (f *fakeExchange) PlaceOrder(context.Context, sdk.Account, sdk.OrderRequest) (sdk.Order, error) {
	return sdk.Order{}, errUnsupported
}
func (f *fakeExchange) CancelOrder(context.Context, sdk.Account, sdk.CancelRequest) (sdk.Order, error) {
	return sdk.Order{}, errUnsupported
}

type fakeCatalog map[string]*fakeExchange

func (c fakeCatalog) Exchange(name string) (sdk.Exchange, sdk.Info, bool) {
	f, ok := c[name]
	if !ok {
		return nil, sdk.Info{}, false
	}
	return f, f.info, true
}

type fakeSyncer struct {
	mu      sync.Mutex
	changed []string
}

func (s *fakeSyncer) AccountChanged(id string) {
	s.mu.Lock()
	s.changed = append(s.changed, id)
	s.mu.Unlock()
}

func (s *fakeSyncer) SyncNow(context.Context, string) error { return nil }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// lockedBuffer is a log sink safe for concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is a router over a real store in a temp dir. Every secret a test
// sends is noted, and at the end the log must contain none of them.
type env struct {
	t    testing.TB
	dir  string
	st   *store.Store
	key  *secrets.Key
	h    http.Handler
	deps Deps
	logs *lockedBuffer
	cat  fakeCatalog
	// exchanges is what the services see; cat unless a test swaps it.
	exchanges  accounts.Exchanges
	syncer     *fakeSyncer
	clock      *clock
	adminToken string
	mu         sync.Mutex
	secrets    []string
	violations []error
	fuzzReport bool
	// maxAccounts and maxWebhooks are the quotas; 0 for the defaults.
	maxAccounts, maxWebhooks int
}

func newEnv(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, logs: &lockedBuffer{}, syncer: &fakeSyncer{},
		clock: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	e.cat = fakeCatalog{
		"fakex":  {info: sdk.Info{Name: "fakex", SupportsTestnet: true, Capabilities: fakeCaps}},
		"fakepp": {info: sdk.Info{Name: "fakepp", RequiresPassphrase: true, Capabilities: fakeCaps}},
	}
	var err error
	if e.key, err = secrets.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	e.exchanges = e.cat
	e.open()
	if _, err := e.deps.Users.Bootstrap(context.Background(), filepath.Join(dir, "admin.token")); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	e.adminToken = strings.TrimSpace(string(raw))
	e.note(e.adminToken)
	t.Cleanup(func() {
		e.st.Close()
		logs := e.logs.String()
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, s := range e.secrets {
			if strings.Contains(logs, s) {
				t.Errorf("the log contains a secret (%d chars)", len(s))
			}
		}
	})
	return e
}

// open (re)opens the store and builds the router over it.
func (e *env) open() {
	st, err := store.Open(context.Background(), store.Path(e.dir), store.Options{Now: e.clock.now})
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = st
	if err := st.InitKey(context.Background(), e.key); err != nil && st.CheckKey(context.Background(), e.key) != nil {
		e.t.Fatal(err)
	}
	e.deps = Deps{
		Store: st, Syncer: e.syncer,
		Logger:             hclog.New(&hclog.LoggerOptions{Output: e.logs, Level: hclog.Trace}),
		CORSAllowedOrigins: []string{"https://app.example"},
		Now:                e.clock.now,
	}
	e.build()
}

// build makes the services over the store and e.exchanges, as the daemon's
// wiring does, and the router over them.
func (e *env) build() {
	e.t.Helper()
	log := e.deps.Logger
	var err error
	if e.deps.Accounts, err = accounts.New(accounts.Config{Store: e.st, Keys: e.key, Exchanges: e.exchanges,
		Logger: log.Named("accounts"), ValidateTimeout: 200 * time.Millisecond, Now: e.clock.now,
		MaxAccounts: e.maxAccounts}); err != nil {
		e.t.Fatal(err)
	}
	if e.deps.Users, err = users.New(users.Config{Store: e.st, Logger: log.Named("users"), Now: e.clock.now}); err != nil {
		e.t.Fatal(err)
	}
	if e.deps.Webhooks, err = webhooks.New(webhooks.Config{Store: e.st, Keys: e.key, Exchanges: e.exchanges,
		Logger: log.Named("webhooks"), Now: e.clock.now, CallTimeout: 200 * time.Millisecond,
		MaxWebhooks: e.maxWebhooks}); err != nil {
		e.t.Fatal(err)
	}
	e.h = e.checked(New(e.deps))
}

// checked wraps h so that every answer is checked against the OpenAPI
// document h serves; a violation fails the test. Benchmarks are not
// checked, so that they time the API alone.
func (e *env) checked(h http.Handler) http.Handler {
	if _, bench := e.t.(*testing.B); bench {
		return h
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", apitest.DocPath, nil))
	if rec.Code != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", apitest.DocPath, rec.Code, rec.Body)
	}
	checker, err := apitest.Cached(rec.Body.Bytes())
	if err != nil {
		e.t.Fatal(err)
	}
	if _, fuzz := e.t.(*testing.F); fuzz && !e.fuzzReport {
		e.fuzzReport = true
		e.t.Cleanup(func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			for _, v := range e.violations {
				e.t.Errorf("contract: %v", v)
			}
		})
	}
	return &checkedHandler{h: h, checker: checker, fail: e.contractViolation}
}

// contractViolation reports an answer the document does not allow. Inside
// a fuzz target the F cannot fail, so those are reported when it ends.
func (e *env) contractViolation(err error) {
	if _, fuzz := e.t.(*testing.F); !fuzz {
		e.t.Errorf("contract: %v", err)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.violations = append(e.violations, err)
}

// checkedHandler serves a request into a recorder, checks the answer, and
// passes it on unchanged.
type checkedHandler struct {
	h       http.Handler
	checker *apitest.Checker
	fail    func(error)
}

func (ch *checkedHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			ch.fail(fmt.Errorf("read the request body: %w", err))
		}
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	rec := httptest.NewRecorder()
	ch.h.ServeHTTP(rec, req)
	if err := ch.checker.Check(req, reqBody, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		ch.fail(err)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (e *env) note(s ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, x := range s {
		if len(x) >= 4 {
			e.secrets = append(e.secrets, x)
		}
	}
}

type response struct {
	*httptest.ResponseRecorder
}

func (r response) errorCode() string {
	var b errorBody
	_ = json.Unmarshal(r.Body.Bytes(), &b)
	return b.Error.Code
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %s: %v", r.Body.String(), err)
	}
}

// do sends a request; body is sent as is when a string, else as JSON.
func (e *env) do(method, path, token string, body any) response {
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = "127.0.0.1:50000"
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return response{w}
}

// user creates a user through the API and returns its token.
func (e *env) user(name, role string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/users", e.adminToken, map[string]any{"username": name, "role": role})
	if r.Code != http.StatusCreated {
		e.t.Fatalf("create user: %d %s", r.Code, r.Body)
	}
	var out struct{ Token string }
	r.decode(e.t, &out)
	e.note(out.Token)
	return out.Token
}

// account creates an account for token and returns its JSON.
func (e *env) account(token string, body map[string]any) accountView {
	e.t.Helper()
	for _, f := range []string{"api_key", "secret_key", "passphrase"} {
		if s, ok := body[f].(string); ok {
			e.note(s)
		}
	}
	r := e.do("POST", "/api/v1/exchange-accounts", token, body)
	if r.Code != http.StatusCreated {
		e.t.Fatalf("create account: %d %s", r.Code, r.Body)
	}
	var a accountView
	r.decode(e.t, &a)
	return a
}

func accountBody(name string) map[string]any {
	return map[string]any{"name": name, "exchange": "fakex",
		"api_key": "AK" + name + "-live-0123456789abcdef", "secret_key": "SK" + name + "-secret-fedcba9876543210"}
}

// fakeCaps is what the fake exchanges declare: a plugin with none refuses
// new accounts.
var fakeCaps = []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders}
