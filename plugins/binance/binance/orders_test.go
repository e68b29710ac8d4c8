package binance_test

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func funded(t *testing.T, hedge bool) *env {
	t.Helper()
	e := newEnv(t)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Spot = []fake.Balance{{Asset: "USDT", Free: "1000", Locked: "0"}, {Asset: "BTC", Free: "0.5", Locked: "0"}}
		a.Futures = []fake.FuturesAsset{{Asset: "USDT", WalletBalance: "1000", UnrealizedProfit: "0", MarginBalance: "1000", AvailableBalance: "1000"}}
		a.HedgeMode = hedge
	})
	return e
}

// placeSetup arranges the account for an order: its position mode and
// the positions it holds.
type placeSetup = plugintest.Book[fake.Position]

// TestPlaceOrder places orders the exchange takes; testdata/orders.txt
// says what each must send (the signing parameters left out), how many
// order requests it takes (a hedge-mode account answers -4061 to an
// order without a position side, found once it is retried) and the order
// it comes back as.
func TestPlaceOrder(t *testing.T) {
	plugintest.RunPlacements(t, "testdata/orders.txt", []plugintest.Placement[placeSetup]{
		{Name: "spot market buy by quote amount", Req: sdk.OrderRequest{Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "market", QuoteQuantity: d("600"), ClientOrderID: "alert-1"}},
		{Name: "spot limit sell", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("0.10000"), Price: d("70000.50")}},
		{Name: "futures market, one-way", Req: sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.002"), ClientOrderID: "x:1/a.b"}},
		{Name: "futures reduce-only close, one-way", Setup: placeSetup{Positions: []fake.Position{{Symbol: "BTCUSDT", PositionSide: "BOTH", PositionAmt: "0.01", EntryPrice: "50000", MarkPrice: "60000", UnRealizedProfit: "100"}}}, Req: sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true}},
		{Name: "futures limit in hedge mode: position side found after -4061", Setup: placeSetup{Hedge: true}, Req: sdk.OrderRequest{Market: "futures", Symbol: "ETH/USDT", Side: "sell", Type: "limit", Quantity: d("1"), Price: d("3500")}},
		{Name: "hedge mode close: reduce-only becomes the long side", Setup: placeSetup{Hedge: true, Positions: []fake.Position{{Symbol: "BTCUSDT", PositionSide: "LONG", PositionAmt: "0.01", EntryPrice: "50000", MarkPrice: "60000", UnRealizedProfit: "100"}}}, Req: sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true}},
		{Name: "explicit position side in hedge mode goes through at once", Setup: placeSetup{Hedge: true}, Req: sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001"), PositionSide: "long"}},
		{Name: "explicit position side on a one-way account closes reduce-only", Setup: placeSetup{Positions: []fake.Position{{Symbol: "BTCUSDT", PositionSide: "BOTH", PositionAmt: "-0.01", EntryPrice: "50000", MarkPrice: "60000", UnRealizedProfit: "-100"}}}, Req: sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01"), PositionSide: "short"}},
	}, func(t *testing.T, s placeSetup) plugintest.Arranged {
		e := funded(t, s.Hedge)
		if s.Positions != nil {
			e.Fake.Update(apiKey, func(a *fake.Account) { a.Positions = s.Positions })
		}
		return plugintest.Arranged{Exchange: e.C, Account: e.Acct, Placed: func(t *testing.T) plugintest.Placed {
			orders := e.Fake.Orders(apiKey)
			last := orders[len(orders)-1]
			tries := e.Fake.Calls("/api/v3/order") + e.Fake.Calls("/fapi/v1/order")
			return plugintest.QueryPlaced(t, itoa(last.OrderID), last.Query, tries, "timestamp", "recvWindow", "signature")
		}}
	})
}

func TestPlaceOrderRejectedLocally(t *testing.T) {
	tests := []plugintest.OrderRow{
		{Name: "bad symbol", Req: sdk.OrderRequest{Symbol: "BTCUSDT", Side: "buy", Type: "market", Quantity: d("1")}},
		{Name: "spot client id with a colon", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("1"), ClientOrderID: "a:b"}},
		{Name: "client id too long", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1"), ClientOrderID: strings.Repeat("a", 37)}},
	}
	e := funded(t, false)
	plugintest.RefuseLocally(t, e.C, e.Acct, e.Fake, tests)
}

func TestPlaceOrderRejectedByExchange(t *testing.T) {
	dup := sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("10000"), ClientOrderID: "dup"}
	plugintest.RunRefusals(t, []plugintest.Refusal[struct{}]{
		{Name: "unknown spot symbol", Req: sdk.OrderRequest{Symbol: "DOGE/EUR", Side: "buy", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnknownSymbol, Code: "-1121"},
		{Name: "unknown perpetual", Req: sdk.OrderRequest{Symbol: "DOGE/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnknownSymbol, Code: "-1121"},
		{Name: "spot balance short", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("1"), Price: d("60000")}, Kind: sdk.KindInsufficientFunds, Code: "-2010"},
		{Name: "futures margin short", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("10")}, Kind: sdk.KindInsufficientFunds, Code: "-2019"},
		{Name: "reduce-only with nothing to reduce", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("1"), ReduceOnly: true}, Kind: sdk.KindInvalidRequest, Code: "-2022"},
		// A client order id still open is a duplicate.
		{Name: "duplicate client order id", Before: &dup, Req: dup, Kind: sdk.KindInvalidRequest, Code: "-2010", Text: "Duplicate"},
	}, func(t *testing.T, _ struct{}) plugintest.Arranged {
		e := funded(t, false)
		return plugintest.Arranged{Exchange: e.C, Account: e.Acct, Orders: func() int { return len(e.Fake.Orders(apiKey)) }}
	})
}

func TestCancelOrder(t *testing.T) {
	e := funded(t, false)
	spot, fut := plugintest.RestingOrders(t, e.C, e.Acct, "c-1")
	plugintest.RunCancels(t, e.C, e.Acct, e.Fake, []plugintest.CancelRow{
		{Name: "spot by client id", Req: sdk.CancelRequest{Market: "spot", Symbol: "BTC/USDT", ClientOrderID: "c-1"}, Want: sdk.Order{ID: spot.ID, ClientOrderID: "c-1", Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "limit", Status: sdk.StatusCanceled}},
		{Name: "futures by order id", Req: sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: fut.ID}, Want: sdk.Order{ID: fut.ID, ClientOrderID: fut.ClientOrderID, Market: "futures", Symbol: "ETH/USDT:USDT", Side: "buy", Type: "limit", Status: sdk.StatusCanceled}},
		{Name: "again: unknown order", Req: sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: fut.ID}, Kind: sdk.KindOrderNotFound, Code: "-2011"},
		{Name: "id not a number", Req: sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "abc"}, Kind: sdk.KindInvalidRequest},
	})
	for _, o := range e.Fake.Orders(apiKey) {
		if o.Status != "CANCELED" {
			t.Errorf("order %d is %s at the exchange", o.OrderID, o.Status)
		}
	}
}
