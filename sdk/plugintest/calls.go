package plugintest

// The calls of every declared capability, checked against the fixtures.

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
)

func checkCalls(t *testing.T, ex sdk.Exchange, info sdk.Info, fx Fixtures) {
	var (
		usage []sdk.RateUsage
		rec   *sdk.UsageRecorder
	)
	// Across the boundary usage arrives at the observer; in process a
	// recorder stands in for the one Serve installs.
	call := func(t *testing.T) context.Context {
		usage, rec = nil, &sdk.UsageRecorder{}
		c := pluginhost.WithUsageObserver(ctx(t), func(us []sdk.RateUsage) { usage = us })
		return sdk.WithUsageRecorder(c, rec)
	}
	checkUsage := func(t *testing.T, _ context.Context) {
		t.Helper()
		if !fx.ReportsUsage {
			return
		}
		us := usage
		if len(us) == 0 {
			us = rec.Usage()
		}
		if len(us) == 0 {
			t.Errorf("no rate-limit usage reported")
		}
		for _, u := range us {
			if !slices.ContainsFunc(info.RateLimits, func(l sdk.RateLimit) bool { return l.Name == u.Name }) || u.Used < 0 {
				t.Errorf("usage %+v names no declared limit", u)
			}
		}
	}
	t.Run("validate credentials", func(t *testing.T) {
		needCapability(t, info, "")
		needAccount(t, fx)
		c := call(t)
		p, err := ex.ValidateCredentials(c, fx.Account)
		if err != nil {
			t.Fatal(err)
		}
		if !p.CanRead {
			t.Errorf("fixture account cannot read: %+v", p)
		}
		checkUsage(t, c)
	})
	t.Run("spot balances", func(t *testing.T) {
		needCapability(t, info, sdk.CapSpotBalances)
		needAccount(t, fx)
		c := call(t)
		got, err := ex.SpotBalances(c, fx.Account)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range got {
			if b.Total().IsZero() || slices.Contains(fx.ZeroAssets, b.Asset) {
				t.Errorf("zero balance %s not left out", b.Asset)
			}
		}
		if fx.SpotBalances != nil {
			sameBalances(t, got, fx.SpotBalances)
		}
		checkUsage(t, c)
	})
	t.Run("futures account", func(t *testing.T) {
		needCapability(t, info, sdk.CapFuturesAccount)
		needAccount(t, fx)
		c := call(t)
		got, err := ex.FuturesAccount(c, fx.Account)
		if err != nil {
			t.Fatal(err)
		}
		if w := fx.FuturesAccount; w != nil {
			if got.Asset != w.Asset || !got.WalletBalance.Equal(w.WalletBalance) || !got.UnrealizedPnL.Equal(w.UnrealizedPnL) ||
				!got.MarginBalance.Equal(w.MarginBalance) || !got.AvailableBalance.Equal(w.AvailableBalance) {
				t.Errorf("futures account %+v, want %+v", got, *w)
			}
		}
		checkUsage(t, c)
	})
	t.Run("positions", func(t *testing.T) {
		needCapability(t, info, sdk.CapPositions)
		needAccount(t, fx)
		c := call(t)
		got, err := ex.Positions(c, fx.Account)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range got {
			if !p.Size.IsPositive() || (p.Side != sdk.SideLong && p.Side != sdk.SideShort) ||
				(p.MarginMode != sdk.MarginCross && p.MarginMode != sdk.MarginIsolate) || !strings.Contains(p.Symbol, "/") {
				t.Errorf("position %+v: size must be positive, side long/short, margin cross/isolated, symbol unified", p)
			}
		}
		if fx.Positions != nil {
			samePositions(t, got, fx.Positions)
		}
		checkUsage(t, c)
	})
	var parts []string
	for _, c := range []string{sdk.CapSpotBalances, sdk.CapFuturesAccount, sdk.CapPositions} {
		if info.Has(c) {
			parts = append(parts, c)
		}
	}
	// What a sync reads: every declared part in one snapshot, the same as
	// the single calls give.
	t.Run("snapshot", func(t *testing.T) {
		if len(parts) == 0 {
			t.Skip("the connector declares no account part to snapshot")
		}
		needAccount(t, fx)
		c := call(t)
		snap := pluginhost.FetchSnapshot(c, ex, fx.Account, parts)
		for part, err := range snap.Errs {
			t.Errorf("snapshot part %s: %v", part, err)
		}
		if fx.SpotBalances != nil && info.Has(sdk.CapSpotBalances) {
			sameBalances(t, snap.Spot, fx.SpotBalances)
		}
		if w := fx.FuturesAccount; w != nil && info.Has(sdk.CapFuturesAccount) {
			if !snap.Futures.WalletBalance.Equal(w.WalletBalance) || !snap.Futures.MarginBalance.Equal(w.MarginBalance) {
				t.Errorf("snapshot futures %+v, want %+v", snap.Futures, *w)
			}
		}
		if fx.Positions != nil && info.Has(sdk.CapPositions) {
			samePositions(t, snap.Positions, fx.Positions)
		}
		checkUsage(t, c)
	})
	t.Run("place and cancel an order", func(t *testing.T) {
		needOrder(t, info, fx)
		c := call(t)
		o, err := ex.PlaceOrder(c, fx.Account, *fx.Order)
		if err != nil {
			t.Fatal(err)
		}
		if o.ID == "" || o.Symbol != fx.Order.Symbol || o.Side != fx.Order.Side || o.Type != fx.Order.Type ||
			(fx.Order.ClientOrderID != "" && o.ClientOrderID != fx.Order.ClientOrderID) || o.Status != sdk.StatusNew {
			t.Errorf("placed %+v for %+v", o, *fx.Order)
		}
		if !o.Quantity.Equal(fx.Order.Quantity) || !o.Price.Equal(fx.Order.Price) {
			t.Errorf("placed quantity %s price %s, want %s %s", o.Quantity, o.Price, fx.Order.Quantity, fx.Order.Price)
		}
		checkUsage(t, c)
		cc, err := ex.CancelOrder(ctx(t), fx.Account, sdk.CancelRequest{Market: fx.Order.Market, Symbol: fx.Order.Symbol, OrderID: o.ID})
		if err != nil {
			t.Fatal(err)
		}
		if cc.ID != o.ID || cc.Status != sdk.StatusCanceled {
			t.Errorf("cancel answered %+v", cc)
		}
	})
}

