package bitget_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/bitget/bitget"
	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

// placeSetup arranges the account for an order: its position mode, the
// positions it holds and its per-symbol settings.
type placeSetup struct {
	hedge    bool
	pos      []fake.Position
	settings map[string]fake.Settings
}

// placed is what the fake holds of the one order a test placed: the body
// it received, exactly, and its status there, with the requests to paths.
func placed(t *testing.T, e *env, paths ...string) plugintest.Placed {
	t.Helper()
	orders := e.Fake.Orders(apiKey)
	if len(orders) != 1 {
		t.Fatalf("orders at the fake: %d", len(orders))
	}
	facts := []string{"sent " + orders[0].Body, "at the fake " + orders[0].Status}
	for _, p := range paths {
		facts = append(facts, fmt.Sprintf("requests to %s: %d", p, e.Fake.Calls(p)))
	}
	return plugintest.Placed{ID: orders[0].OrderID, Facts: facts}
}

// bothKinds are the orders Classic and unified accounts both take, under
// the names testdata/orders.txt (classic) or testdata/uta_orders.txt gives
// them: where the two place an order differently, the names say so.
func bothKinds(classic bool) []plugintest.Placement[placeSetup] {
	name := func(classicName, utaName string) string {
		if classic {
			return classicName
		}
		return utaName
	}
	long := []fake.Position{{Symbol: "BTCUSDT", HoldSide: "long", Total: "0.01", OpenPriceAvg: "50000", MarkPrice: "60000", UnrealizedPL: "100"}}
	return []plugintest.Placement[placeSetup]{
		{Name: "spot market buy sized in quote", Req: sdk.OrderRequest{Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "market", QuoteQuantity: d("600"), ClientOrderID: "alert-1"}},
		{Name: name("spot limit sell, trailing zeros dropped", "spot limit sell"), Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("0.10000"), Price: d("70000.50")}},
		{Name: "futures market, one-way", Req: sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.002"), ClientOrderID: "x:1/a.b"}},
		{Name: "futures reduce-only close, one-way", Setup: placeSetup{pos: long}, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true}},
		{Name: name("futures limit on the spot form of the symbol, isolated margin", "futures limit on the spot form of the symbol, isolated margin from the settings"), Setup: placeSetup{settings: map[string]fake.Settings{"ETHUSDT": {MarginMode: "isolated", Leverage: 5}}}, Req: sdk.OrderRequest{Market: "futures", Symbol: "ETH/USDT", Side: "sell", Type: "limit", Quantity: d("1"), Price: d("3500")}},
		{Name: "hedge mode: opening a short", Setup: placeSetup{hedge: true}, Req: sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "sell", Type: "limit", Quantity: d("1"), Price: d("3500")}},
		{Name: name("hedge mode: reduce-only sell closes the long, side names the position", "hedge mode: reduce-only sell closes the long, side stays the direction"), Setup: placeSetup{hedge: true, pos: long}, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true}},
		{Name: "hedge mode: buying back a short by position side", Setup: placeSetup{hedge: true, pos: []fake.Position{{Symbol: "BTCUSDT", HoldSide: "short", Total: "0.02", OpenPriceAvg: "65000", MarkPrice: "60000", UnrealizedPL: "100"}}}, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.02"), PositionSide: "short"}},
	}
}

// TestPlaceOrder places orders on a Classic account; testdata/orders.txt
// says what each must send, what the fake made of it, the requests it
// took (a futures order reads the account's modes first) and the order it
// comes back as.
func TestPlaceOrder(t *testing.T) {
	plugintest.RunPlacements(t, "testdata/orders.txt", append(bothKinds(true), []plugintest.Placement[placeSetup]{
		{Name: "spot market sell sized in base", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "SELL", Type: "Market", Quantity: d("0.2")}},
		{Name: "spot limit buy: the documented POST vector", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("30000"), ClientOrderID: "t-1"}},
		{Name: "hedge mode: opening a long by position side", Setup: placeSetup{hedge: true}, Req: plugintest.HedgedBuy},
		{Name: "one-way: a position side against the direction closes reduce-only", Setup: placeSetup{pos: []fake.Position{{Symbol: "BTCUSDT", HoldSide: "short", Total: "0.01", OpenPriceAvg: "50000", MarkPrice: "60000", UnrealizedPL: "-100"}}}, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01"), PositionSide: "short"}},
	}...), func(t *testing.T, s placeSetup) plugintest.Arranged {
		e := funded(t, s.hedge)
		e.Fake.Update(apiKey, func(a *fake.Account) { a.Positions, a.Settings = s.pos, s.settings })
		return plugintest.Arranged{Exchange: e.C, Account: e.Acct, Placed: func(t *testing.T) plugintest.Placed {
			return placed(t, e, fake.PathSpotPlace, fake.PathFuturesAccount, fake.PathFuturesPlace)
		}}
	})
}

