package bingx_test

import (
	"testing"

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
	plugintest.RunPrices(t, e.C, e.Acct, e.Fake, c)
}

// Perpetuals have decimals instead of steps; spot steps may come in
// exponent form ("1e-05"), and both end as exact steps.
func TestInstruments(t *testing.T) {
	e := newEnv(t)
	plugintest.RunInstruments(t, e.C, e.Acct, e.Fake, "testdata/instruments.txt")
}
