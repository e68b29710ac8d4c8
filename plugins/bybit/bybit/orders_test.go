package bybit_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/bybit/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// lastOrder is the last order the fake accepted.
func lastOrder(t *testing.T, e *env) fake.Order {
	t.Helper()
	orders := e.Fake.Orders(apiKey)
	if len(orders) == 0 {
		t.Fatal("no order reached the fake")
	}
	return orders[len(orders)-1]
}

// placeSetup arranges the account for an order: its position mode and
// the positions it holds.
type placeSetup = plugintest.Book[fake.Position]

// TestPlaceOrder places orders the exchange takes; testdata/orders.txt
// says what each must send, exactly as signed, what the fake made of it,
// how many position-mode reads came before it, and the order it comes
// back as: an acknowledgement, which knows no fills but has a time.
func TestPlaceOrder(t *testing.T) {
	plugintest.RunPlacements(t, "testdata/orders.txt", []plugintest.Placement[placeSetup]{
		{Name: "spot market buy by quote amount", Req: sdk.OrderRequest{Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "market", QuoteQuantity: d("600"), ClientOrderID: "alert-1"}},
		{Name: "spot market buy by base amount says so", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "BUY", Type: "Market", Quantity: d("0.0100")}},
		{Name: "spot market sell by base amount: the default unit", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("0.01")}},
		{Name: "spot market sell by quote amount", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", QuoteQuantity: d("300")}},
		{Name: "spot limit sell", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("0.10000"), Price: d("70000.50"), ClientOrderID: "spot-test-01"}},
		{Name: "linear market, one-way (the documented example body)", Req: sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")}},
		{Name: "linear reduce-only limit close, one-way (the documented example body)", Setup: placeSetup{Positions: []fake.Position{{Symbol: "BTCUSDT", PositionIdx: 0, Side: "Buy", Size: "1", AvgPrice: "50000", MarkPrice: "60000"}}}, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "limit", Quantity: d("1"), Price: d("30000"), ReduceOnly: true}},
		{Name: "hedge mode: a sell opens the short side", Setup: placeSetup{Hedge: true}, Req: sdk.OrderRequest{Market: "futures", Symbol: "ETH/USDT", Side: "sell", Type: "limit", Quantity: d("1"), Price: d("3500"), ClientOrderID: "h_1"}},
		{Name: "hedge mode: reduce-only sell closes the long side", Setup: placeSetup{Hedge: true, Positions: []fake.Position{{Symbol: "BTCUSDT", PositionIdx: 1, Side: "Buy", Size: "0.01", AvgPrice: "50000", MarkPrice: "60000"}}}, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true}},
		{Name: "hedge mode: buying on the short side closes it", Setup: placeSetup{Hedge: true, Positions: []fake.Position{{Symbol: "BTCUSDT", PositionIdx: 2, Side: "Sell", Size: "0.02", AvgPrice: "50000", MarkPrice: "60000"}}}, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.02"), PositionSide: "short"}},
		{Name: "a position side on a one-way symbol: closing becomes reduce-only", Setup: placeSetup{Positions: []fake.Position{{Symbol: "BTCUSDT", PositionIdx: 0, Side: "Sell", Size: "0.01", AvgPrice: "50000", MarkPrice: "60000"}}}, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01"), PositionSide: "short"}},
	}, func(t *testing.T, s placeSetup) plugintest.Arranged {
		e := funded(t, s.Hedge)
		if s.Positions != nil {
			e.Fake.Update(apiKey, func(a *fake.Account) { a.Positions = s.Positions })
		}
		return plugintest.Arranged{Exchange: e.C, Account: e.Acct, Placed: func(t *testing.T) plugintest.Placed {
			placed := lastOrder(t, e)
			return plugintest.Placed{ID: placed.OrderID, Facts: []string{"sent " + placed.Body, "at the fake " + placed.Status,
				fmt.Sprintf("requests: %d position reads, %d orders", e.Fake.Calls("/v5/position/list"), e.Fake.Calls("/v5/order/create"))}}
		}}
	})
}

