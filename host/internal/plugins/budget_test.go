package plugins

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/budget"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/pluginhost"
	"github.com/shopspring/decimal"
)

// used is what the exchange's budget has spent over its window.
func used(t *testing.T, set *budget.Set) int64 {
	t.Helper()
	st := set.Stats(time.Now())
	if len(st) != 1 {
		t.Fatalf("pools = %+v", st)
	}
	return st[0].Used
}

// Every call through the catalog pays its declared cost before it leaves,
// waits when the budget is spent, and a rate-limited answer holds the
// exchange. The test plugin declares 1000 weight per 10 s, with credential
// checks at 10 and orders at 1.
func TestCallsPayTheBudget(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "paced-1.0.0", "gahost-plugin-paced")
	install(t, dir, "alpha-1.0.0", "gahost-plugin-alpha")
	c := newCatalog(t, Config{Dir: dir})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	x, _, ok := c.Exchange("paced")
	if !ok {
		t.Fatal("paced not served")
	}
	set := c.Budget("paced")
	if set == nil {
		t.Fatal("no budget for an exchange that declares a per-IP limit")
	}
	ctx := context.Background()
	acct := sdk.Account{APIKey: "k", SecretKey: "s"}
	order := sdk.OrderRequest{Market: sdk.MarketSpot, Symbol: "BTC/USDT", Side: sdk.Buy, Type: sdk.OrderMarket,
		Quantity: decimal.RequireFromString("1")}
	cancel := sdk.CancelRequest{Market: sdk.MarketSpot, Symbol: "BTC/USDT", OrderID: "1"}

	steps := []struct {
		name  string
		call  func(context.Context) error
		calls []string
		cost  int64
	}{
		{"info", func(ctx context.Context) error { _, err := x.Info(ctx); return err }, nil, 0},
		{"validate", func(ctx context.Context) error { _, err := x.ValidateCredentials(ctx, acct); return err }, []string{sdk.CapValidate}, 10},
		{"order", func(ctx context.Context) error { _, err := x.PlaceOrder(ctx, acct, order); return err }, []string{sdk.CapOrders}, 1},
		{"cancel", func(ctx context.Context) error { _, err := x.CancelOrder(ctx, acct, cancel); return err }, []string{sdk.CapOrders}, 1},
		{"snapshot", func(ctx context.Context) error {
			s := x.(pluginhost.Snapshotter).Snapshot(ctx, acct, []string{sdk.CapSpotBalances, sdk.CapPositions})
			return errors.Join(s.Errs[sdk.CapSpotBalances], s.Errs[sdk.CapPositions])
		}, []string{sdk.CapSpotBalances, sdk.CapPositions}, 15},
	}
	for _, s := range steps {
		before := used(t, set)
		if err := s.call(ctx); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := used(t, set) - before; got != s.cost {
			t.Errorf("%s paid %d, want %d", s.name, got, s.cost)
		}
		// A caller that paid already (the scheduler) does not pay twice.
		before = used(t, set)
		for {
			ok, wait := set.TryTake(time.Now(), s.calls)
			if ok {
				break
			}
			time.Sleep(wait)
		}
		if err := s.call(budget.Prepaid(ctx)); err != nil {
			t.Fatalf("%s prepaid: %v", s.name, err)
		}
		if got := used(t, set) - before; got != s.cost {
			t.Errorf("%s prepaid: paid %d in all, want %d", s.name, got, s.cost)
		}
	}
	if c.Budget("alpha") == nil || c.Budget("nope") != nil {
		t.Error("budgets by name are wrong")
	}

	// Spend the budget as the scheduler would, then each call waits for
	// its turn: 940 weight per 10 s flows, so validate's 10 needs about
	// 106 ms and an order's 1 about 11 ms.
	spend := func() {
		for { // in steps of 1, so nothing is left over
			if ok, _ := set.TryTake(time.Now(), []string{sdk.CapOrders}); !ok {
				break
			}
		}
	}
	spend()
	short, stop := context.WithTimeout(ctx, 20*time.Millisecond)
	defer stop()
	before := used(t, set)
	if err := steps[1].call(short); !errors.Is(err, sdk.ErrRateLimited) {
		t.Fatalf("validate on a spent budget with 20 ms to spare: %v", err)
	}
	if got := used(t, set) - before; got != 0 {
		t.Fatalf("a refused call paid %d", got)
	}
	for _, s := range steps[1:4] {
		// Spent again before each call: the previous one's wait may have
		// let the budget refill on a busy machine.
		spend()
		// What the budget says the call must wait, asked just before it:
		// the call cannot go sooner (the wait is exact, so no tolerance).
		t0 := time.Now()
		ok, want := set.TryTake(t0, s.calls)
		if ok || want <= 0 {
			t.Fatalf("%s: a spent budget lets it go now (wait %s)", s.name, want)
		}
		if err := s.call(ctx); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if waited := time.Since(t0); waited < want {
			t.Errorf("%s went after %s on a spent budget, want at least %s", s.name, waited, want)
		}
	}

	// A rate-limited answer holds the exchange for as long as it asks.
	t0 := time.Now()
	_, err := x.PlaceOrder(ctx, sdk.Account{APIKey: "error:rate_limited:1500"}, order)
	if !errors.Is(err, sdk.ErrRateLimited) {
		t.Fatalf("err = %v", err)
	}
	if until := set.HeldUntil(time.Now()); until.Before(t0.Add(1500*time.Millisecond)) || until.After(time.Now().Add(1500*time.Millisecond)) {
		t.Fatalf("held until %s, want 1.5 s after the answer", until.Sub(t0))
	}
	short2, stop2 := context.WithTimeout(ctx, 100*time.Millisecond)
	defer stop2()
	if err := steps[2].call(short2); !errors.Is(err, sdk.ErrRateLimited) {
		t.Fatalf("an order while held: %v", err)
	}
}
