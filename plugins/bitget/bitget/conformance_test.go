package bitget_test

import (
	"testing"

	"github.com/globalautomation/gahost/plugins/bitget/bitget"
	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// TestConformance runs the sdk's conformance suite against the fake, in
// process and through a real plugin process. The suite checks the
// credentials twice within a second, which Bitget's 1/s limit on account
// info would refuse, so that one limit is raised here.
func TestConformance(t *testing.T) {
	e := newEnv(t, fake.WithRouteLimit(fake.PathAccountInfo, 10))
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Spot = []fake.Balance{
			{Coin: "USDT", Available: "1000.50000000", Frozen: "0", Locked: "0"},
			{Coin: "BTC", Available: "0", Frozen: "0", Locked: "0"},
			{Coin: "ETH", Available: "0.25", Frozen: "0.5", Locked: "0.25"},
		}
		a.Futures = []fake.FuturesRow{{MarginCoin: "USDT", Available: "450", CrossedMaxAvailable: "400.00", AccountEquity: "512.34", UnrealizedPL: "12.34"}}
		a.HedgeMode = true
		a.Positions = []fake.Position{
			{Symbol: "BTCUSDT", HoldSide: "long", Total: "0.010", OpenPriceAvg: "60000", MarkPrice: "61234", UnrealizedPL: "12.34", Leverage: "10", LiquidationPrice: "30000", MarginMode: "crossed"},
			{Symbol: "BTCUSDT", HoldSide: "short", Total: "0", OpenPriceAvg: "0", MarkPrice: "61234", UnrealizedPL: "0", Leverage: "10"},
		}
	})
	fx := plugintest.Reference(e.Acct, e.Fake, plugintest.Paths{Read: fake.PathSpotAssets, Order: fake.PathSpotPlace, Cancel: fake.PathSpotCancel, Time: fake.PathServerTime})
	fx.ReportsUsage = true
	// Prices come from whole lists, one request each, whatever the number
	// of symbols asked for: the classic public ticker lists, which serve
	// Classic and UTA accounts alike, the futures one for USDT-margined
	// contracts only.
	e.Fake.SetMark("BTCUSDT", "60012.34")
	prices := plugintest.ReferencePrices("bitget", "BGB")
	prices.Calls = map[string]int{fake.PathSpotTickers: 1, fake.PathFuturesTickers: 1}
	prices.Queries = map[string][]string{"productType": {"USDT-FUTURES"}}
	fx.Prices = &prices
	plugintest.Run(t, bitget.New(sdk.WithVersion("0.1.0")), fx)
}
