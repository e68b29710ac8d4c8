package bybit_test

import (
	"testing"

	"github.com/globalautomation/gahost/plugins/bybit/bybit"
	"github.com/globalautomation/gahost/plugins/bybit/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// TestConformance runs the sdk's conformance suite against the fake, in
// process and through a real plugin process.
func TestConformance(t *testing.T) {
	e := newEnv(t)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Coins = []fake.Coin{
			{Coin: "USDT", WalletBalance: "1000.50000000", Locked: "0", UnrealisedPnl: "12.34", TotalPositionIM: "60"},
			{Coin: "BTC", WalletBalance: "0", Locked: "0"},
			{Coin: "ETH", WalletBalance: "1.00000000", Locked: "0.75000000"},
		}
		a.TotalAvailableBalance = "400"
		a.HedgeMode = true
		a.Positions = []fake.Position{
			{Symbol: "BTCUSDT", PositionIdx: 1, Side: "Buy", Size: "0.010", AvgPrice: "60000", MarkPrice: "61234", UnrealisedPnl: "12.34", Leverage: "10", LiqPrice: "30000"},
			{Symbol: "BTCUSDT", PositionIdx: 2, Side: "", Size: "0", AvgPrice: "0", MarkPrice: "61234", UnrealisedPnl: "0", Leverage: "10"},
		}
	})
	fx := plugintest.Reference(e.Acct, e.Fake, plugintest.Paths{Read: "/v5/account/wallet-balance", Order: "/v5/order/create", Cancel: "/v5/order/cancel", Time: "/v5/market/time"})
	// The unified wallet is one: its USDT is both the spot balance and
	// the futures wallet.
	fx.FuturesAccount = &sdk.FuturesAccount{Asset: "USDT", WalletBalance: d("1000.5"), UnrealizedPnL: d("12.34"), MarginBalance: d("1012.84"), AvailableBalance: d("400")}
	fx.ReportsUsage = true
	// Prices come from one ticker list per category, spot and linear,
	// whatever the number of symbols asked for.
	e.Fake.SetMark("BTCUSDT", "60012.34")
	prices := plugintest.ReferencePrices("bybit", "MNT")
	prices.Calls = map[string]int{"/v5/market/tickers": 2}
	prices.Queries = map[string][]string{"category": {"spot", "linear"}}
	fx.Prices = &prices
	plugintest.Run(t, bybit.New(sdk.WithVersion("0.1.0")), fx)
}
