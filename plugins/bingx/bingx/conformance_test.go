package bingx_test

import (
	"testing"

	"github.com/globalautomation/gahost/plugins/bingx/bingx"
	"github.com/globalautomation/gahost/plugins/bingx/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// TestConformance runs the sdk's conformance suite against the fake, in
// process and through a real plugin process.
func TestConformance(t *testing.T) {
	// The suite calls faster than the per-key limits allow; TestPerKeyLimit
	// checks those.
	e := newEnv(t, fake.WithUIDLimitsTimes(100))
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Spot = []fake.Balance{
			{Asset: "USDT", Free: "1000.50000000", Locked: "0.00000000"},
			{Asset: "BTC", Free: "0", Locked: "0"},
			{Asset: "ETH", Free: "0.25", Locked: "0.75"},
		}
		a.Swap = []fake.SwapAsset{{Asset: "USDT", Balance: "500.0000", Equity: "512.3400", UnrealizedProfit: "12.3400", AvailableMargin: "400.0000"}}
		a.HedgeMode = true
		a.Positions = []fake.Position{
			{Symbol: "BTC-USDT", PositionSide: "LONG", PositionAmt: "0.0100", AvgPrice: "60000", MarkPrice: "61234", UnrealizedProfit: "12.34", LiquidationPrice: "30000", Leverage: 10},
			{Symbol: "BTC-USDT", PositionSide: "SHORT", PositionAmt: "0.0000", AvgPrice: "0", MarkPrice: "61234", UnrealizedProfit: "0", Leverage: 10},
		}
	})
	fx := plugintest.Reference(e.Acct, e.Fake, plugintest.Paths{Read: "/openApi/spot/v1/account/balance", Order: "/openApi/spot/v1/trade/order",
		Cancel: "/openApi/spot/v1/trade/cancel", Time: "/openApi/swap/v2/server/time"})
	// Spot client order ids allow no hyphen.
	fx.Order.ClientOrderID = "conformance_1"
	fx.ReportsUsage = true
	// Prices come from whole lists, one request each, whatever the number
	// of symbols asked for; spot numbers arrive as JSON numbers and swap
	// ones as strings, both exact.
	e.Fake.SetMark("BTC-USDT", "60012.34")
	prices := plugintest.ReferencePrices("bingx", "VST")
	prices.Calls = map[string]int{"/openApi/spot/v1/ticker/24hr": 1, "/openApi/swap/v2/quote/ticker": 1, "/openApi/swap/v2/quote/premiumIndex": 1}
	fx.Prices = &prices
	plugintest.Run(t, bingx.New(sdk.WithVersion("0.1.0")), fx)
}
