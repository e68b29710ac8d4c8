package schedtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/globalautomation/gahost/host/internal/budget"
	"github.com/globalautomation/gahost/host/internal/plugins"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
)

// Plugin stands in, in process, for the host's test plugin talking to a
// fake: it declares what the test plugin declares (the fake's limit per IP,
// the same call costs), maps the fake's answers with the same code, and
// serves the fake's handler without a network, so a test of the scheduler
// can run on a fake clock (testing/synctest). It can also act out a crash
// of its process.
//
// The key "hang" blocks every call until its deadline, as the test
// plugin's does.
type Plugin struct {
	name   string
	fake   *Exchange
	limit  int64
	window time.Duration

	mu      sync.Mutex
	proc    context.Context // ends when the process "crashes"
	kill    context.CancelFunc
	downTil time.Time
	pid     int
}

var (
	_ sdk.Exchange           = (*Plugin)(nil)
	_ pluginhost.Snapshotter = (*Plugin)(nil)
)

// NewPlugin returns the plugin of exchange name, in front of fake, which
// allows limit weight per window.
func NewPlugin(name string, fake *Exchange) *Plugin {
	p := &Plugin{name: name, fake: fake, limit: fake.limit, window: fake.window.Size, pid: 1}
	p.proc, p.kill = context.WithCancel(context.Background())
	return p
}

// Crash ends the "process": calls in flight and calls for the next down
// fail with plugins.ErrCrashed, as the catalog's do while it restarts one.
func (p *Plugin) Crash(down time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.kill()
	p.proc, p.kill = context.WithCancel(context.Background())
	p.downTil = time.Now().Add(down)
	p.pid++
}

// PID counts the "processes": it changes with every crash.
func (p *Plugin) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pid
}

// Close releases the plugin's process context.
func (p *Plugin) Close() { p.kill() }

func (p *Plugin) Info(context.Context) (sdk.Info, error) { return p.info(), nil }

func (p *Plugin) info() sdk.Info {
	return sdk.Info{
		Name:         p.name,
		DisplayName:  strings.ToUpper(p.name[:1]) + p.name[1:] + " (test)",
		Version:      "1.0.0",
		EndpointKeys: []string{"rest"},
		Capabilities: []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions, sdk.CapOrders},
		RateLimits:   []sdk.RateLimit{{Name: WeightName, Limit: p.limit, Interval: p.window, Scope: sdk.ScopeIP}},
		CallCosts: map[string]int64{
			sdk.CapSpotBalances: 10, sdk.CapFuturesAccount: 5, sdk.CapPositions: 5, sdk.CapOrders: 1, sdk.CapValidate: 10,
		},
	}
}

// call runs fn as the plugin process would: failing with ErrCrashed while
// the process is down or if it goes down during the call.
func (p *Plugin) call(ctx context.Context, a sdk.Account, fn func(context.Context, Doer, string) error) error {
	p.mu.Lock()
	proc, down := p.proc, time.Now().Before(p.downTil)
	p.mu.Unlock()
	if down {
		return fmt.Errorf("%s: %w", p.name, plugins.ErrCrashed)
	}
	if a.APIKey == "hang" {
		<-ctx.Done()
		return ctx.Err()
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(proc, cancel)
	defer stop()
	err := fn(cctx, p.serve, a.APIKey)
	if proc.Err() != nil && ctx.Err() == nil {
		return fmt.Errorf("%s: %w", p.name, plugins.ErrCrashed)
	}
	return err
}

// serve answers a request with the fake's handler, in process.
func (p *Plugin) serve(req *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	p.fake.ServeHTTP(w, req)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	return w.Result(), nil
}

func (p *Plugin) ValidateCredentials(ctx context.Context, a sdk.Account) (sdk.Permissions, error) {
	err := p.call(ctx, a, func(ctx context.Context, do Doer, key string) error {
		return Get(ctx, do, "http://fake", key, PathValidate, nil)
	})
	if err != nil {
		return sdk.Permissions{}, err
	}
	return sdk.Permissions{CanRead: true, CanTradeSpot: true, CanTradeFutures: true}, nil
}

func (p *Plugin) SpotBalances(ctx context.Context, a sdk.Account) (bs []sdk.Balance, err error) {
	err = p.call(ctx, a, func(ctx context.Context, do Doer, key string) (err error) {
		bs, err = SpotBalances(ctx, do, "http://fake", key)
		return err
	})
	return bs, err
}

func (p *Plugin) FuturesAccount(ctx context.Context, a sdk.Account) (f sdk.FuturesAccount, err error) {
	err = p.call(ctx, a, func(ctx context.Context, do Doer, key string) (err error) {
		f, err = FuturesAccount(ctx, do, "http://fake", key)
		return err
	})
	return f, err
}

func (p *Plugin) Positions(ctx context.Context, a sdk.Account) (ps []sdk.Position, err error) {
	err = p.call(ctx, a, func(ctx context.Context, do Doer, key string) (err error) {
		ps, err = Positions(ctx, do, "http://fake", key)
		return err
	})
	return ps, err
}

func (p *Plugin) PlaceOrder(context.Context, sdk.Account, sdk.OrderRequest) (sdk.Order, error) {
	return sdk.Order{}, sdk.Errorf(sdk.KindUnsupported, "the scheduler's test plugin places no orders")
}

func (p *Plugin) CancelOrder(context.Context, sdk.Account, sdk.CancelRequest) (sdk.Order, error) {
	return sdk.Order{}, sdk.Errorf(sdk.KindUnsupported, "the scheduler's test plugin cancels no orders")
}

// Snapshot fetches the parts side by side, as the catalog's proxy does for
// a plugin without a Snapshot call.
func (p *Plugin) Snapshot(ctx context.Context, a sdk.Account, parts []string) pluginhost.Snapshot {
	return pluginhost.FetchSnapshot(ctx, plainExchange{p}, a, parts)
}

// plainExchange hides Snapshot, so FetchSnapshot calls part by part.
type plainExchange struct{ sdk.Exchange }

// Catalog hands out Plugins by exchange name the way the plugin catalog
// does, rate budget included: it keeps one budget.Set per exchange whose
// plugin declares a per-IP limit, and the exchange it hands out pays that
// budget at the boundary (budget.Wrap, the code the catalog's proxy runs
// its calls through): every call pays its declared cost unless its
// context is budget.Prepaid, the usage the fake reports feeds the budget,
// and a rate-limited answer holds the whole exchange.
type Catalog struct {
	opts budget.Options

	mu      sync.Mutex
	plugins map[string]*Plugin
	sets    map[string]*budget.Set
}

// NewCatalog returns an empty catalog whose budgets take opts.
func NewCatalog(opts budget.Options) *Catalog {
	return &Catalog{opts: opts, plugins: map[string]*Plugin{}, sets: map[string]*budget.Set{}}
}

// Add serves p under its exchange name, with a budget sized from what it
// declares.
func (c *Catalog) Add(p *Plugin) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.plugins[p.name] = p
	if info := p.info(); budget.Limited(info) {
		c.sets[p.name] = budget.NewSet(info, c.opts)
	}
}

// Exchange hands out the plugin of an exchange behind its budget.
func (c *Catalog) Exchange(name string) (sdk.Exchange, sdk.Info, bool) {
	c.mu.Lock()
	p, ok := c.plugins[name]
	set := c.sets[name]
	c.mu.Unlock()
	if !ok {
		return nil, sdk.Info{}, false
	}
	return budget.Wrap(p, set), p.info(), true
}

// Budget is the rate budget of an exchange, nil when it has none.
func (c *Catalog) Budget(name string) *budget.Set {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sets[name]
}
