package binance_test

import (
	"testing"

	"github.com/globalautomation/gahost/plugins/binance/binance"
	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// TestConformance runs the sdk's conformance suite against the fake, in
// process and through a real plugin process.
func TestConformance(t *testing.T) {
	e := newEnv(t)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Spot = []fake.Balance{
			{Asset: "USDT", Free: "1000.50000000", Locked: "0.00000000"},
			{Asset: "BTC", Free: "0.00000000", Locked: "0.00000000"},
			{Asset: "ETH", Free: "0.25000000", Locked: "0.75000000"},
		}
		a.Futures = []fake.FuturesAsset{{Asset: "USDT", WalletBalance: "500.00000000", UnrealizedProfit: "12.34000000", MarginBalance: "512.34000000", AvailableBalance: "400.00000000"}}
		a.HedgeMode = true
		a.Positions = []fake.Position{
			{Symbol: "BTCUSDT", PositionSide: "LONG", PositionAmt: "0.010", EntryPrice: "60000", MarkPrice: "61234", UnRealizedProfit: "12.34", LiquidationPrice: "30000", MarginAsset: "USDT"},
			{Symbol: "BTCUSDT", PositionSide: "SHORT", PositionAmt: "0.000", EntryPrice: "0", MarkPrice: "61234", UnRealizedProfit: "0", MarginAsset: "USDT"},
		}
		a.SymbolConfig = map[string]fake.SymbolConfig{"BTCUSDT": {Leverage: 10, MarginType: "CROSSED"}}
	})
	fx := plugintest.Reference(e.Acct, e.Fake, plugintest.Paths{Read: "/api/v3/account", Order: "/api/v3/order", Cancel: "/api/v3/order", Time: "/api/v3/time"})
	fx.ReportsUsage = true
	// Prices come from whole lists, one request each, whatever the number
	// of symbols asked for.
	e.Fake.SetMark("BTCUSDT", "60012.34")
	prices := plugintest.ReferencePrices("binance", "BNB")
	prices.Calls = map[string]int{"/api/v3/ticker/price": 1, "/fapi/v1/ticker/price": 1, "/fapi/v1/premiumIndex": 1}
	prices.Timed = []string{"BTC/USDT:USDT"}
	fx.Prices = &prices
	plugintest.Run(t, binance.New(sdk.WithVersion("0.1.0")), fx)
}
