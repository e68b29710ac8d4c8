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
	bad := e.Acct
	bad.SecretKey = "not-" + secret
	plugintest.Run(t, bingx.New(sdk.WithVersion("0.1.0")), plugintest.Fixtures{
		Account: e.Acct,
		SpotBalances: []sdk.Balance{
			{Asset: "USDT", Free: d("1000.5"), Locked: d("0")},
			{Asset: "ETH", Free: d("0.25"), Locked: d("0.75")},
		},
		ZeroAssets:     []string{"BTC"},
		FuturesAccount: &sdk.FuturesAccount{Asset: "USDT", WalletBalance: d("500"), UnrealizedPnL: d("12.34"), MarginBalance: d("512.34"), AvailableBalance: d("400")},
		Positions: []sdk.Position{{Symbol: "BTC/USDT:USDT", Side: sdk.SideLong, Size: d("0.01"), EntryPrice: d("60000"), MarkPrice: d("61234"),
			UnrealizedPnL: d("12.34"), Leverage: d("10"), LiquidationPrice: d("30000"), MarginMode: sdk.MarginCross}},
		Order: &sdk.OrderRequest{Market: sdk.MarketSpot, Symbol: "ETH/USDT", Side: sdk.Buy, Type: sdk.OrderLimit,
			Quantity: d("0.1"), Price: d("2500.5"), ClientOrderID: "conformance_1"},
		UnknownSymbol: "NOPE/USDT",
		BadSecret:     &bad,
		Fake:          e.Fake,
		Paths: plugintest.Paths{Read: "/openApi/spot/v1/account/balance", Order: "/openApi/spot/v1/trade/order",
			Cancel: "/openApi/spot/v1/trade/cancel", Time: "/openApi/swap/v2/server/time"},
		ReportsUsage: true,
	})
}
