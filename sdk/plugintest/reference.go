package plugintest

import (
	"github.com/globalautomation/gahost/sdk"
	"github.com/shopspring/decimal"
)

// Reference is the account every connector's conformance test funds its
// fake with, each in its exchange's own shapes, and what the connector
// must make of it:
//
//   - spot: 1000.5 USDT free; 0.25 ETH free and 0.75 locked; BTC held at
//     zero, which must be left out;
//   - futures: a USDT wallet of 500 with 12.34 unrealized, 512.34 margin
//     balance and 400 available;
//   - one cross-margin long of 0.01 BTC/USDT:USDT at 60000, marked at
//     61234, 12.34 unrealized, leverage 10, liquidation at 30000 (the fake
//     should also hold a zero-size row, which must be left out);
//   - an order the fake leaves open: a limit buy of 0.1 ETH/USDT at 2500.5
//     with client order id "conformance-1";
//   - NOPE/USDT, which no exchange lists;
//   - the account with "not-" put before its secret, which every call
//     must refuse;
//   - what Info says, in the connector's testdata/info.txt.
//
// A connector whose exchange cannot hold one of these as it stands (its
// client ids allow no hyphen, its futures wallet is the spot one) changes
// that field of the result, and says why.
func Reference(acct sdk.Account, fake Fake, paths Paths) Fixtures {
	d := decimal.RequireFromString
	bad := acct
	bad.SecretKey = "not-" + acct.SecretKey
	return Fixtures{
		Account: acct,
		SpotBalances: []sdk.Balance{
			{Asset: "USDT", Free: d("1000.5"), Locked: d("0")},
			{Asset: "ETH", Free: d("0.25"), Locked: d("0.75")},
		},
		ZeroAssets:     []string{"BTC"},
		FuturesAccount: &sdk.FuturesAccount{Asset: "USDT", WalletBalance: d("500"), UnrealizedPnL: d("12.34"), MarginBalance: d("512.34"), AvailableBalance: d("400")},
		Positions: []sdk.Position{{Symbol: "BTC/USDT:USDT", Side: sdk.SideLong, Size: d("0.01"), EntryPrice: d("60000"), MarkPrice: d("61234"),
			UnrealizedPnL: d("12.34"), Leverage: d("10"), LiquidationPrice: d("30000"), MarginMode: sdk.MarginCross}},
		Order: &sdk.OrderRequest{Market: sdk.MarketSpot, Symbol: "ETH/USDT", Side: sdk.Buy, Type: sdk.OrderLimit,
			Quantity: d("0.1"), Price: d("2500.5"), ClientOrderID: "conformance-1"},
		UnknownSymbol: "NOPE/USDT",
		BadSecret:     &bad,
		Fake:          fake,
		Paths:         paths,
		Info:          "testdata/info.txt",
	}
}
