package okx_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/okx/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// placeSetup arranges the account for an order: its position mode and
// account level ("" for the fake's defaults), and the positions it holds.
type placeSetup struct {
	posMode, acctLv string
	pos             []fake.Position
}

// TestPlaceOrder places orders the exchange takes; testdata/orders.txt
// says what each must send, exactly, and the order it comes back as:
// swap sizes go in contracts and come back in coins.
func TestPlaceOrder(t *testing.T) {
	long := fake.Position{InstID: "BTC-USDT-SWAP", MgnMode: "isolated", PosSide: "long", Pos: "2", AvgPx: "50000", MarkPx: "60000", Upl: "200", Lever: "10"}
	plugintest.RunPlacements(t, "testdata/orders.txt", []plugintest.Placement[placeSetup]{
		{Name: "spot limit buy with a client id", Req: sdk.OrderRequest{Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("50000.0"), ClientOrderID: "b15"}},
		{Name: "spot market buy spending quote", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", QuoteQuantity: d("100")}},
		{Name: "spot market buy in base units says so", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "BUY", Type: "MARKET", Quantity: d("0.001")}},
		{Name: "spot market sell", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("0.001")}},
		{Name: "spot in multi-currency margin mode trades cross", Setup: placeSetup{acctLv: "3"}, Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("0.25"), Price: d("70000")}},
		{Name: "swap market buy, one-way: 0.01 BTC is 1 contract", Req: sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01")}},
		{Name: "swap limit buy opens a long in hedge mode", Setup: placeSetup{posMode: "long_short_mode"}, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "limit", Quantity: d("0.02"), Price: d("50000")}},
		{Name: "swap sell opens a short in hedge mode", Setup: placeSetup{posMode: "long_short_mode"}, Req: sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.5"), ClientOrderID: "Alert42"}},
		{Name: "reduce-only close in one-way mode", Setup: placeSetup{pos: []fake.Position{{InstID: "BTC-USDT-SWAP", MgnMode: "cross", PosSide: "net", Pos: "1", AvgPx: "50000", MarkPx: "60000", Upl: "100", Lever: "10"}}}, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true}},
		{Name: "reduce-only close of an isolated position keeps its margin mode", Setup: placeSetup{pos: []fake.Position{{InstID: "BTC-USDT-SWAP", MgnMode: "isolated", PosSide: "net", Pos: "-3", AvgPx: "50000", MarkPx: "60000", Upl: "-300", Lever: "10"}}}, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.03"), ReduceOnly: true}},
		{Name: "hedge mode: reduce-only sell closes the long side", Setup: placeSetup{posMode: "long_short_mode", pos: []fake.Position{long}}, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.02"), ReduceOnly: true}},
		{Name: "one-way: a named short side bought back is reduce-only", Setup: placeSetup{pos: []fake.Position{{InstID: "ETH-USDT-SWAP", MgnMode: "cross", PosSide: "net", Pos: "-10", AvgPx: "3000", MarkPx: "3000", Upl: "0", Lever: "10"}}}, Req: sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1"), PositionSide: "short"}},
		{Name: "futures market with the spot form of the symbol", Req: sdk.OrderRequest{Market: "futures", Symbol: "ETH/USDT", Side: "buy", Type: "limit", Quantity: d("0.05"), Price: d("2999.99")}},
	}, func(t *testing.T, s placeSetup) plugintest.Arranged {
		e := funded(t, s.posMode)
		e.Fake.Update(apiKey, func(a *fake.Account) { a.AcctLv, a.Positions = s.acctLv, s.pos })
		return plugintest.Arranged{Exchange: e.C, Account: e.Acct, Placed: func(t *testing.T) plugintest.Placed {
			orders := e.Fake.Orders(apiKey)
			if len(orders) != 1 {
				t.Fatalf("orders at the exchange %d, want 1", len(orders))
			}
			return plugintest.Placed{ID: orders[0].OrdID, Facts: []string{"sent " + orders[0].Body,
				fmt.Sprintf("order requests %d", e.Fake.Calls("/api/v5/trade/order"))}}
		}}
	})
}

// TestModesAreCached: the account config is read for the first order and
// reused after (its budget is 5 per 2 s); a mode change on OKX is
// picked up from the rejection it causes, and the order is sent again
// once, built for the new mode.
func TestModesAreCached(t *testing.T) {
	e := funded(t, "net_mode")
	req := sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01")}
	for range 2 {
		if _, err := e.C.PlaceOrder(ctx(t), e.Acct, req); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.Fake.Calls("/api/v5/account/config"); n != 1 {
		t.Fatalf("config reads %d, want 1", n)
	}
	e.Fake.Update(apiKey, func(a *fake.Account) { a.PosMode = "long_short_mode" })
	if _, err := e.C.PlaceOrder(ctx(t), e.Acct, req); err != nil {
		t.Fatalf("order after the switch to hedge mode: %v", err)
	}
	if n := e.Fake.Calls("/api/v5/account/config"); n != 2 {
		t.Fatalf("config reads %d, want 2", n)
	}
	orders := e.Fake.Orders(apiKey)
	if len(orders) != 3 || !strings.Contains(orders[2].Body, `"posSide":"long"`) {
		t.Fatalf("orders %+v", orders)
	}
	if n := e.Fake.Calls("/api/v5/trade/order"); n != 4 {
		t.Fatalf("order requests %d, want 4 (2, then a rejection and its retry)", n)
	}
	// A genuine parameter error is not retried: the modes did not change.
	e.Fake.ResetLog()
	plugintest.MustPlace(t, e.C, e.Acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01"), PositionSide: "long", ClientOrderID: "x"})
	if n := e.Fake.Calls("/api/v5/trade/order"); n != 1 {
		t.Fatalf("order requests %d, want 1", n)
	}
}

func TestPlaceOrderRejectedLocally(t *testing.T) {
	tests := []plugintest.OrderRow{
		{Name: "bad symbol", Req: sdk.OrderRequest{Symbol: "BTC-USDT", Side: "buy", Type: "market", Quantity: d("1")}},
		{Name: "coin-margined swap", Req: sdk.OrderRequest{Symbol: "BTC/USD:BTC", Side: "buy", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnsupported},
		{Name: "position side on spot", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("1"), PositionSide: "long"}},
		{Name: "client id with a hyphen (a UUID)", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("1"), ClientOrderID: "6b9ad766-b55d"}},
		{Name: "client id with an underscore", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("1"), ClientOrderID: "a_b"}},
		{Name: "client id too long", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1"), ClientOrderID: strings.Repeat("a", 33)}},
	}
	e := funded(t, "")
	plugintest.RefuseLocally(t, e.C, e.Acct, e.Fake, tests)
}

// TestSwapQuantityMustBeWholeLots: the connector converts coins to
// contracts exactly or refuses; it never rounds an order.
func TestSwapQuantityMustBeWholeLots(t *testing.T) {
	tests := []struct {
		name, qty, substr string
	}{
		{"a fraction of a lot", "0.00015", "not a whole number of lots"},
		{"no quantity at all", "0", "needs either"},
	}
	e := funded(t, "")
	e.Fake.List(fake.Instrument{InstType: "SWAP", InstID: "SOL-USDT-SWAP", SettleCcy: "USDT", CtType: "linear", CtVal: "1", CtMult: "1",
		LotSz: "1", MinSz: "5", TickSz: "0.01", InstFamily: "SOL-USDT", Price: "150"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.C.PlaceOrder(ctx(t), e.Acct, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d(tt.qty)})
			if sdk.KindOf(err) != sdk.KindInvalidRequest || !strings.Contains(err.Error(), tt.substr) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	_, err := e.C.PlaceOrder(ctx(t), e.Acct, sdk.OrderRequest{Symbol: "SOL/USDT:USDT", Side: "buy", Type: "market", Quantity: d("3")})
	if sdk.KindOf(err) != sdk.KindInvalidRequest || !strings.Contains(err.Error(), "below the minimum of 5 SOL") {
		t.Fatalf("below minimum: %v", err)
	}
	if n := e.Fake.Calls("/api/v5/trade/order"); n != 0 {
		t.Fatalf("%d orders reached the exchange", n)
	}
}

// okxSetup arranges the account for a refusal: its account level ("" for
// the fake's default), and the key the fake holds instead of the full one.
type okxSetup struct {
	acctLv string
	key    *fake.Key
}

func TestPlaceOrderRejectedByExchange(t *testing.T) {
	dup := sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("10000"), ClientOrderID: "dup1"}
	plugintest.RunRefusals(t, []plugintest.Refusal[okxSetup]{
		{Name: "unknown spot symbol", Req: sdk.OrderRequest{Symbol: "DOGE/EUR", Side: "buy", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnknownSymbol, Code: "51001"},
		{Name: "unknown swap: not in the instrument list", Req: sdk.OrderRequest{Symbol: "DOGE/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnknownSymbol},
		{Name: "spot balance short", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("1"), Price: d("60000")}, Kind: sdk.KindInsufficientFunds, Code: "51008"},
		{Name: "swap margin short", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("10")}, Kind: sdk.KindInsufficientFunds, Code: "51008"},
		{Name: "spot below the minimum", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("0.000001"), Price: d("60000")}, Kind: sdk.KindInvalidRequest, Code: "51020"},
		{Name: "spot not a lot multiple", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("0.000100001"), Price: d("60000")}, Kind: sdk.KindInvalidRequest, Code: "51121"},
		{Name: "swaps in spot mode", Setup: okxSetup{acctLv: "1"}, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01")}, Kind: sdk.KindUnsupported, Code: "51010"},
		{Name: "read-only key", Setup: okxSetup{key: &fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase}}, Req: plugintest.SpotBuy, Kind: sdk.KindPermission, Code: "50120"},
		// A client order id still pending is a duplicate.
		{Name: "duplicate client order id", Before: &dup, Req: dup, Kind: sdk.KindInvalidRequest, Code: "51016"},
	}, func(t *testing.T, s okxSetup) plugintest.Arranged {
		e := funded(t, "")
		if s.key != nil {
			e.Fake.AddKey(*s.key)
		}
		e.Fake.Update(apiKey, func(a *fake.Account) { a.AcctLv = s.acctLv })
		return plugintest.Arranged{Exchange: e.C, Account: e.Acct, Orders: func() int { return len(e.Fake.Orders(apiKey)) }}
	})
}

func TestCancelOrder(t *testing.T) {
	e := funded(t, "")
	spot, swap := plugintest.RestingOrders(t, e.C, e.Acct, "c1")
	plugintest.RunCancels(t, e.C, e.Acct, e.Fake, []plugintest.CancelRow{
		{Name: "spot by client id", Req: sdk.CancelRequest{Market: "spot", Symbol: "BTC/USDT", ClientOrderID: "c1"}, Body: `{"instId":"BTC-USDT","clOrdId":"c1"}`, Want: sdk.Order{ID: spot.ID, ClientOrderID: "c1", Market: "spot", Symbol: "BTC/USDT", Status: sdk.StatusCanceled}},
		{Name: "swap by order id", Req: sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: swap.ID}, Body: `{"instId":"ETH-USDT-SWAP","ordId":"` + swap.ID + `"}`, Want: sdk.Order{ID: swap.ID, Market: "futures", Symbol: "ETH/USDT:USDT", Status: sdk.StatusCanceled}},
		{Name: "again: already cancelled", Req: sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: swap.ID}, Kind: sdk.KindOrderNotFound, Code: "51400"},
		{Name: "unknown instrument", Req: sdk.CancelRequest{Symbol: "DOGE/EUR", OrderID: "1"}, Kind: sdk.KindUnknownSymbol, Code: "51001"},
		{Name: "id not a number", Req: sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "abc"}, Kind: sdk.KindInvalidRequest},
		{Name: "client id with a hyphen", Req: sdk.CancelRequest{Symbol: "BTC/USDT", ClientOrderID: "a-b"}, Kind: sdk.KindInvalidRequest},
	})
	cancels := 0
	for _, r := range e.Fake.Requests() {
		if r.Path == "/api/v5/trade/cancel-order" {
			cancels++
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("cancel sent as %q", ct)
			}
		}
	}
	if cancels < 2 {
		t.Errorf("%d cancels reached the fake", cancels)
	}
	for _, o := range e.Fake.Orders(apiKey) {
		if o.State != "canceled" {
			t.Errorf("order %s is %s at the exchange", o.OrdID, o.State)
		}
	}
}
