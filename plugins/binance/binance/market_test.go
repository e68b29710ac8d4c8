package binance_test

import (
	"slices"
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
	p, err := e.C.Prices(ctx(t), e.Acct, sdk.PriceRequest{
		Symbols: []string{"BTC/USDT:USDT", "ETH/BTC", "ETH/USDT:USDT", "DOGE/USDT:USDT"},
		Assets:  []string{"BTC", "ETH", "USDT", "BNB"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"BTC/USDT:USDT - 60000 60012.34",
		"ETH/BTC - 0.05 -",
		"ETH/USDT:USDT - 3000 3000",
		"BTC/USDT BTC 60000 -",
		"ETH/USDT ETH 3000 -",
		"- USDT 1 -",
		"missing DOGE/USDT:USDT -: binance lists no market DOGE/USDT:USDT",
		"missing - BNB: binance lists no BNB/USDT spot market to value BNB by",
	}
	if got := plugintest.PriceRows(p); !slices.Equal(got, want) {
		t.Errorf("prices:\n%q\nwant\n%q", got, want)
	}
	if perp, _ := p.Symbol("BTC/USDT:USDT"); perp.Time.IsZero() {
		t.Error("the futures price carries no time")
	}
	for path, n := range map[string]int{"/api/v3/ticker/price": 1, "/fapi/v1/ticker/price": 1, "/fapi/v1/premiumIndex": 1} {
		if got := e.Fake.Calls(path); got != n {
			t.Errorf("%s called %d times, want %d", path, got, n)
		}
	}
	plugintest.NoCredentials(t, e.Fake.Requests(), apiKey, secret)

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
	cases := map[sdk.Market][]string{
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
	}
	for m, want := range cases {
		is, err := e.C.Instruments(ctx(t), e.Acct, m)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, i := range is {
			got = append(got, plugintest.InstrumentRow(i))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n%q\nwant\n%q", m, got, want)
		}
	}
	if q := plugintest.QueryValues(e.Fake.Requests(), "showPermissionSets"); !slices.Equal(q, []string{"false"}) {
		t.Errorf("showPermissionSets sent as %q: the spot list would carry megabytes of permission sets", q)
	}
	plugintest.NoCredentials(t, e.Fake.Requests(), apiKey, secret)
}
