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
	plugintest.RunInstruments(t, e.C, e.Acct, e.Fake, "testdata/instruments.txt")
	if q := plugintest.QueryValues(e.Fake.Requests(), "showPermissionSets"); len(q) != 1 || q[0] != "false" {
		t.Errorf("showPermissionSets sent as %q: the spot list would carry megabytes of permission sets", q)
	}
}