// TestPlaceOrderMovesTheFake checks the fake's books after orders, so the
// fake's own model (used by the other tests) is right.
func TestPlaceOrderMovesTheFake(t *testing.T) {
	e := funded(t, false)
	if _, err := e.C.PlaceOrder(ctx(t), e.Acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", QuoteQuantity: d("600")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.C.PlaceOrder(ctx(t), e.Acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("0.3"), Price: d("70000")}); err != nil {
		t.Fatal(err)
	}
	got, err := e.C.SpotBalances(ctx(t), e.Acct)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range got {
		switch b.Asset {
		case "USDT":
			eq(t, "USDT free", b.Free, "400")
		case "BTC":
			eq(t, "BTC free", b.Free, "0.21")
			eq(t, "BTC locked", b.Locked, "0.3")
		}
	}
	if _, err := e.C.PlaceOrder(ctx(t), e.Acct, sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "sell", Type: "market", Quantity: d("2")}); err != nil {
		t.Fatal(err)
	}
	ps, err := e.C.Positions(ctx(t), e.Acct)
	if err != nil || len(ps) != 1 || ps[0].Side != sdk.SideShort || !ps[0].Size.Equal(d("2")) || !ps[0].EntryPrice.Equal(d("3000")) {
		t.Fatalf("positions %+v, %v", ps, err)
	}
	// One-way: buying more than the short flips it long.
	if _, err := e.C.PlaceOrder(ctx(t), e.Acct, sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "buy", Type: "market", Quantity: d("3")}); err != nil {
		t.Fatal(err)
	}
	ps, err = e.C.Positions(ctx(t), e.Acct)
	if err != nil || len(ps) != 1 || ps[0].Side != sdk.SideLong || !ps[0].Size.Equal(d("1")) {
		t.Fatalf("positions after the flip %+v, %v", ps, err)
	}
}

func TestPlaceOrderRejectedLocally(t *testing.T) {
	tests := []plugintest.OrderRow{
		{Name: "bad symbol", Req: sdk.OrderRequest{Symbol: "BTCUSDT", Side: "buy", Type: "market", QuoteQuantity: d("1")}},
		{Name: "USDC perpetual", Req: sdk.OrderRequest{Symbol: "BTC/USDC:USDC", Side: "buy", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnsupported},
		{Name: "coin-margined", Req: sdk.OrderRequest{Symbol: "BTC/USD:BTC", Side: "buy", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnknownSymbol},
		{Name: "spot market buy by base quantity", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("1")}},
		{Name: "spot market sell by quote", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", QuoteQuantity: d("100")}},
		{Name: "position side on spot", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("1"), PositionSide: "long"}},
		{Name: "client id with a space", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("1"), ClientOrderID: "a b"}},
		{Name: "client id too long", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1"), ClientOrderID: strings.Repeat("a", 51)}},
		{Name: "reduce-only that cannot reduce", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1"), PositionSide: "long", ReduceOnly: true}},
	}
	e := funded(t, false)
	plugintest.RefuseLocally(t, e.C, e.Acct, e.Fake, tests)
}

// refusalSetup arranges an account for a refusal: hedge mode, and the
// key's permissions (the full key's when nil; set on UTA keys only).
type refusalSetup struct {
	hedge bool
	perms []string
}

// exchangeRefusals are the orders Bitget refuses, each with its code,
// alike on Classic and on UTA accounts.
func exchangeRefusals() []plugintest.Refusal[refusalSetup] {
	return []plugintest.Refusal[refusalSetup]{
		{Name: "unknown spot symbol", Req: sdk.OrderRequest{Symbol: "DOGE/EUR", Side: "sell", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnknownSymbol, Code: "40034"},
		{Name: "unknown perpetual", Req: sdk.OrderRequest{Symbol: "DOGE/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnknownSymbol, Code: "40034"},
		{Name: "spot balance short", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("1"), Price: d("60000")}, Kind: sdk.KindInsufficientFunds, Code: "43012"},
		{Name: "futures margin short", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("10")}, Kind: sdk.KindInsufficientFunds, Code: "40762"},
		{Name: "below the minimum", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", QuoteQuantity: d("0.5")}, Kind: sdk.KindInvalidRequest, Code: "45110"},
		{Name: "reduce-only with nothing to reduce", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("1"), ReduceOnly: true}, Kind: sdk.KindInvalidRequest, Code: "22002"},
		{Name: "hedge close with nothing to close", Setup: refusalSetup{hedge: true}, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("1"), ReduceOnly: true}, Kind: sdk.KindInvalidRequest, Code: "22002"},
	}
}

func TestPlaceOrderRejectedByExchange(t *testing.T) {
	plugintest.RunRefusals(t, exchangeRefusals(), func(t *testing.T, s refusalSetup) plugintest.Arranged {
		e := funded(t, s.hedge)
		return plugintest.Arranged{Exchange: e.C, Account: e.Acct, Orders: func() int { return len(e.Fake.Orders(apiKey)) }}
	})
}

// TestReduceOnlyWithoutOrderID: a one-way reduce-only order that takes the
// reduce-only total over the position is answered without an order id;
// the order is returned by its client order id.
func TestReduceOnlyWithoutOrderID(t *testing.T) {
	e := funded(t, false)
	e.Fake.Update(apiKey, func(a *fake.Account) {
		a.Positions = []fake.Position{{Symbol: "BTCUSDT", HoldSide: "long", Total: "0.01", OpenPriceAvg: "50000", MarkPrice: "60000"}}
	})
	req := sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "limit", Quantity: d("0.01"), Price: d("70000"), ReduceOnly: true}
	first, err := e.C.PlaceOrder(ctx(t), e.Acct, req)
	if err != nil || first.ID == "" {
		t.Fatalf("first: %+v, %v", first, err)
	}
	second, err := e.C.PlaceOrder(ctx(t), e.Acct, req)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != "" || second.ClientOrderID != "auto-2" || second.Status != sdk.StatusNew {
		t.Fatalf("second %+v, want no id and client id auto-2", second)
	}
	if _, err := e.C.CancelOrder(ctx(t), e.Acct, sdk.CancelRequest{Symbol: "BTC/USDT:USDT", ClientOrderID: second.ClientOrderID}); err != nil {
		t.Fatalf("cancel by client id: %v", err)
	}
	for _, o := range e.Fake.Orders(apiKey) {
		if o.Status != "cancelled" {
			t.Errorf("order %s is %s", o.ClientOid, o.Status)
		}
	}
}

// TestGeneratedClientOid: without a client order id the connector sends
// one of its own making, Bitget-safe.
func TestGeneratedClientOid(t *testing.T) {
	real := funded(t, false)
	real.C = bitget.New()
	o, err := real.C.PlaceOrder(ctx(t), real.Acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("10000")})
	if err != nil {
		t.Fatal(err)
	}
	sent := real.Fake.Orders(apiKey)[0].ClientOid
	if o.ClientOrderID != sent || !strings.HasPrefix(sent, "gah-") || len(sent) > 50 || strings.Trim(sent, "abcdefghijklmnopqrstuvwxyz234567-") != "" {
		t.Fatalf("client order id %q (sent %q)", o.ClientOrderID, sent)
	}
}

