package bingx_test

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/bingx/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/fakex"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

const (
	swapOrderPath  = "/openApi/swap/v2/trade/order"
	spotOrderPath  = "/openApi/spot/v1/trade/order"
	spotCancelPath = "/openApi/spot/v1/trade/cancel"
	contractsPath  = "/openApi/swap/v2/quote/contracts"
	spotSymbolPath = "/openApi/spot/v1/common/symbols"
)

// placeSetup arranges the account for an order: its position mode and
// the positions it holds.
type placeSetup = plugintest.Book[fake.Position]

// TestPlaceOrder places orders the exchange takes; testdata/orders.txt
// says what each must send (the signing parameters left out), how many
// order requests it takes and the order it comes back as. Ids are above
// 2^53: any float64 on the way would change them.
func TestPlaceOrder(t *testing.T) {
	plugintest.RunPlacements(t, "testdata/orders.txt", []plugintest.Placement[placeSetup]{
		{Name: "spot market buy by quote amount", Req: sdk.OrderRequest{Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "market", QuoteQuantity: d("600"), ClientOrderID: "alert_1"}},
		{Name: "spot market sell by base amount", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("0.00123")}},
		{Name: "spot limit sell rests as PENDING", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("0.10000"), Price: d("70000.50")}},
		{Name: "swap market, one-way: BOTH, id lowercased", Req: sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.002"), ClientOrderID: "Alert-01J9ZX"}},
		{Name: "swap reduce-only close, one-way", Setup: placeSetup{Positions: []fake.Position{{Symbol: "BTC-USDT", PositionSide: "LONG", PositionAmt: "0.01", AvgPrice: "50000", MarkPrice: "60000", UnrealizedProfit: "100"}}}, Req: sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true}},
		{Name: "swap limit in hedge mode: position side found after 109400", Setup: placeSetup{Hedge: true}, Req: sdk.OrderRequest{Market: "futures", Symbol: "ETH/USDT", Side: "sell", Type: "limit", Quantity: d("1"), Price: d("3500")}},
		{Name: "hedge mode close: reduce-only becomes the long side", Setup: placeSetup{Hedge: true, Positions: []fake.Position{{Symbol: "BTC-USDT", PositionSide: "LONG", PositionAmt: "0.01", AvgPrice: "50000", MarkPrice: "60000", UnrealizedProfit: "100"}}}, Req: sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true}},
		{Name: "explicit position side in hedge mode goes through at once", Setup: placeSetup{Hedge: true}, Req: sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001"), PositionSide: "long"}},
		{Name: "explicit position side on a one-way account closes reduce-only", Setup: placeSetup{Positions: []fake.Position{{Symbol: "BTC-USDT", PositionSide: "SHORT", PositionAmt: "0.01", AvgPrice: "50000", MarkPrice: "60000", UnrealizedProfit: "-100"}}}, Req: sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01"), PositionSide: "short"}},
	}, func(t *testing.T, s placeSetup) plugintest.Arranged {
		e := funded(t, s.Hedge)
		if s.Positions != nil {
			e.Fake.Update(apiKey, func(a *fake.Account) { a.Positions = s.Positions })
		}
		return plugintest.Arranged{Exchange: e.C, Account: e.Acct, Placed: func(t *testing.T) plugintest.Placed {
			orders := e.Fake.Orders(apiKey)
			last := orders[len(orders)-1]
			tries := e.Fake.Calls(spotOrderPath) + e.Fake.Calls(swapOrderPath)
			return plugintest.QueryPlaced(t, itoa(last.OrderID), last.Query, tries, "timestamp", "signature")
		}}
	})
}

