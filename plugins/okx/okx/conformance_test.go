package okx_test

import (
	"testing"

	"github.com/globalautomation/gahost/plugins/okx/fake"
	"github.com/globalautomation/gahost/plugins/okx/okx"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// TestConformance runs the sdk's conformance suite against the fake, in
// process and through a real plugin process.
func TestConformance(t *testing.T) {
	// The suite reads the balance more often than its limit of 10 per 2 s
	// allows; TestRateLimitEnforced checks that limit.
	e := newEnv(t, fake.WithLimit("/api/v5/account/balance", 1000))
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.PosMode = "long_short_mode"
		a.Balances = []fake.Balance{
			{Ccy: "USDT", Eq: "1012.84", CashBal: "1000.5", AvailBal: "900.5", AvailEq: "900.5", FrozenBal: "112.34", Upl: "12.34"},
			{Ccy: "BTC", Eq: "0", CashBal: "0", AvailBal: "0", AvailEq: "0", FrozenBal: "0", Upl: "0"},
			{Ccy: "ETH", Eq: "1", CashBal: "1", AvailBal: "0.25", AvailEq: "0.25", FrozenBal: "0.75", Upl: "0"},
		}
		a.Positions = []fake.Position{
			{InstID: "BTC-USDT-SWAP", MgnMode: "cross", PosSide: "long", Pos: "1", AvgPx: "60000", MarkPx: "61234", Upl: "12.34", Lever: "10", LiqPx: "30000"},
			{InstID: "BTC-USDT-SWAP", MgnMode: "cross", PosSide: "short", Pos: "0", AvgPx: "", MarkPx: "61234", Upl: "0", Lever: "10", LiqPx: ""},
		}
	})
	bad := e.Acct
	bad.SecretKey = "0" + secret[1:]
	plugintest.Run(t, okx.New(sdk.WithVersion("0.1.0")), plugintest.Fixtures{
		Account: e.Acct,
		SpotBalances: []sdk.Balance{
			{Asset: "USDT", Free: d("900.5"), Locked: d("112.34")},
			{Asset: "ETH", Free: d("0.25"), Locked: d("0.75")},
		},
		ZeroAssets: []string{"BTC"},
		FuturesAccount: &sdk.FuturesAccount{Asset: "USDT", WalletBalance: d("1000.5"), UnrealizedPnL: d("12.34"),
			MarginBalance: d("1012.84"), AvailableBalance: d("900.5")},
		Positions: []sdk.Position{{Symbol: "BTC/USDT:USDT", Side: sdk.SideLong, Size: d("0.01"), EntryPrice: d("60000"), MarkPrice: d("61234"),
			UnrealizedPnL: d("12.34"), Leverage: d("10"), LiquidationPrice: d("30000"), MarginMode: sdk.MarginCross}},
		Order: &sdk.OrderRequest{Market: sdk.MarketSpot, Symbol: "ETH/USDT", Side: sdk.Buy, Type: sdk.OrderLimit,
			Quantity: d("0.1"), Price: d("2500.5"), ClientOrderID: "conformance1"},
		UnknownSymbol: "NOPE/USDT",
		BadSecret:     &bad,
		Fake:          e.Fake,
		Paths: plugintest.Paths{Read: "/api/v5/account/balance", Order: "/api/v5/trade/order",
			Cancel: "/api/v5/trade/cancel-order", Time: "/api/v5/public/time"},
		// OKX documents no rate-limit usage headers (§9).
		ReportsUsage: false,
	})
}