func TestPlaceOrderRejectedLocally(t *testing.T) {
	tests := []plugintest.OrderRow{
		{Name: "bad symbol", Req: sdk.OrderRequest{Symbol: "BTCUSDT", Side: "buy", Type: "market", Quantity: d("1")}},
		{Name: "USDC perpetual", Req: sdk.OrderRequest{Symbol: "BTC/USDC:USDC", Side: "buy", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnsupported},
		{Name: "settled in another coin", Req: sdk.OrderRequest{Symbol: "BTC/USD:BTC", Side: "buy", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnknownSymbol},
		{Name: "position side on spot", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("1"), PositionSide: "long"}},
		{Name: "reduce-only buy on the long side", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1"), ReduceOnly: true, PositionSide: "long"}},
		{Name: "client id with a colon", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("1"), ClientOrderID: "a:b"}},
		{Name: "client id too long", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1"), ClientOrderID: strings.Repeat("a", 37)}},
	}
	e := funded(t, false)
	plugintest.RefuseLocally(t, e.C, e.Acct, e.Fake, tests)
}

func TestPlaceOrderRejectedByExchange(t *testing.T) {
	// Setup: the key the fake holds instead of the full one, when not nil.
	dup := func(symbol string) *sdk.OrderRequest {
		return &sdk.OrderRequest{Symbol: symbol, Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("10000"), ClientOrderID: "dup"}
	}
	plugintest.RunRefusals(t, []plugintest.Refusal[*fake.Key]{
		{Name: "unknown spot symbol", Req: sdk.OrderRequest{Symbol: "DOGE/EUR", Side: "buy", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnknownSymbol, Code: "170121"},
		{Name: "unknown perpetual: found by the position-mode read", Req: sdk.OrderRequest{Symbol: "DOGE/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnknownSymbol, Code: "10001"},
		{Name: "spot balance short", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("1"), Price: d("60000")}, Kind: sdk.KindInsufficientFunds, Code: "170131"},
		{Name: "linear margin short", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("10")}, Kind: sdk.KindInsufficientFunds, Code: "110007"},
		{Name: "reduce-only with nothing to reduce", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("1"), ReduceOnly: true}, Kind: sdk.KindInvalidRequest, Code: "110017"},
		{Name: "read-only key", Setup: &fake.Key{APIKey: apiKey, Secret: secret, ReadOnly: true, Permissions: map[string][]string{"Spot": {"SpotTrade"}}}, Req: plugintest.SpotBuy, Kind: sdk.KindPermission, Code: "10005"},
		{Name: "no contract permission", Setup: &fake.Key{APIKey: apiKey, Secret: secret, Permissions: map[string][]string{"Spot": {"SpotTrade"}}}, Req: plugintest.FuturesBuy, Kind: sdk.KindPermission, Code: "10005"},
		// A client order id must be unique, on each category.
		{Name: "duplicate spot client order id", Before: dup("BTC/USDT"), Req: *dup("BTC/USDT"), Kind: sdk.KindInvalidRequest, Code: "170141"},
		{Name: "duplicate linear client order id", Before: dup("BTC/USDT:USDT"), Req: *dup("BTC/USDT:USDT"), Kind: sdk.KindInvalidRequest, Code: "110072"},
	}, func(t *testing.T, key *fake.Key) plugintest.Arranged {
		e := funded(t, false)
		if key != nil {
			e.Fake.AddKey(*key)
		}
		return plugintest.Arranged{Exchange: e.C, Account: e.Acct, Orders: func() int { return len(e.Fake.Orders(apiKey)) }}
	})
}

func TestCancelOrder(t *testing.T) {
	e := funded(t, false)
	spot := plugintest.MustPlace(t, e.C, e.Acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("10000"), ClientOrderID: "c-1"})
	if locked := e.Fake.Account(apiKey).Coins[0]; locked.Coin != "USDT" || locked.Locked != "10" {
		t.Fatalf("a resting buy should lock its cost: %+v", locked)
	}
	lin := plugintest.MustPlace(t, e.C, e.Acct, sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "buy", Type: "limit", Quantity: d("0.5"), Price: d("2000"), ClientOrderID: "linear-004"})
	filled := plugintest.MustPlace(t, e.C, e.Acct, sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.1")})
	plugintest.RunCancels(t, e.C, e.Acct, e.Fake, []plugintest.CancelRow{
		{Name: "spot by client id", Req: sdk.CancelRequest{Market: "spot", Symbol: "BTC/USDT", ClientOrderID: "c-1"}, Body: `{"category":"spot","symbol":"BTCUSDT","orderLinkId":"c-1"}`, Want: sdk.Order{ID: spot.ID, ClientOrderID: "c-1", Market: "spot", Symbol: "BTC/USDT", Status: sdk.StatusCanceled}},
		{Name: "linear by order id, which wins over the client id", Req: sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: lin.ID, ClientOrderID: "other"}, Body: `{"category":"linear","symbol":"ETHUSDT","orderId":"` + lin.ID + `"}`, Want: sdk.Order{ID: lin.ID, ClientOrderID: "linear-004", Market: "futures", Symbol: "ETH/USDT:USDT", Status: sdk.StatusCanceled}},
		{Name: "again: already cancelled", Req: sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: lin.ID}, Kind: sdk.KindInvalidRequest, Code: "110010"},
		{Name: "a filled order", Req: sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: filled.ID}, Kind: sdk.KindInvalidRequest, Code: "110008"},
		{Name: "unknown linear order", Req: sdk.CancelRequest{Symbol: "BTC/USDT:USDT", ClientOrderID: "nope"}, Kind: sdk.KindOrderNotFound, Code: "110001"},
		{Name: "unknown spot order", Req: sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "42"}, Kind: sdk.KindOrderNotFound, Code: "170213"},
		{Name: "unknown symbol", Req: sdk.CancelRequest{Symbol: "DOGE/EUR", OrderID: "42"}, Kind: sdk.KindUnknownSymbol, Code: "170121"},
		{Name: "id with odd characters", Req: sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "1&x=2"}, Kind: sdk.KindInvalidRequest},
		{Name: "client id with odd characters", Req: sdk.CancelRequest{Symbol: "BTC/USDT", ClientOrderID: "a b"}, Kind: sdk.KindInvalidRequest},
	})
	a := e.Fake.Account(apiKey)
	for _, o := range a.Orders[:2] {
		if o.Status != "Cancelled" {
			t.Errorf("order %s is %s at the fake", o.OrderID, o.Status)
		}
	}
	if a.Coins[0].Locked != "0" {
		t.Errorf("cancelling did not release the lock: %+v", a.Coins[0])
	}
}