func TestPlaceOrderRejectedLocally(t *testing.T) {
	tests := []plugintest.OrderRow{
		{Name: "bad symbol", Req: sdk.OrderRequest{Symbol: "BTC-USDT", Side: "buy", Type: "market", QuoteQuantity: d("1")}},
		{Name: "limit by quote", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", QuoteQuantity: d("1"), Price: d("1")}},
		{Name: "spot market buy by base", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("1")}},
		{Name: "spot market sell by quote", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", QuoteQuantity: d("100")}},
		{Name: "swap without quantity", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market"}},
		{Name: "spot client id with a dash", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("1"), ClientOrderID: "a-b"}},
		{Name: "client id too long", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1"), ClientOrderID: strings.Repeat("a", 41)}},
		{Name: "client id with a colon", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1"), ClientOrderID: "a:b"}},
		{Name: "reduce-only buy on the long side", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1"), PositionSide: "long", ReduceOnly: true}},
		{Name: "reduce-only sell on the short side", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("1"), PositionSide: "short", ReduceOnly: true}},
	}
	e := funded(t, false)
	plugintest.RefuseLocally(t, e.C, e.Acct, e.Fake, tests)
	for _, a := range []sdk.Account{{Endpoints: e.Acct.Endpoints}, {APIKey: apiKey, Endpoints: e.Acct.Endpoints}} {
		if _, err := e.C.PlaceOrder(ctx(t), a, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1")}); sdk.KindOf(err) != sdk.KindAuthentication {
			t.Errorf("order without credentials: %v", err)
		}
		if _, err := e.C.CancelOrder(ctx(t), a, sdk.CancelRequest{Symbol: "BTC/USDT:USDT", OrderID: "1"}); sdk.KindOf(err) != sdk.KindAuthentication {
			t.Errorf("cancel without credentials: %v", err)
		}
	}
	if n := e.Fake.TotalCalls(); n != 0 {
		t.Fatalf("%d requests reached the exchange without credentials", n)
	}
}

// TestPlaceOrderPrecision: BingX truncates finer values silently, so
// they are refused before anything is sent; the rules are read once.
func TestPlaceOrderPrecision(t *testing.T) {
	e := funded(t, false)
	tests := []struct {
		name string
		req  sdk.OrderRequest
		ok   bool
	}{
		{"swap quantity finer than 4 decimals", sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.00015")}, false},
		{"swap price finer than 1 decimal", sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("50000.05")}, false},
		{"swap at the precision", sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "limit", Quantity: d("0.0010"), Price: d("50000.10")}, true},
		{"spot quantity finer than the 1e-05 step", sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("0.000015")}, false},
		{"spot price finer than the tick", sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("0.001"), Price: d("70000.001")}, false},
		{"spot at the step", sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("0.00001"), Price: d("70000.01")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.Fake.Orders(apiKey))
			_, err := e.C.PlaceOrder(ctx(t), e.Acct, tt.req)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if sdk.KindOf(err) != sdk.KindInvalidRequest || !strings.Contains(err.Error(), "truncate") {
				t.Fatalf("err = %v, want invalid_request about truncation", err)
			}
			if len(e.Fake.Orders(apiKey)) != before {
				t.Fatal("the order reached the exchange")
			}
		})
	}
	if c, s := e.Fake.Calls(contractsPath), e.Fake.Calls(spotSymbolPath); c != 1 || s != 1 {
		t.Errorf("rules read %d (swap) and %d (spot) times, want once each", c, s)
	}
	for _, r := range e.Fake.Requests() {
		if r.Path == contractsPath && r.Query != "symbol=BTC-USDT" || r.Path == spotSymbolPath && r.Query != "symbol=BTC-USDT" {
			t.Errorf("rules query %s?%s", r.Path, r.Query)
		}
		if (r.Path == contractsPath || r.Path == spotSymbolPath) && r.Header.Get("X-BX-APIKEY") != "" {
			t.Errorf("the key went to the public %s", r.Path)
		}
	}
}