// usdtWhole fails t unless the account's USDT is as funded left it, 1000
// free and none locked: what a cancel that released its order leaves.
func usdtWhole(t *testing.T, e *env) {
	t.Helper()
	got, err := e.C.SpotBalances(ctx(t), e.Acct)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range got {
		if b.Asset == "USDT" && (!b.Free.Equal(d("1000")) || !b.Locked.IsZero()) {
			t.Errorf("USDT after cancel %+v", b)
		}
	}
}

func TestCancelOrder(t *testing.T) {
	e := funded(t, false)
	spot, fut := plugintest.RestingOrders(t, e.C, e.Acct, "c-1")
	plugintest.RunCancels(t, e.C, e.Acct, e.Fake, []plugintest.CancelRow{
		{Name: "spot by client id", Req: sdk.CancelRequest{Market: "spot", Symbol: "BTC/USDT", ClientOrderID: "c-1"}, Body: `{"symbol":"BTCUSDT","clientOid":"c-1"}`, Want: sdk.Order{ID: spot.ID, ClientOrderID: "c-1", Market: "spot", Symbol: "BTC/USDT", Status: sdk.StatusCanceled}},
		{Name: "futures by order id", Req: sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: fut.ID, ClientOrderID: "ignored"}, Body: `{"symbol":"ETHUSDT","productType":"USDT-FUTURES","marginCoin":"USDT","orderId":"` + fut.ID + `"}`, Want: sdk.Order{ID: fut.ID, ClientOrderID: fut.ClientOrderID, Market: "futures", Symbol: "ETH/USDT:USDT", Status: sdk.StatusCanceled}},
		{Name: "again: no longer open", Req: sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: fut.ID}, Kind: sdk.KindOrderNotFound, Code: "40768"},
		{Name: "spot unknown order", Req: sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "1"}, Kind: sdk.KindOrderNotFound, Code: "43001"},
		{Name: "id not a number", Req: sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "abc"}, Kind: sdk.KindInvalidRequest},
		{Name: "bad symbol", Req: sdk.CancelRequest{Symbol: "BTC-USDT", OrderID: "1"}, Kind: sdk.KindInvalidRequest},
	})
	for _, o := range e.Fake.Orders(apiKey) {
		if o.Status != "cancelled" {
			t.Errorf("order %s is %s at the exchange", o.OrderID, o.Status)
		}
	}
	// The spot cancel released the frozen USDT.
	usdtWhole(t, e)
}
