package plugins

import (
	"context"
	"time"

	"github.com/globalautomation/gahost/host/internal/budget"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
)

// proxy is the sdk.Exchange the catalog hands out for one exchange name. It
// routes each call to the current process, counts it in flight so a swap can
// drain, fills in the configured endpoint overrides, and times it. It is
// also where calls pay the exchange's rate budget: every call but Info
// (prices and instruments included) pays its declared cost before it
// leaves (unless the caller prepaid it), feeds the usage the exchange
// reports back to the budget, and a rate-limited answer holds the whole
// exchange.
type proxy struct {
	c         *Catalog
	name      string
	endpoints map[string]string
	// testnetEndpoints replace endpoints for testnet accounts; a key they
	// lack falls back to the plugin's own testnet address, never to a live
	// override.
	testnetEndpoints map[string]string
}

var (
	_ sdk.Exchange           = (*proxy)(nil)
	_ pluginhost.Snapshotter = (*proxy)(nil)
	_ sdk.PriceReader        = (*proxy)(nil)
	_ sdk.InstrumentLister   = (*proxy)(nil)
)

func (p *proxy) account(a sdk.Account) sdk.Account {
	if len(a.Endpoints) == 0 {
		a.Endpoints = p.endpoints
		if a.Testnet {
			a.Endpoints = p.testnetEndpoints
		}
	}
	return a
}

// do runs fn against the serving process, paying the exchange's budget
// for calls (the capability names whose cost the call spends) through
// budget.Call.
func do[T any](ctx context.Context, p *proxy, method string, calls []string,
	fn func(context.Context, sdk.Exchange) (T, error)) (T, error) {
	reached := false
	v, err := budget.Call(ctx, p.c.Budget(p.name), calls, func(ctx context.Context) (T, error) {
		inst, err := p.c.acquire(p.name)
		if err != nil {
			var zero T
			return zero, budget.NotSent(err)
		}
		defer inst.inflight.Done()
		reached = true
		start := time.Now()
		v, err := fn(ctx, inst.exch)
		p.c.metrics.observe(p.name, method, err, time.Since(start))
		return v, err
	})
	if !reached {
		// Refused by the budget, or no process to ask.
		p.c.metrics.observe(p.name, method, err, 0)
	}
	return v, err
}

func (p *proxy) Info(ctx context.Context) (sdk.Info, error) {
	// Info never reaches the exchange: it is free.
	return do(ctx, p, "info", nil, func(ctx context.Context, x sdk.Exchange) (sdk.Info, error) { return x.Info(ctx) })
}

func (p *proxy) ValidateCredentials(ctx context.Context, a sdk.Account) (sdk.Permissions, error) {
	return do(ctx, p, "validate_credentials", []string{sdk.CapValidate},
		func(ctx context.Context, x sdk.Exchange) (sdk.Permissions, error) {
			return x.ValidateCredentials(ctx, p.account(a))
		})
}

func (p *proxy) SpotBalances(ctx context.Context, a sdk.Account) ([]sdk.Balance, error) {
	return do(ctx, p, "spot_balances", []string{sdk.CapSpotBalances},
		func(ctx context.Context, x sdk.Exchange) ([]sdk.Balance, error) {
			return x.SpotBalances(ctx, p.account(a))
		})
}

func (p *proxy) FuturesAccount(ctx context.Context, a sdk.Account) (sdk.FuturesAccount, error) {
	return do(ctx, p, "futures_account", []string{sdk.CapFuturesAccount},
		func(ctx context.Context, x sdk.Exchange) (sdk.FuturesAccount, error) {
			return x.FuturesAccount(ctx, p.account(a))
		})
}

func (p *proxy) Positions(ctx context.Context, a sdk.Account) ([]sdk.Position, error) {
	return do(ctx, p, "positions", []string{sdk.CapPositions},
		func(ctx context.Context, x sdk.Exchange) ([]sdk.Position, error) {
			return x.Positions(ctx, p.account(a))
		})
}

func (p *proxy) PlaceOrder(ctx context.Context, a sdk.Account, r sdk.OrderRequest) (sdk.Order, error) {
	return do(ctx, p, "place_order", []string{sdk.CapOrders},
		func(ctx context.Context, x sdk.Exchange) (sdk.Order, error) {
			return x.PlaceOrder(ctx, p.account(a), r)
		})
}

func (p *proxy) CancelOrder(ctx context.Context, a sdk.Account, r sdk.CancelRequest) (sdk.Order, error) {
	return do(ctx, p, "cancel_order", []string{sdk.CapOrders},
		func(ctx context.Context, x sdk.Exchange) (sdk.Order, error) {
			return x.CancelOrder(ctx, p.account(a), r)
		})
}

// Snapshot reads several parts of an account in one round trip to the
// plugin, paying for every part at once. It is the one place that decides
// how: one Snapshot call when the process's client offers it, else one call
// per part (an older plugin); the scheduler never decides it again.
func (p *proxy) Snapshot(ctx context.Context, a sdk.Account, parts []string) pluginhost.Snapshot {
	snap, err := do(ctx, p, "snapshot", parts, func(ctx context.Context, x sdk.Exchange) (pluginhost.Snapshot, error) {
		s := pluginhost.FetchSnapshot(ctx, x, p.account(a), parts)
		// The error stands for the whole snapshot in the latency metric's
		// outcome label, and a rate-limited part holds every part.
		return s, budget.SnapshotErr(s, parts)
	})
	if snap.Errs == nil && err != nil {
		// The plugin was not reachable, or the budget refused: every part
		// failed the same way.
		snap.Errs = make(map[string]error, len(parts))
		for _, part := range parts {
			snap.Errs[part] = err
		}
	}
	return snap
}

// Prices reads public prices, paying the declared cost of "prices". A
// process whose client cannot serve them (a connector built without them
// answers the same through the client) is unsupported.
func (p *proxy) Prices(ctx context.Context, a sdk.Account, r sdk.PriceRequest) (sdk.Prices, error) {
	return do(ctx, p, "prices", []string{sdk.CapPrices},
		func(ctx context.Context, x sdk.Exchange) (sdk.Prices, error) {
			pr, ok := x.(sdk.PriceReader)
			if !ok {
				return sdk.Prices{}, sdk.Errorf(sdk.KindUnsupported, "%s: the plugin serves no prices", p.name)
			}
			return pr.Prices(ctx, p.account(a), r)
		})
}

// Instruments lists a market's instruments, paying the declared cost of
// "instruments".
func (p *proxy) Instruments(ctx context.Context, a sdk.Account, m sdk.Market) ([]sdk.Instrument, error) {
	return do(ctx, p, "instruments", []string{sdk.CapInstruments},
		func(ctx context.Context, x sdk.Exchange) ([]sdk.Instrument, error) {
			il, ok := x.(sdk.InstrumentLister)
			if !ok {
				return nil, sdk.Errorf(sdk.KindUnsupported, "%s: the plugin lists no instruments", p.name)
			}
			return il.Instruments(ctx, p.account(a), m)
		})
}
