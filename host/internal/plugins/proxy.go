package plugins

import (
	"context"
	"time"

	"github.com/globalautomation/gahost/sdk"
)

// proxy is the sdk.Exchange the catalog hands out for one exchange name. It
// routes each call to the current process, counts it in flight so a swap can
// drain, fills in the configured endpoint overrides, and times it.
type proxy struct {
	c         *Catalog
	name      string
	endpoints map[string]string
}

var (
	_ sdk.Exchange    = (*proxy)(nil)
	_ sdk.Snapshotter = (*proxy)(nil)
)

func (p *proxy) account(a sdk.Account) sdk.Account {
	if len(a.Endpoints) == 0 {
		a.Endpoints = p.endpoints
	}
	return a
}

// do runs fn against the serving process.
func do[T any](p *proxy, method string, fn func(sdk.Exchange) (T, error)) (T, error) {
	var zero T
	inst, err := p.c.acquire(p.name)
	if err != nil {
		p.c.metrics.observe(p.name, method, err, 0)
		return zero, err
	}
	defer inst.inflight.Done()
	start := time.Now()
	v, err := fn(inst.exch)
	p.c.metrics.observe(p.name, method, err, time.Since(start))
	return v, err
}

func (p *proxy) Info(ctx context.Context) (sdk.Info, error) {
	return do(p, "info", func(x sdk.Exchange) (sdk.Info, error) { return x.Info(ctx) })
}

func (p *proxy) ValidateCredentials(ctx context.Context, a sdk.Account) (sdk.Permissions, error) {
	return do(p, "validate_credentials", func(x sdk.Exchange) (sdk.Permissions, error) {
		return x.ValidateCredentials(ctx, p.account(a))
	})
}

func (p *proxy) SpotBalances(ctx context.Context, a sdk.Account) ([]sdk.Balance, error) {
	return do(p, "spot_balances", func(x sdk.Exchange) ([]sdk.Balance, error) { return x.SpotBalances(ctx, p.account(a)) })
}

func (p *proxy) FuturesAccount(ctx context.Context, a sdk.Account) (sdk.FuturesAccount, error) {
	return do(p, "futures_account", func(x sdk.Exchange) (sdk.FuturesAccount, error) {
		return x.FuturesAccount(ctx, p.account(a))
	})
}

func (p *proxy) Positions(ctx context.Context, a sdk.Account) ([]sdk.Position, error) {
	return do(p, "positions", func(x sdk.Exchange) ([]sdk.Position, error) { return x.Positions(ctx, p.account(a)) })
}

func (p *proxy) PlaceOrder(ctx context.Context, a sdk.Account, r sdk.OrderRequest) (sdk.Order, error) {
	return do(p, "place_order", func(x sdk.Exchange) (sdk.Order, error) { return x.PlaceOrder(ctx, p.account(a), r) })
}

func (p *proxy) CancelOrder(ctx context.Context, a sdk.Account, r sdk.CancelRequest) (sdk.Order, error) {
	return do(p, "cancel_order", func(x sdk.Exchange) (sdk.Order, error) { return x.CancelOrder(ctx, p.account(a), r) })
}

// Snapshot reads several parts of an account in one round trip to the
// plugin. It is the one place that decides how: one Snapshot call when the
// process's client offers it, else one call per part (an older plugin);
// the scheduler asks here and never decides it again.
func (p *proxy) Snapshot(ctx context.Context, a sdk.Account, parts []string) sdk.Snapshot {
	snap, err := do(p, "snapshot", func(x sdk.Exchange) (sdk.Snapshot, error) {
		s := sdk.FetchSnapshot(ctx, x, p.account(a), parts)
		for _, e := range s.Errs {
			return s, e // for the latency metric's outcome label
		}
		return s, nil
	})
	if snap.Errs == nil && err != nil {
		// The plugin was not reachable: every part failed the same way.
		snap.Errs = make(map[string]error, len(parts))
		for _, part := range parts {
			snap.Errs[part] = err
		}
	}
	return snap
}
