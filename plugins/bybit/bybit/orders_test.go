package bybit_test

import (
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
		{Name: "read-only key", Setup: &fake.Key{APIKey: apiKey, Secret: secret, ReadOnly: true, Permissions: map[string][]string{"Spot": {"SpotTrade"}}}, Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")}, Kind: sdk.KindPermission, Code: "10005"},
		{Name: "no contract permission", Setup: &fake.Key{APIKey: apiKey, Secret: secret, Permissions: map[string][]string{"Spot": {"SpotTrade"}}}, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")}, Kind: sdk.KindPermission, Code: "10005"},
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
		{Name: "no id", Req: sdk.CancelRequest{Symbol: "BTC/USDT"}, Kind: sdk.KindInvalidRequest},
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
