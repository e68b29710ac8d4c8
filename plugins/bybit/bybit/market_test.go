package bybit_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/globalautomation/gahost/plugins/bybit/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// Prices come from one ticker list per category, without the key; assets
// are valued by their USDT market and an asset without one is missing,
// not priced through BTC.
func TestPrices(t *testing.T) {
	e := newEnv(t)
	e.Fake.SetMark("BTCUSDT", "60012.34")
	c := plugintest.ReferencePrices("bybit", "MNT")
	// One list per category.
	c.Calls = map[string]int{"/v5/market/tickers": 2}
	c.Secrets = []string{apiKey, secret}
	plugintest.RunPrices(t, e.C, e.Acct, e.Fake, c)
	if q := plugintest.QueryValues(e.Fake.Requests(), "category"); !slices.Equal(q, []string{"spot", "linear"}) {
		t.Errorf("categories read: %q", q)
	}
}

func TestInstruments(t *testing.T) {
	e := newEnv(t)
	plugintest.RunInstruments(t, e.C, e.Acct, e.Fake, map[sdk.Market][]string{
		sdk.MarketSpot: {
			"BTC/USDT BTCUSDT spot BTC USDT - lot=0.000001 min=0.000048 tick=0.1 notional=5 trading",
			"ETH/BTC ETHBTC spot ETH BTC - lot=0.00001 min=0.00062 tick=0.000001 notional=0.00005 trading",
			"ETH/USDT ETHUSDT spot ETH USDT - lot=0.00001 min=0.00062 tick=0.01 notional=5 trading",
		},
		sdk.MarketFutures: {
			"BTC/USDT:USDT BTCUSDT futures BTC USDT USDT lot=0.001 min=0.001 tick=0.1 notional=5 trading",
			"ETH/USDT:USDT ETHUSDT futures ETH USDT USDT lot=0.01 min=0.01 tick=0.01 notional=5 trading",
		},
	}, apiKey, secret)
}

// More linear symbols than one page holds are read page by page.
func TestInstrumentPages(t *testing.T) {
	e := newEnv(t)
	for _, b := range []string{"A", "B", "C"} {
		for i := range 400 {
			e.Fake.ListLinear(b+strconv.Itoa(i)+"XUSDT", fake.Market{Base: b + strconv.Itoa(i) + "X", Quote: "USDT", Price: "1"})
		}
	}
	is, err := e.C.Instruments(ctx(t), e.Acct, sdk.MarketFutures)
	if err != nil {
		t.Fatal(err)
	}
	if len(is) != 1202 || e.Fake.Calls("/v5/market/instruments-info") != 2 {
		t.Errorf("%d instruments in %d pages, want 1202 in 2", len(is), e.Fake.Calls("/v5/market/instruments-info"))
	}
}
