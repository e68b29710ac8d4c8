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
	fx := plugintest.Reference(e.Acct, e.Fake, plugintest.Paths{Read: "/api/v5/account/balance", Order: "/api/v5/trade/order",
		Cancel: "/api/v5/trade/cancel-order", Time: "/api/v5/public/time"})
	// The trading account is one: USDT is the spot balance, with the
	// position's margin frozen in it, and the futures wallet.
	fx.SpotBalances[0] = sdk.Balance{Asset: "USDT", Free: d("900.5"), Locked: d("112.34")}
	fx.FuturesAccount = &sdk.FuturesAccount{Asset: "USDT", WalletBalance: d("1000.5"), UnrealizedPnL: d("12.34"),
		MarginBalance: d("1012.84"), AvailableBalance: d("900.5")}
	// Client order ids are letters and digits only; a wrong secret keeps
	// the shape of a right one.
	fx.Order.ClientOrderID = "conformance1"
	fx.BadSecret.SecretKey = "0" + secret[1:]
	// OKX documents no rate-limit usage headers, so ReportsUsage stays off.
	plugintest.Run(t, okx.New(sdk.WithVersion("0.1.0")), fx)
}