func TestPlaceOrderRejectedByExchange(t *testing.T) {
	dup := sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("10000"), ClientOrderID: "Dup_1"}
	again := dup
	again.ClientOrderID = "dup_1" // the same once lowercased
	// Setup: the order requests that reach the exchange; a symbol it does
	// not list is refused from the rules, before any.
	plugintest.RunRefusals(t, []plugintest.Refusal[int]{
		{Name: "unknown spot symbol", Req: sdk.OrderRequest{Symbol: "DOGE/EUR", Side: "buy", Type: "market", QuoteQuantity: d("1")}, Kind: sdk.KindUnknownSymbol},
		{Name: "unknown perpetual", Req: sdk.OrderRequest{Symbol: "DOGE/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnknownSymbol},
		{Name: "perpetual settled elsewhere", Req: sdk.OrderRequest{Symbol: "BTC/USDT:BTC", Side: "buy", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnknownSymbol},
		{Name: "spot balance short", Setup: 1, Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("1"), Price: d("60000")}, Kind: sdk.KindInsufficientFunds, Code: "100202"},
		{Name: "swap margin short", Setup: 1, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("10")}, Kind: sdk.KindInsufficientFunds, Code: "101204"},
		{Name: "reduce-only with nothing to reduce", Setup: 1, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("1"), ReduceOnly: true}, Kind: sdk.KindInvalidRequest, Code: "80017"},
		{Name: "below the minimum value", Setup: 1, Req: sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "buy", Type: "limit", Quantity: d("0.01"), Price: d("100")}, Kind: sdk.KindInvalidRequest, Code: "101400"},
		{Name: "duplicate client order id", Setup: 2, Before: &dup, Req: again, Kind: sdk.KindInvalidRequest, Code: "101481"},
	}, func(t *testing.T, calls int) plugintest.Arranged {
		e := funded(t, false)
		return plugintest.Arranged{Exchange: e.C, Account: e.Acct, Orders: func() int { return len(e.Fake.Orders(apiKey)) }, Check: func(t *testing.T) {
			if n := e.Fake.Calls(spotOrderPath) + e.Fake.Calls(swapOrderPath); n != calls {
				t.Errorf("order requests %d, want %d", n, calls)
			}
		}}
	})
}

// TestPlaceOrderAnswerShapes feeds the variants of the swap answer:
// the field table's orderID spelling, ids as strings, no status.
func TestPlaceOrderAnswerShapes(t *testing.T) {
	req := sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "limit", Quantity: d("0.5"), Price: d("50000"), ClientOrderID: "x1"}
	tests := []struct {
		name, order string
		id          string
		status      sdk.OrderStatus
		kind        sdk.Kind
	}{
		{"doc example", `{"symbol":"BTC-USDT","orderId":1735950529123455007,"side":"BUY","positionSide":"BOTH","type":"LIMIT","clientOrderId":"","workingType":"MARK_PRICE"}`,
			"1735950529123455007", sdk.StatusNew, 0},
		{"orderID spelling", `{"symbol":"BTC-USDT","orderID":1735950529123455013,"side":"BUY","type":"LIMIT","status":"NEW"}`,
			"1735950529123455013", sdk.StatusNew, 0},
		{"id as a string, filled", `{"symbol":"BTC-USDT","orderId":"1735950529123455021","side":"BUY","type":"LIMIT","status":"FILLED","executedQty":"0.5","avgPrice":"49999.5"}`,
			"1735950529123455021", sdk.StatusFilled, 0},
		{"no id at all", `{"symbol":"BTC-USDT","side":"BUY","type":"LIMIT"}`, "", "", sdk.KindUnknownOutcome},
		{"id in exponent form", `{"symbol":"BTC-USDT","orderId":1.735950529123455e18,"side":"BUY","type":"LIMIT"}`, "", "", sdk.KindUnknownOutcome},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := funded(t, false)
			e.Fake.Inject(fakex.Fault{Path: swapOrderPath, Status: 200, Body: envelope(`{"order":` + tt.order + `}`)})
			got, err := e.C.PlaceOrder(ctx(t), e.Acct, req)
			if tt.kind != 0 {
				if sdk.KindOf(err) != tt.kind {
					t.Fatalf("err = %v, want %v", err, tt.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != tt.id || got.Status != tt.status || got.ClientOrderID != "x1" || got.Side != "buy" || got.Type != "limit" {
				t.Errorf("order %+v", got)
			}
			// What the short answer leaves out is what was sent.
			eq(t, "quantity", got.Quantity, "0.5")
			eq(t, "price", got.Price, "50000")
		})
	}
}

