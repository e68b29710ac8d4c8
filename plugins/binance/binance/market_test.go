package binance_test

import (
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// Prices come from the whole ticker lists, one request each, without the
// key; assets are valued by their USDT market and an asset without one is
// missing, not priced through BTC.
func TestPrices(t *testing.T) {
	e := newEnv(t)
	e.Fake.SetMark("BTCUSDT", "60012.34")
	c := plugintest.ReferencePrices("binance", "BNB")
	c.Calls = map[string]int{"/api/v3/ticker/price": 1, "/fapi/v1/ticker/price": 1, "/fapi/v1/premiumIndex": 1}
	c.Timed = []string{"BTC/USDT:USDT"}
	c.Secrets = []string{apiKey, secret}
	plugintest.RunPrices(t, e.C, e.Acct, e.Fake, c)

	// Only what is asked for is read: assets alone need no futures list.
	before := e.Fake.Calls("/fapi/v1/premiumIndex")
	if _, err := e.C.Prices(ctx(t), e.Acct, sdk.PriceRequest{Assets: []string{"BTC"}}); err != nil {
		t.Fatal(err)
	}
	if e.Fake.Calls("/fapi/v1/premiumIndex") != before {
		t.Error("valuing an asset read the futures mark prices")
	}
}

func TestInstruments(t *testing.T) {
	e := newEnv(t)
	plugintest.RunInstruments(t, e.C, e.Acct, e.Fake, map[sdk.Market][]string{
		sdk.MarketSpot: {
			"BTC/USDT BTCUSDT spot BTC USDT - lot=0.00001 min=0.00001 tick=0.01 notional=5 trading",
			"ETH/BTC ETHBTC spot ETH BTC - lot=0.0001 min=0.0001 tick=0.00001 notional=0.0001 trading",
			"ETH/USDT ETHUSDT spot ETH USDT - lot=0.0001 min=0.0001 tick=0.01 notional=5 trading",
		},
		// The quarterly BTCUSDT_260925 the fake lists is left out.
		sdk.MarketFutures: {
			"BTC/USDT:USDT BTCUSDT futures BTC USDT USDT lot=0.001 min=0.001 tick=0.1 notional=100 trading",
			"ETH/USDT:USDT ETHUSDT futures ETH USDT USDT lot=0.001 min=0.001 tick=0.01 notional=20 trading",
		},
	}, apiKey, secret)
	if q := plugintest.QueryValues(e.Fake.Requests(), "showPermissionSets"); len(q) != 1 || q[0] != "false" {
		t.Errorf("showPermissionSets sent as %q: the spot list would carry megabytes of permission sets", q)
	}
}
