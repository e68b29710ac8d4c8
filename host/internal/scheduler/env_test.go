package scheduler_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/host/internal/scheduler"
	"github.com/globalautomation/gahost/host/internal/scheduler/schedtest"
	"github.com/globalautomation/gahost/host/internal/secrets"
	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"
)

// limits are the per-IP limits the test plugins are built with; the fakes
// enforce the same.
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
}

// builds maps an exchange name to its test plugin binary.
var builds = map[string]string{}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gahost-sync-test")
	if err != nil {
		panic(err)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if err := buildPlugins(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// buildPlugins builds the test plugin once per exchange name, the name and
// limit baked in, side by side.
func buildPlugins(dir string) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(limits))
	for name, l := range limits {
		out := filepath.Join(dir, name)
		builds[name] = out
		wg.Go(func() {
			flags := fmt.Sprintf("-X main.name=%s -X main.limit=%d -X main.window=%s", name, l.weight, l.window)
			cmd := exec.Command("go", "build", "-ldflags", flags, "-o", out, "../../testdata/testplugin")
			if b, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("building test plugin %s: %v\n%s", name, err, b)
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// env is a scheduler over a real store, a real plugin catalog running the
// test plugin, and one fake exchange per plugin.
type env struct {
	t     testing.TB
	ctx   context.Context
	st    *store.Store
	key   *secrets.Key
	cat   *plugins.Catalog
	fakes map[string]*schedtest.Exchange
	user  store.User
	token string
	reg   *prometheus.Registry
	sched *scheduler.Scheduler
	logs  *lockedBuffer
	cfg   scheduler.Config

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

// newEnv starts the fakes and plugins of the named exchanges; the
// scheduler starts with start, after the accounts are in.
func newEnv(t testing.TB, latency time.Duration, exchanges ...string) *env {
	t.Helper()
	ctx := t.Context()
	e := &env{t: t, ctx: ctx, fakes: map[string]*schedtest.Exchange{}, reg: prometheus.NewRegistry(),
		logs: &lockedBuffer{}}
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "gahost.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	if e.key, err = secrets.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	if e.user, e.token, err = st.CreateUser(ctx, store.NewUser{Username: "trader", Role: store.RoleUser}); err != nil {
		t.Fatal(err)
	}

	pdir := filepath.Join(dir, "plugins")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		t.Fatal(err)
	}
	pcfg := plugins.Config{Dir: pdir, Exchanges: map[string]plugins.ExchangeConfig{},
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: io.Discard}), RestartBackoff: 50 * time.Millisecond}
	for _, name := range exchanges {
		l := limits[name]
		fx := schedtest.New(l.weight, l.window)
		fx.Latency = latency
		srv := httptest.NewServer(fx)
		t.Cleanup(srv.Close)
		e.fakes[name] = fx
		pcfg.Exchanges[name] = plugins.ExchangeConfig{Endpoints: map[string]string{"rest": srv.URL}}
		copyFile(t, builds[name], filepath.Join(pdir, "gahost-plugin-"+name))
	}
	cat, err := plugins.New(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cat.Close)
	if err := cat.Start(ctx); err != nil {
		t.Fatal(err)
	}
	e.cat = cat
	return e
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// addAccounts creates n accounts on exchange with keys prefix-0, prefix-1…
func (e *env) addAccounts(exchange, prefix string, n int) []store.Account {
	e.t.Helper()
	out := make([]store.Account, 0, n)
	for i := range n {
		a, err := e.st.CreateAccount(e.ctx, e.key, store.NewAccount{
			UserID: e.user.ID, Name: fmt.Sprintf("%s %d", exchange, i), Exchange: exchange,
			Credentials: secrets.Credentials{APIKey: fmt.Sprintf("%s-%d", prefix, i), SecretKey: "s3cr3t-" + prefix},
		})
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// start runs the scheduler until the test ends (or stopScheduler).
func (e *env) start(cfg scheduler.Config) {
	e.t.Helper()
	cfg.Registerer = e.reg
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: e.logs})
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 5 * time.Second
	}
	e.cfg = cfg
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
			select {
			case err := <-done:
				if err != nil {
					e.t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
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
