package plugins

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/budget"
	"github.com/globalautomation/gahost/sdk"
)

// Prices and instruments go through the catalog like any call: they pay
// the exchange's budget (here the one unit an undeclared call pays, since
// the test plugin declares only the older CallCosts), a prepaid caller
// does not pay twice, and the answers arrive whole. A rate-limited answer
// holds the exchange as any other does.
func TestMarketDataPaysTheBudget(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "paced-1.0.0", "gahost-plugin-paced")
	c := newCatalog(t, Config{Dir: dir})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	x, _, ok := c.Exchange("paced")
	if !ok {
		t.Fatal("paced not served")
	}
	pr, ok := x.(sdk.PriceReader)
	if !ok {
		t.Fatal("the catalog's exchange is no PriceReader")
	}
	il, ok := x.(sdk.InstrumentLister)
	if !ok {
		t.Fatal("the catalog's exchange is no InstrumentLister")
	}
	set := c.Budget("paced")
	ctx := context.Background()

	for _, prepaid := range []bool{false, true} {
		cctx := ctx
		before := used(t, set)
		if prepaid {
			for {
				ok, wait := set.TryTake(time.Now(), []string{sdk.CapPrices})
				if ok {
					break
				}
				time.Sleep(wait)
			}
			cctx = budget.Prepaid(ctx)
		}
		p, err := pr.Prices(cctx, sdk.Account{}, sdk.PriceRequest{Symbols: []string{"BTC/USDT:USDT"}, Assets: []string{"BTC", "ETH"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := used(t, set) - before; got != 1 {
			t.Errorf("prices (prepaid %v) paid %d in all, want 1", prepaid, got)
		}
		perp, ok1 := p.Symbol("BTC/USDT:USDT")
		btc, ok2 := p.Asset("BTC")
		if !ok1 || perp.Mark.String() != "60005.25" || perp.Last.String() != "60010" || !ok2 || btc.Last.String() != "60000.5" ||
			len(p.Missing) != 1 || p.Missing[0].Asset != "ETH" || p.Missing[0].Reason == "" {
			t.Errorf("prices = %+v", p)
		}
	}

	before := used(t, set)
	is, err := il.Instruments(ctx, sdk.Account{}, sdk.MarketFutures)
	if err != nil {
		t.Fatal(err)
	}
	if got := used(t, set) - before; got != 1 {
		t.Errorf("instruments paid %d, want 1", got)
	}
	if len(is) != 1 || is[0].Symbol != "BTC/USDT:USDT" || is[0].LotStep.String() != "0.001" || is[0].TickSize.String() != "0.1" {
		t.Errorf("instruments = %+v", is)
	}

	// A rate-limited price read holds the exchange: the next call waits.
	_, err = pr.Prices(ctx, sdk.Account{APIKey: "error:rate_limited:300"}, sdk.PriceRequest{Assets: []string{"BTC"}})
	if !errors.Is(err, sdk.ErrRateLimited) {
		t.Fatalf("rate-limited prices: %v", err)
	}
	short, stop := context.WithTimeout(ctx, 50*time.Millisecond)
	defer stop()
	if _, err := il.Instruments(short, sdk.Account{}, sdk.MarketSpot); !errors.Is(err, sdk.ErrRateLimited) {
		t.Errorf("instruments right after a rate-limited answer: %v, want refused while held", err)
	}
}
