package bingx_test

import (
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// Prices come from whole lists, one request each, without the key; spot
// numbers arrive as JSON numbers and swap ones as strings, both exact. An
// asset without a USDT market is missing, not priced through another.
func TestPrices(t *testing.T) {
	e := newEnv(t)
	e.Fake.SetMark("BTC-USDT", "60012.34")
	c := plugintest.ReferencePrices("bingx", "VST")
	c.Calls = map[string]int{"/openApi/spot/v1/ticker/24hr": 1, "/openApi/swap/v2/quote/ticker": 1, "/openApi/swap/v2/quote/premiumIndex": 1}
	c.Secrets = []string{apiKey, secret}
	plugintest.RunPrices(t, e.C, e.Acct, e.Fake, c)
}

// Perpetuals have decimals instead of steps; spot steps may come in
// exponent form ("1e-05"), and both end as exact steps.
func TestInstruments(t *testing.T) {
	e := newEnv(t)
	plugintest.RunInstruments(t, e.C, e.Acct, e.Fake, map[sdk.Market][]string{
		sdk.MarketSpot: {
			"BTC/USDT BTC-USDT spot BTC USDT - lot=0.00001 min=0.00001 tick=0.01 notional=5 trading",
			"ETH/BTC ETH-BTC spot ETH BTC - lot=0.001 min=0.001 tick=0.00001 notional=5 trading",
			"ETH/USDT ETH-USDT spot ETH USDT - lot=0.0001 min=0.0001 tick=0.01 notional=5 trading",
		},
		sdk.MarketFutures: {
			"BTC/USDT:USDT BTC-USDT futures BTC USDT USDT lot=0.0001 min=0.0001 tick=0.1 notional=2 trading",
			"ETH/USDT:USDT ETH-USDT futures ETH USDT USDT lot=0.01 min=0.01 tick=0.01 notional=2 trading",
		},
	}, apiKey, secret)
}
