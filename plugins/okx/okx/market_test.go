package okx_test

import (
	"slices"
	"testing"

	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// Prices come from whole lists, one request each, without the key; the
// coin-margined swap is not a perpetual the connector trades, and an asset
// without a USDT market is missing, not priced through another.
func TestPrices(t *testing.T) {
	e := newEnv(t)
	e.Fake.SetMark("BTC-USDT-SWAP", "60012.34")
	p, err := e.C.Prices(ctx(t), e.Acct, sdk.PriceRequest{
		Symbols: []string{"BTC/USDT:USDT", "ETH/USDT", "BTC/USD:BTC", "ETH/USDT:USDT"},
		Assets:  []string{"BTC", "USDT", "OKB"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"BTC/USDT:USDT - 60000 60012.34",
		"ETH/USDT - 3000 -",
		"ETH/USDT:USDT - 3000 3000",
		"BTC/USDT BTC 60000 -",
		"- USDT 1 -",
		"missing BTC/USD:BTC -: okx lists no market BTC/USD:BTC",
		"missing - OKB: okx lists no OKB/USDT spot market to value OKB by",
	}
	if got := plugintest.PriceRows(p); !slices.Equal(got, want) {
		t.Errorf("prices:\n%q\nwant\n%q", got, want)
	}
	if perp, _ := p.Symbol("BTC/USDT:USDT"); perp.Time.IsZero() {
		t.Error("the swap price carries no time")
	}
	if e.Fake.Calls("/api/v5/market/tickers") != 2 || e.Fake.Calls("/api/v5/public/mark-price") != 1 {
		t.Errorf("tickers read %d times, mark prices %d: want one request per list",
			e.Fake.Calls("/api/v5/market/tickers"), e.Fake.Calls("/api/v5/public/mark-price"))
	}
	plugintest.NoCredentials(t, e.Fake.Requests(), apiKey, secret, passphrase)
}

// Swap sizes are counted in contracts on OKX; the instrument list gives
// them in base units (0.01 contracts of 0.01 BTC is 0.0001 BTC).
func TestInstruments(t *testing.T) {
	e := newEnv(t)
	cases := map[sdk.Market][]string{
		sdk.MarketSpot: {
			"BTC/USDT BTC-USDT spot BTC USDT - lot=0.00000001 min=0.00001 tick=0.1 notional=0 trading",
			"ETH/USDT ETH-USDT spot ETH USDT - lot=0.000001 min=0.0001 tick=0.01 notional=0 trading",
		},
		// BTC-USD-SWAP, coin-margined, is left out.
		sdk.MarketFutures: {
			"BTC/USDT:USDT BTC-USDT-SWAP futures BTC USDT USDT lot=0.0001 min=0.0001 tick=0.1 notional=0 trading",
			"ETH/USDT:USDT ETH-USDT-SWAP futures ETH USDT USDT lot=0.001 min=0.001 tick=0.01 notional=0 trading",
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
	plugintest.NoCredentials(t, e.Fake.Requests(), apiKey, secret, passphrase)
}
