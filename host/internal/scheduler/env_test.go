package scheduler_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/globalautomation/gahost/host/internal/accounts"
	"github.com/globalautomation/gahost/host/internal/budget"
	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/scheduler/schedtest"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/host/internal/users"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"
	"go.uber.org/goleak"
)

// Every test runs in a synctest bubble: the scheduler, the store and the
// fake exchanges all see the bubble's clock, which moves only when every
// goroutine in it waits, so a test of minutes of schedule takes
// milliseconds and measures time exactly.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// limits are the per-IP limits the test plugins declare; the fakes enforce
// the same.
type limit struct {
	weight int64
	window time.Duration
}

var limits = map[string]limit{
	"alpha": {5000, time.Second},
	"beta":  {5000, time.Second},
	"gamma": {5000, time.Second},
	"delta": {5000, time.Second},
	"slow":  {400, time.Second},
	// A per-minute limit counted in fixed minutes, as Binance's weight is.
	"minute": {6000, time.Minute},
}

// env is a scheduler over a real store, with one in-process test plugin
// and fake exchange per exchange name.
type env struct {
	t       testing.TB
	ctx     context.Context
	st      *store.Store
	key     *secrets.Key
	cat     *schedtest.Catalog
	plugins map[string]*schedtest.Plugin
	fakes   map[string]*schedtest.Exchange
	user    store.User
	token   string
	users   *users.Service
	accts   *accounts.Service
	reg     *prometheus.Registry
	sched   *scheduler.Scheduler
	logs    *lockedBuffer
	cfg     scheduler.Config

	stopOnce sync.Once
	stop     func()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

// bubble runs a test in a synctest bubble.
func bubble(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, f)
}

// newEnv sets up the fakes and plugins of the named exchanges; the
// scheduler starts with start, after the accounts are in. Call it inside a
// bubble.
func newEnv(t testing.TB, latency time.Duration, exchanges ...string) *env {
	t.Helper()
	return newEnvStore(t, store.Options{NoSync: true}, latency, exchanges...)
}

// newEnvStore is newEnv with a store opened with opts.
func newEnvStore(t testing.TB, opts store.Options, latency time.Duration, exchanges ...string) *env {
	t.Helper()
	ctx := t.Context()
	e := &env{t: t, ctx: ctx, cat: schedtest.NewCatalog(budget.Options{}), plugins: map[string]*schedtest.Plugin{},
		fakes: map[string]*schedtest.Exchange{}, reg: prometheus.NewRegistry(), logs: &lockedBuffer{}}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "gahost.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	if e.key, err = secrets.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	if e.users, err = users.New(users.Config{Store: st}); err != nil {
		t.Fatal(err)
	}
	if e.user, e.token, err = e.users.Create(ctx, users.NewUser{Username: "trader"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range exchanges {
		l := limits[name]
		fx := schedtest.New(l.weight, l.window)
		fx.Latency = latency
		p := schedtest.NewPlugin(name, fx)
		t.Cleanup(p.Close)
		e.fakes[name], e.plugins[name] = fx, p
		e.cat.Add(p)
	}
	// Fleets here are larger than a user's default quota.
	if e.accts, err = accounts.New(accounts.Config{Store: st, Keys: e.key, Exchanges: e.cat, MaxAccounts: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	return e
}

// putAccount stores an account of userID with c sealed under key, as the
// accounts service hands one over, without asking a plugin about it.
func putAccount(ctx context.Context, st *store.Store, key *secrets.Key, userID, name, exchange string, c secrets.Credentials) (store.Account, error) {
	id := store.NewID()
	sealed, err := key.SealCredentials(id, c)
	if err != nil {
		return store.Account{}, err
	}
	now := time.Now().UTC()
	a := store.Account{ID: id, UserID: userID, Name: name, Exchange: exchange, IsActive: true, Secrets: sealed,
		KeysRev: 1, CreatedAt: now, UpdatedAt: now, Sync: store.SyncState{Status: store.SyncPending}}
	err = st.EditAccounts(ctx, userID, func(mine []store.Account) (store.AccountChange, error) {
		a.IsMain = len(mine) == 0
		return store.AccountChange{Put: []store.Account{a}}, nil
	})
	return a, err
}

// addAccounts creates n accounts of the env's user on exchange with keys
// prefix-0, prefix-1…
func (e *env) addAccounts(exchange, prefix string, n int) []store.Account {
	e.t.Helper()
	return e.addAccountsOf(e.user.ID, exchange, prefix, n)
}

// addAccountsOf creates n accounts of userID in one write, as the
// accounts service stores them (the first of a user's is its main): one
// by one, each write would read all the user's accounts again.
func (e *env) addAccountsOf(userID, exchange, prefix string, n int) []store.Account {
	e.t.Helper()
	out := make([]store.Account, 0, n)
	now := time.Now().UTC()
	for i := range n {
		id := store.NewID()
		sealed, err := e.key.SealCredentials(id, credentials(keyOf(prefix, i), "s3cr3t-"+prefix))
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, store.Account{ID: id, UserID: userID, Name: fmt.Sprintf("%s %d", exchange, i),
			Exchange: exchange, IsActive: true, Secrets: sealed, KeysRev: 1, CreatedAt: now, UpdatedAt: now,
			Sync: store.SyncState{Status: store.SyncPending}})
	}
	err := e.st.EditAccounts(e.ctx, userID, func(mine []store.Account) (store.AccountChange, error) {
		out[0].IsMain = !slices.ContainsFunc(mine, func(a store.Account) bool { return a.IsMain })
		return store.AccountChange{Put: out}, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// start runs the scheduler until the test ends (or e.stop).
func (e *env) start(cfg scheduler.Config) {
	e.t.Helper()
	cfg.Registerer = e.reg
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: e.logs})
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 5 * time.Second
	}
	e.cfg = cfg
	cfg.Pacers = func(exchange string) scheduler.Pacer {
		if b := e.cat.Budget(exchange); b != nil {
			return b
		}
		return nil // an untyped nil: no budget
	}
	s, err := scheduler.New(cfg, e.st, e.cat, e.key)
	if err != nil {
		e.t.Fatal(err)
	}
	e.sched = s
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	e.stop = func() {
		e.stopOnce.Do(func() {
			cancel()
			timeout := time.NewTimer(30 * time.Second)
			defer timeout.Stop()
			select {
			case err := <-done:
				if err != nil {
					e.t.Errorf("Run: %v", err)
				}
			case <-timeout.C:
				e.t.Error("Run did not return after its context ended")
			}
		})
	}
	e.t.Cleanup(e.stop)
}

func (e *env) account(id string) store.Account {
	e.t.Helper()
	a, err := e.st.Account(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// waitFor polls cond on the bubble's clock.
func waitFor(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func keyOf(prefix string, i int) string { return fmt.Sprintf("%s-%d", prefix, i) }

func credentials(key, secret string) secrets.Credentials {
	return secrets.Credentials{APIKey: key, SecretKey: secret}
}

func mustDec(s string) decimal.Decimal { return decimal.RequireFromString(s) }