func TestCancelOrder(t *testing.T) {
	e := funded(t, false)
	spot := plugintest.MustPlace(t, e.C, e.Acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("10000"), ClientOrderID: "c_1"})
	swap := plugintest.MustPlace(t, e.C, e.Acct, sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "buy", Type: "limit", Quantity: d("0.5"), Price: d("2000")})
	swap2 := plugintest.MustPlace(t, e.C, e.Acct, sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "sell", Type: "limit", Quantity: d("0.5"), Price: d("4000"), ClientOrderID: "Exit-7"})
	tests := []struct {
		name  string
		req   sdk.CancelRequest
		want  sdk.Order
		qty   string
		price string
		kind  sdk.Kind
		sent  string // the client id parameter that must have been sent
		code  string
	}{
		{"spot by client id", sdk.CancelRequest{Market: "spot", Symbol: "BTC/USDT", ClientOrderID: "c_1"},
			sdk.Order{ID: spot.ID, ClientOrderID: "c_1", Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "limit", Status: sdk.StatusCanceled}, "0.001", "10000", 0, "clientOrderID=c_1", ""},
		{"swap by order id", sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: swap.ID},
			sdk.Order{ID: swap.ID, Market: "futures", Symbol: "ETH/USDT:USDT", Side: "buy", Type: "limit", Status: sdk.StatusCanceled}, "0.5", "2000", 0, "", ""},
		{"swap by client id in another case", sdk.CancelRequest{Symbol: "ETH/USDT:USDT", ClientOrderID: "EXIT-7"},
			sdk.Order{ID: swap2.ID, ClientOrderID: "exit-7", Market: "futures", Symbol: "ETH/USDT:USDT", Side: "sell", Type: "limit", Status: sdk.StatusCanceled}, "0.5", "4000", 0, "clientOrderId=exit-7", ""},
		{"again: the order does not exist", sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: swap.ID}, sdk.Order{}, "", "", sdk.KindOrderNotFound, "", "80016"},
		{"spot again", sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: spot.ID}, sdk.Order{}, "", "", sdk.KindOrderNotFound, "", "100400"},
		{"no id", sdk.CancelRequest{Symbol: "BTC/USDT"}, sdk.Order{}, "", "", sdk.KindInvalidRequest, "", ""},
		{"id not a number", sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "abc"}, sdk.Order{}, "", "", sdk.KindInvalidRequest, "", ""},
		{"bad symbol", sdk.CancelRequest{Symbol: "BTCUSDT", OrderID: "1"}, sdk.Order{}, "", "", sdk.KindInvalidRequest, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.C.CancelOrder(ctx(t), e.Acct, tt.req)
			plugintest.CheckCancel(t, got, err, plugintest.Cancel{Want: tt.want, Kind: tt.kind, Code: tt.code})
			if tt.kind != 0 {
				return
			}
			eq(t, "quantity", got.Quantity, tt.qty)
			eq(t, "price", got.Price, tt.price)
			if got.CreatedAt.IsZero() && got.Market == "futures" {
				t.Error("no creation time")
			}
			last := plugintest.LastRequest(t, e.Fake)
			if tt.sent != "" && !strings.Contains(last.Query, tt.sent) {
				t.Errorf("cancel query %q lacks %q", last.Query, tt.sent)
			}
			wantMethod, wantPath := "DELETE", swapOrderPath
			if got.Market == "spot" {
				wantMethod, wantPath = "POST", spotCancelPath
			}
			if last.Method != wantMethod || last.Path != wantPath {
				t.Errorf("cancel sent as %s %s", last.Method, last.Path)
			}
		})
	}
	for _, o := range e.Fake.Orders(apiKey) {
		if o.Status != "CANCELED" && o.Status != "CANCELLED" {
			t.Errorf("order %d is %s at the exchange", o.OrderID, o.Status)
		}
	}
}
