package bybit_test

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/bybit/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
	"github.com/globalautomation/gahost/sdk/rest"
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

func TestPlaceOrder(t *testing.T) {
	tests := []struct {
		name   string
		hedge  bool
		pos    []fake.Position
		req    sdk.OrderRequest
		body   string // exactly as sent (and signed)
		want   sdk.Order
		qty    string
		price  string
		status string // at the fake
		reads  int    // position-mode reads before the order
	}{
		{
			name: "spot market buy by quote amount",
			req:  sdk.OrderRequest{Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "market", QuoteQuantity: d("600"), ClientOrderID: "alert-1"},
			body: `{"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"600","marketUnit":"quoteCoin","orderLinkId":"alert-1"}`,
			want: sdk.Order{ClientOrderID: "alert-1", Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "market", Status: sdk.StatusNew},
			qty:  "0", price: "0", status: "Filled",
		},
		{
			name: "spot market buy by base amount says so",
			req:  sdk.OrderRequest{Symbol: "BTC/USDT", Side: "BUY", Type: "Market", Quantity: d("0.0100")},
			body: `{"category":"spot","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"0.01","marketUnit":"baseCoin"}`,
			want: sdk.Order{Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "market", Status: sdk.StatusNew},
			qty:  "0.01", price: "0", status: "Filled",
		},
		{
			name: "spot market sell by base amount: the default unit",
			req:  sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("0.01")},
			body: `{"category":"spot","symbol":"BTCUSDT","side":"Sell","orderType":"Market","qty":"0.01"}`,
			want: sdk.Order{Market: "spot", Symbol: "BTC/USDT", Side: "sell", Type: "market", Status: sdk.StatusNew},
			qty:  "0.01", price: "0", status: "Filled",
		},
		{
			name: "spot market sell by quote amount",
			req:  sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", QuoteQuantity: d("300")},
			body: `{"category":"spot","symbol":"BTCUSDT","side":"Sell","orderType":"Market","qty":"300","marketUnit":"quoteCoin"}`,
			want: sdk.Order{Market: "spot", Symbol: "BTC/USDT", Side: "sell", Type: "market", Status: sdk.StatusNew},
			qty:  "0", price: "0", status: "Filled",
		},
		{
			name: "spot limit sell",
			req:  sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("0.10000"), Price: d("70000.50"), ClientOrderID: "spot-test-01"},
			body: `{"category":"spot","symbol":"BTCUSDT","side":"Sell","orderType":"Limit","qty":"0.1","price":"70000.5","timeInForce":"GTC","orderLinkId":"spot-test-01"}`,
			want: sdk.Order{ClientOrderID: "spot-test-01", Market: "spot", Symbol: "BTC/USDT", Side: "sell", Type: "limit", Status: sdk.StatusNew},
			qty:  "0.1", price: "70000.5", status: "New",
		},
		{
			name: "linear market, one-way (the documented example body)",
			req:  sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")},
			body: `{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"0.001","positionIdx":0}`,
			want: sdk.Order{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Status: sdk.StatusNew},
			qty:  "0.001", price: "0", status: "Filled", reads: 1,
		},
		{
			name: "linear reduce-only limit close, one-way (the documented example body)",
			pos:  []fake.Position{{Symbol: "BTCUSDT", PositionIdx: 0, Side: "Buy", Size: "1", AvgPrice: "50000", MarkPrice: "60000"}},
			req:  sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "limit", Quantity: d("1"), Price: d("30000"), ReduceOnly: true},
			body: `{"category":"linear","symbol":"BTCUSDT","side":"Sell","orderType":"Limit","qty":"1","price":"30000","timeInForce":"GTC","positionIdx":0,"reduceOnly":true}`,
			want: sdk.Order{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "sell", Type: "limit", Status: sdk.StatusNew, ReduceOnly: true},
			qty:  "1", price: "30000", status: "New", reads: 1,
		},
		{
			name:  "hedge mode: a sell opens the short side",
			hedge: true,
			req:   sdk.OrderRequest{Market: "futures", Symbol: "ETH/USDT", Side: "sell", Type: "limit", Quantity: d("1"), Price: d("3500"), ClientOrderID: "h_1"},
			body:  `{"category":"linear","symbol":"ETHUSDT","side":"Sell","orderType":"Limit","qty":"1","price":"3500","timeInForce":"GTC","positionIdx":2,"orderLinkId":"h_1"}`,
			want:  sdk.Order{ClientOrderID: "h_1", Market: "futures", Symbol: "ETH/USDT:USDT", Side: "sell", Type: "limit", Status: sdk.StatusNew},
			qty:   "1", price: "3500", status: "New", reads: 1,
		},
		{
			name:  "hedge mode: reduce-only sell closes the long side",
			hedge: true,
			pos:   []fake.Position{{Symbol: "BTCUSDT", PositionIdx: 1, Side: "Buy", Size: "0.01", AvgPrice: "50000", MarkPrice: "60000"}},
			req:   sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true},
			body:  `{"category":"linear","symbol":"BTCUSDT","side":"Sell","orderType":"Market","qty":"0.01","positionIdx":1,"reduceOnly":true}`,
			want:  sdk.Order{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Status: sdk.StatusNew, ReduceOnly: true},
			qty:   "0.01", price: "0", status: "Filled", reads: 1,
		},
		{
			name:  "hedge mode: buying on the short side closes it",
			hedge: true,
			pos:   []fake.Position{{Symbol: "BTCUSDT", PositionIdx: 2, Side: "Sell", Size: "0.02", AvgPrice: "50000", MarkPrice: "60000"}},
			req:   sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.02"), PositionSide: "short"},
			body:  `{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"0.02","positionIdx":2,"reduceOnly":true}`,
			want:  sdk.Order{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Status: sdk.StatusNew, ReduceOnly: true},
			qty:   "0.02", price: "0", status: "Filled", reads: 1,
		},
		{
			name: "a position side on a one-way symbol: closing becomes reduce-only",
			pos:  []fake.Position{{Symbol: "BTCUSDT", PositionIdx: 0, Side: "Sell", Size: "0.01", AvgPrice: "50000", MarkPrice: "60000"}},
			req:  sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01"), PositionSide: "short"},
			body: `{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Market","qty":"0.01","positionIdx":0,"reduceOnly":true}`,
			want: sdk.Order{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Status: sdk.StatusNew, ReduceOnly: true},
			qty:  "0.01", price: "0", status: "Filled", reads: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := funded(t, tt.hedge)
			if tt.pos != nil {
				e.Fake.Update(apiKey, func(a *fake.Account) { a.Positions = tt.pos })
			}
			got, err := e.C.PlaceOrder(ctx(t), e.Acct, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			placed := lastOrder(t, e)
			if placed.Body != tt.body {
				t.Errorf("body\n got %s\nwant %s", placed.Body, tt.body)
			}
			if placed.Status != tt.status {
				t.Errorf("status at the fake %s, want %s", placed.Status, tt.status)
			}
			if got.ID == "" || got.ID != placed.OrderID {
				t.Errorf("id %q, fake has %q", got.ID, placed.OrderID)
			}
			if got.ClientOrderID != tt.want.ClientOrderID || got.Market != tt.want.Market || got.Symbol != tt.want.Symbol ||
				got.Side != tt.want.Side || got.Type != tt.want.Type || got.Status != tt.want.Status || got.ReduceOnly != tt.want.ReduceOnly {
				t.Errorf("order %+v, want %+v", got, tt.want)
			}
			eq(t, "quantity", got.Quantity, tt.qty)
			eq(t, "price", got.Price, tt.price)
			if !got.FilledQuantity.IsZero() || got.CreatedAt.IsZero() {
				t.Errorf("filled %s created %v: an acknowledgement knows no fills but has a time", got.FilledQuantity, got.CreatedAt)
			}
			if n := e.Fake.Calls("/v5/position/list"); n != tt.reads {
				t.Errorf("position reads %d, want %d", n, tt.reads)
			}
			if n := e.Fake.Calls("/v5/order/create"); n != 1 {
				t.Errorf("order requests %d, want 1", n)
			}
		})
	}
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
	tests := []struct {
		name string
		key  *fake.Key
		req  sdk.OrderRequest
		kind sdk.Kind
		code string
	}{
		{"unknown spot symbol", nil, sdk.OrderRequest{Symbol: "DOGE/EUR", Side: "buy", Type: "market", Quantity: d("1")}, sdk.KindUnknownSymbol, "170121"},
		{"unknown perpetual: found by the position-mode read", nil, sdk.OrderRequest{Symbol: "DOGE/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1")}, sdk.KindUnknownSymbol, "10001"},
		{"spot balance short", nil, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("1"), Price: d("60000")}, sdk.KindInsufficientFunds, "170131"},
		{"linear margin short", nil, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("10")}, sdk.KindInsufficientFunds, "110007"},
		{"reduce-only with nothing to reduce", nil, sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("1"), ReduceOnly: true}, sdk.KindInvalidRequest, "110017"},
		{"read-only key", &fake.Key{APIKey: apiKey, Secret: secret, ReadOnly: true, Permissions: map[string][]string{"Spot": {"SpotTrade"}}},
			sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")}, sdk.KindPermission, "10005"},
		{"no contract permission", &fake.Key{APIKey: apiKey, Secret: secret, Permissions: map[string][]string{"Spot": {"SpotTrade"}}},
			sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")}, sdk.KindPermission, "10005"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := funded(t, false)
			if tt.key != nil {
				e.Fake.AddKey(*tt.key)
			}
			_, err := e.C.PlaceOrder(ctx(t), e.Acct, tt.req)
			plugintest.CheckRefused(t, err, plugintest.OrderRow{Kind: tt.kind, Code: tt.code})
			if n := len(e.Fake.Orders(apiKey)); n != 0 {
				t.Fatalf("%d orders at the fake", n)
			}
		})
	}
	// A client order id must be unique, on each category.
	for _, tt := range []struct {
		symbol, code string
	}{{"BTC/USDT", "170141"}, {"BTC/USDT:USDT", "110072"}} {
		e := funded(t, false)
		req := sdk.OrderRequest{Symbol: tt.symbol, Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("10000"), ClientOrderID: "dup"}
		if _, err := e.C.PlaceOrder(ctx(t), e.Acct, req); err != nil {
			t.Fatal(err)
		}
		if _, err := e.C.PlaceOrder(ctx(t), e.Acct, req); sdk.KindOf(err) != sdk.KindInvalidRequest || rest.ExchangeCode(err) != tt.code {
			t.Fatalf("duplicate on %s: %v", tt.symbol, err)
		}
	}
}