func checkNoPanics(t *testing.T, impl sdk.Exchange, info sdk.Info) {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// No credentials, and every endpoint on a closed loopback port, so a
	// connector that calls out anyway reaches nothing real.
	empty := sdk.Account{Endpoints: map[string]string{}}
	for _, k := range info.EndpointKeys {
		empty.Endpoints[k] = "http://127.0.0.1:1"
	}
	calls := map[string]func() error{
		"ValidateCredentials": func() error { _, err := impl.ValidateCredentials(c, empty); return err },
		"SpotBalances":        func() error { _, err := impl.SpotBalances(c, empty); return err },
		"FuturesAccount":      func() error { _, err := impl.FuturesAccount(c, empty); return err },
		"Positions":           func() error { _, err := impl.Positions(c, empty); return err },
		"PlaceOrder":          func() error { _, err := impl.PlaceOrder(c, empty, sdk.OrderRequest{}); return err },
		"CancelOrder":         func() error { _, err := impl.CancelOrder(c, empty, sdk.CancelRequest{}); return err },
	}
	for name, fn := range calls {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s panicked on empty input: %v", name, r)
				}
			}()
			if err := fn(); err == nil {
				t.Errorf("%s accepted an empty account", name)
			}
		}()
	}
}

func sameBalances(t *testing.T, got, want []sdk.Balance) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("balances %v, want %v", got, want)
		return
	}
	for _, w := range want {
		i := slices.IndexFunc(got, func(b sdk.Balance) bool { return b.Asset == w.Asset })
		if i < 0 || !got[i].Free.Equal(w.Free) || !got[i].Locked.Equal(w.Locked) {
			t.Errorf("balance of %s: got %v, want %+v", w.Asset, got, w)
		}
	}
}

func samePositions(t *testing.T, got, want []sdk.Position) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("positions %+v, want %+v", got, want)
		return
	}
	for _, w := range want {
		i := slices.IndexFunc(got, func(p sdk.Position) bool { return p.Symbol == w.Symbol && p.Side == w.Side })
		if i < 0 {
			t.Errorf("no %s %s position in %+v", w.Side, w.Symbol, got)
			continue
		}
		g := got[i]
		if !g.Size.Equal(w.Size) || !g.EntryPrice.Equal(w.EntryPrice) || !g.MarkPrice.Equal(w.MarkPrice) ||
			!g.UnrealizedPnL.Equal(w.UnrealizedPnL) || !g.Leverage.Equal(w.Leverage) ||
			!g.LiquidationPrice.Equal(w.LiquidationPrice) || g.MarginMode != w.MarginMode {
			t.Errorf("position %+v, want %+v", g, w)
		}
	}
}
