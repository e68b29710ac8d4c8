package bitget_test

import (
	"slices"
	"testing"

	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// Prices come from the classic public ticker lists, one request each,
// without the key: they serve Classic and UTA accounts alike. An asset
// without a USDT market is missing, not priced through another.
func TestPrices(t *testing.T) {
	e := newEnv(t)
	e.Fake.SetMark("BTCUSDT", "60012.34")
	c := plugintest.ReferencePrices("bitget", "BGB")
	c.Calls = map[string]int{fake.PathSpotTickers: 1, fake.PathFuturesTickers: 1}
	c.Secrets = []string{apiKey, secret, passphrase}
	plugintest.RunPrices(t, e.C, e.Acct, e.Fake, c)
	if q := plugintest.QueryValues(e.Fake.Requests(), "productType"); !slices.Equal(q, []string{"USDT-FUTURES"}) {
		t.Errorf("product types read: %q", q)
	}
}

func TestInstruments(t *testing.T) {
	e := newEnv(t)
	plugintest.RunInstruments(t, e.C, e.Acct, e.Fake, map[sdk.Market][]string{
		// ETHBTC's minimum value is stated in USDT, not in its quote BTC.
		sdk.MarketSpot: {
			"BTC/USDT BTCUSDT spot BTC USDT - lot=0.000001 min=0 tick=0.01 notional=1 trading",
			"ETH/BTC ETHBTC spot ETH BTC - lot=0.0001 min=0.001 tick=0.000001 notional=0 trading",
			"ETH/USDT ETHUSDT spot ETH USDT - lot=0.0001 min=0 tick=0.01 notional=1 trading",
		},
		sdk.MarketFutures: {
			"BTC/USDT:USDT BTCUSDT futures BTC USDT USDT lot=0.0001 min=0.0001 tick=0.1 notional=5 trading",
			"ETH/USDT:USDT ETHUSDT futures ETH USDT USDT lot=0.01 min=0.01 tick=0.01 notional=5 trading",
		},
	}, apiKey, secret, passphrase)
}
