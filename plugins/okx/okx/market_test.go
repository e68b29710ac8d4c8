package okx_test

import (
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
	plugintest.RunPrices(t, e.C, e.Acct, e.Fake, plugintest.PriceCase{
		Req: sdk.PriceRequest{
			Symbols: []string{"BTC/USDT:USDT", "ETH/USDT", "BTC/USD:BTC", "ETH/USDT:USDT"},
			Assets:  []string{"BTC", "USDT", "OKB"},
		},
		Want: []string{
			"BTC/USDT:USDT - 60000 60012.34",
			"ETH/USDT - 3000 -",
			"ETH/USDT:USDT - 3000 3000",
			"BTC/USDT BTC 60000 -",
			"- USDT 1 -",
			"missing BTC/USD:BTC -: okx lists no market BTC/USD:BTC",
			"missing - OKB: okx lists no OKB/USDT spot market to value OKB by",
		},
		// Spot and swap tickers, and the swap mark prices.
		Calls: map[string]int{"/api/v5/market/tickers": 2, "/api/v5/public/mark-price": 1},
		Timed: []string{"BTC/USDT:USDT"},
	})
}

// Swap sizes are counted in contracts on OKX; the instrument list gives
// them in base units (0.01 contracts of 0.01 BTC is 0.0001 BTC).
func TestInstruments(t *testing.T) {
	e := newEnv(t)
	plugintest.RunInstruments(t, e.C, e.Acct, e.Fake, "testdata/instruments.txt")
}