func TestCancelOrder(t *testing.T) {
	e := funded(t, false)
	spot := plugintest.MustPlace(t, e.C, e.Acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("10000"), ClientOrderID: "c-1"})
	if locked := e.Fake.Account(apiKey).Coins[0]; locked.Coin != "USDT" || locked.Locked != "10" {
		t.Fatalf("a resting buy should lock its cost: %+v", locked)
	}
	lin := plugintest.MustPlace(t, e.C, e.Acct, sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "buy", Type: "limit", Quantity: d("0.5"), Price: d("2000"), ClientOrderID: "linear-004"})
	filled := plugintest.MustPlace(t, e.C, e.Acct, sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.1")})
	tests := []struct {
		name string
		req  sdk.CancelRequest
		body string
		want sdk.Order
		kind sdk.Kind
		code string
	}{
		{"spot by client id", sdk.CancelRequest{Market: "spot", Symbol: "BTC/USDT", ClientOrderID: "c-1"},
			`{"category":"spot","symbol":"BTCUSDT","orderLinkId":"c-1"}`,
			sdk.Order{ID: spot.ID, ClientOrderID: "c-1", Market: "spot", Symbol: "BTC/USDT", Status: sdk.StatusCanceled}, 0, ""},
		{"linear by order id, which wins over the client id", sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: lin.ID, ClientOrderID: "other"},
			`{"category":"linear","symbol":"ETHUSDT","orderId":"` + lin.ID + `"}`,
			sdk.Order{ID: lin.ID, ClientOrderID: "linear-004", Market: "futures", Symbol: "ETH/USDT:USDT", Status: sdk.StatusCanceled}, 0, ""},
		{"again: already cancelled", sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: lin.ID}, "", sdk.Order{}, sdk.KindInvalidRequest, "110010"},
		{"a filled order", sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: filled.ID}, "", sdk.Order{}, sdk.KindInvalidRequest, "110008"},
		{"unknown linear order", sdk.CancelRequest{Symbol: "BTC/USDT:USDT", ClientOrderID: "nope"}, "", sdk.Order{}, sdk.KindOrderNotFound, "110001"},
		{"unknown spot order", sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "42"}, "", sdk.Order{}, sdk.KindOrderNotFound, "170213"},
		{"unknown symbol", sdk.CancelRequest{Symbol: "DOGE/EUR", OrderID: "42"}, "", sdk.Order{}, sdk.KindUnknownSymbol, "170121"},
		{"no id", sdk.CancelRequest{Symbol: "BTC/USDT"}, "", sdk.Order{}, sdk.KindInvalidRequest, ""},
		{"id with odd characters", sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "1&x=2"}, "", sdk.Order{}, sdk.KindInvalidRequest, ""},
		{"client id with odd characters", sdk.CancelRequest{Symbol: "BTC/USDT", ClientOrderID: "a b"}, "", sdk.Order{}, sdk.KindInvalidRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.C.CancelOrder(ctx(t), e.Acct, tt.req)
			plugintest.CheckCancel(t, got, err, plugintest.Cancel{Want: tt.want, Kind: tt.kind, Code: tt.code})
			if tt.kind != 0 {
				return
			}
			reqs := e.Fake.Requests()
			if b := string(reqs[len(reqs)-1].Body); b != tt.body {
				t.Errorf("body %s, want %s", b, tt.body)
			}
		})
	}
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
