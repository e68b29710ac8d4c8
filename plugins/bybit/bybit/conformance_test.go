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
	bad := e.Acct
	bad.SecretKey = "not-" + secret
	plugintest.Run(t, bybit.New(sdk.WithVersion("0.1.0")), plugintest.Fixtures{
		Account: e.Acct,
		SpotBalances: []sdk.Balance{
			{Asset: "USDT", Free: d("1000.5"), Locked: d("0")},
			{Asset: "ETH", Free: d("0.25"), Locked: d("0.75")},
		},
		ZeroAssets:     []string{"BTC"},
		FuturesAccount: &sdk.FuturesAccount{Asset: "USDT", WalletBalance: d("1000.5"), UnrealizedPnL: d("12.34"), MarginBalance: d("1012.84"), AvailableBalance: d("400")},
		Positions: []sdk.Position{{Symbol: "BTC/USDT:USDT", Side: sdk.SideLong, Size: d("0.01"), EntryPrice: d("60000"), MarkPrice: d("61234"),
			UnrealizedPnL: d("12.34"), Leverage: d("10"), LiquidationPrice: d("30000"), MarginMode: sdk.MarginCross}},
		Order: &sdk.OrderRequest{Market: sdk.MarketSpot, Symbol: "ETH/USDT", Side: sdk.Buy, Type: sdk.OrderLimit,
			Quantity: d("0.1"), Price: d("2500.5"), ClientOrderID: "conformance-1"},
		UnknownSymbol: "NOPE/USDT",
		BadSecret:     &bad,
		Fake:          e.Fake,
		Paths:         plugintest.Paths{Read: "/v5/account/wallet-balance", Order: "/v5/order/create", Cancel: "/v5/order/cancel", Time: "/v5/market/time"},
		ReportsUsage:  true,
	})
}
