package binance_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/binance/fake"
	"github.com/globalautomation/gahost/sdk"
)

func funded(t *testing.T, hedge bool) *env {
	t.Helper()
	e := newEnv(t)
	e.fx.Update(apiKey, func(a *fake.Account) {
		a.Spot = []fake.Balance{{Asset: "USDT", Free: "1000", Locked: "0"}, {Asset: "BTC", Free: "0.5", Locked: "0"}}
		a.Futures = []fake.FuturesAsset{{Asset: "USDT", WalletBalance: "1000", UnrealizedProfit: "0", MarginBalance: "1000", AvailableBalance: "1000"}}
		a.HedgeMode = hedge
	})
	return e
}

// sentParams is what the fake received for the last order, without the
// signing parameters.
func sentParams(t *testing.T, e *env) map[string]string {
	t.Helper()
	orders := e.fx.Orders(apiKey)
	if len(orders) == 0 {
		t.Fatal("no order reached the fake")
	}
	v, err := url.ParseQuery(orders[len(orders)-1].Query)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k := range v {
		switch k {
		case "timestamp", "recvWindow", "signature":
			continue
		}
		out[k] = v.Get(k)
	}
	return out
}

func TestPlaceOrder(t *testing.T) {
	tests := []struct {
		name   string
		hedge  bool
		pos    []fake.Position
		req    sdk.OrderRequest
		sent   map[string]string
		want   sdk.Order // decimals compared below
		qty    string
		filled string
		price  string
		avg    string
		tries  int // order requests the fake saw
	}{
		{
			name: "spot market buy by quote amount",
			req:  sdk.OrderRequest{Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "market", QuoteQuantity: d("600"), ClientOrderID: "alert-1"},
			sent: map[string]string{"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quoteOrderQty": "600", "newClientOrderId": "alert-1", "newOrderRespType": "RESULT"},
			want: sdk.Order{ClientOrderID: "alert-1", Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "market", Status: sdk.StatusFilled},
			qty:  "0.01", filled: "0.01", price: "0", avg: "60000", tries: 1,
		},
		{
			name: "spot limit sell",
			req:  sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("0.10000"), Price: d("70000.50")},
			sent: map[string]string{"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.1", "price": "70000.5", "newOrderRespType": "RESULT"},
			want: sdk.Order{Market: "spot", Symbol: "BTC/USDT", Side: "sell", Type: "limit", Status: sdk.StatusNew},
			qty:  "0.1", filled: "0", price: "70000.5", avg: "0", tries: 1,
		},
		{
			name: "futures market, one-way",
			req:  sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.002"), ClientOrderID: "x:1/a.b"},
			sent: map[string]string{"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.002", "newClientOrderId": "x:1/a.b", "newOrderRespType": "RESULT"},
			want: sdk.Order{ClientOrderID: "x:1/a.b", Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Status: sdk.StatusFilled},
			qty:  "0.002", filled: "0.002", price: "0", avg: "60000", tries: 1,
		},
		{
			name: "futures reduce-only close, one-way",
			pos:  []fake.Position{{Symbol: "BTCUSDT", PositionSide: "BOTH", PositionAmt: "0.01", EntryPrice: "50000", MarkPrice: "60000", UnRealizedProfit: "100"}},
			req:  sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true},
			sent: map[string]string{"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.01", "reduceOnly": "true", "newOrderRespType": "RESULT"},
			want: sdk.Order{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Status: sdk.StatusFilled, ReduceOnly: true},
			qty:  "0.01", filled: "0.01", price: "0", avg: "60000", tries: 1,
		},
		{
			name:  "futures limit in hedge mode: position side found after -4061",
			hedge: true,
			req:   sdk.OrderRequest{Market: "futures", Symbol: "ETH/USDT", Side: "sell", Type: "limit", Quantity: d("1"), Price: d("3500")},
			sent:  map[string]string{"symbol": "ETHUSDT", "side": "SELL", "positionSide": "SHORT", "type": "LIMIT", "timeInForce": "GTC", "quantity": "1", "price": "3500", "newOrderRespType": "RESULT"},
			want:  sdk.Order{Market: "futures", Symbol: "ETH/USDT:USDT", Side: "sell", Type: "limit", Status: sdk.StatusNew},
			qty:   "1", filled: "0", price: "3500", avg: "0", tries: 2,
		},
		{
			name:  "hedge mode close: reduce-only becomes the long side",
			hedge: true,
			pos:   []fake.Position{{Symbol: "BTCUSDT", PositionSide: "LONG", PositionAmt: "0.01", EntryPrice: "50000", MarkPrice: "60000", UnRealizedProfit: "100"}},
			req:   sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true},
			sent:  map[string]string{"symbol": "BTCUSDT", "side": "SELL", "positionSide": "LONG", "type": "MARKET", "quantity": "0.01", "newOrderRespType": "RESULT"},
			want:  sdk.Order{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Status: sdk.StatusFilled},
			qty:   "0.01", filled: "0.01", price: "0", avg: "60000", tries: 2,
		},
		{
			name:  "explicit position side in hedge mode goes through at once",
			hedge: true,
			req:   sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001"), PositionSide: "long"},
			sent:  map[string]string{"symbol": "BTCUSDT", "side": "BUY", "positionSide": "LONG", "type": "MARKET", "quantity": "0.001", "newOrderRespType": "RESULT"},
			want:  sdk.Order{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Status: sdk.StatusFilled},
			qty:   "0.001", filled: "0.001", price: "0", avg: "60000", tries: 1,
		},
		{
			name: "explicit position side on a one-way account closes reduce-only",
			pos:  []fake.Position{{Symbol: "BTCUSDT", PositionSide: "BOTH", PositionAmt: "-0.01", EntryPrice: "50000", MarkPrice: "60000", UnRealizedProfit: "-100"}},
			req:  sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01"), PositionSide: "short"},
			sent: map[string]string{"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "reduceOnly": "true", "newOrderRespType": "RESULT"},
			want: sdk.Order{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Status: sdk.StatusFilled, ReduceOnly: true},
			qty:  "0.01", filled: "0.01", price: "0", avg: "60000", tries: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := funded(t, tt.hedge)
			if tt.pos != nil {
				e.fx.Update(apiKey, func(a *fake.Account) { a.Positions = tt.pos })
			}
			got, err := e.c.PlaceOrder(ctx(t), e.acct, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			sent := sentParams(t, e)
			if len(sent) != len(tt.sent) {
				t.Errorf("sent %v, want %v", sent, tt.sent)
			}
			for k, v := range tt.sent {
				if sent[k] != v {
					t.Errorf("sent %s=%q, want %q (all: %v)", k, sent[k], v, sent)
				}
			}
			orders := e.fx.Orders(apiKey)
			placed := orders[len(orders)-1]
			if got.ID == "" || got.ID != itoa(placed.OrderID) {
				t.Errorf("id %q, fake has %d", got.ID, placed.OrderID)
			}
			if tt.want.ClientOrderID == "" {
				tt.want.ClientOrderID = placed.ClientOrderID
			}
			if got.ClientOrderID != tt.want.ClientOrderID || got.Market != tt.want.Market || got.Symbol != tt.want.Symbol ||
				got.Side != tt.want.Side || got.Type != tt.want.Type || got.Status != tt.want.Status || got.ReduceOnly != tt.want.ReduceOnly {
				t.Errorf("order %+v, want %+v", got, tt.want)
			}
			eq(t, "quantity", got.Quantity, tt.qty)
			eq(t, "filled", got.FilledQuantity, tt.filled)
			eq(t, "price", got.Price, tt.price)
			eq(t, "average", got.AveragePrice, tt.avg)
			if got.CreatedAt.IsZero() {
				t.Error("no creation time")
			}
			n := e.fx.Calls("/api/v3/order") + e.fx.Calls("/fapi/v1/order")
			if n != tt.tries {
				t.Errorf("order requests %d, want %d", n, tt.tries)
			}
		})
	}
}

func TestPlaceOrderRejectedLocally(t *testing.T) {
	tests := []struct {
		name string
		req  sdk.OrderRequest
	}{
		{"bad symbol", sdk.OrderRequest{Symbol: "BTCUSDT", Side: "buy", Type: "market", Quantity: d("1")}},
		{"perp on spot", sdk.OrderRequest{Market: "spot", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1")}},
		{"unknown market", sdk.OrderRequest{Market: "margin", Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("1")}},
		{"bad side", sdk.OrderRequest{Symbol: "BTC/USDT", Side: "hold", Type: "market", Quantity: d("1")}},
		{"bad type", sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "stop", Quantity: d("1")}},
		{"limit without price", sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("1")}},
		{"market with price", sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("1"), Price: d("1")}},
		{"market with both quantities", sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("1"), QuoteQuantity: d("1")}},
		{"market with none", sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market"}},
		{"negative quantity", sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("-1")}},
		{"futures by quote", sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", QuoteQuantity: d("100")}},
		{"reduce-only on spot", sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("1"), ReduceOnly: true}},
		{"spot client id with a colon", sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("1"), ClientOrderID: "a:b"}},
		{"client id too long", sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1"), ClientOrderID: strings.Repeat("a", 37)}},
		{"bad position side", sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1"), PositionSide: "both"}},
	}
	e := funded(t, false)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.c.PlaceOrder(ctx(t), e.acct, tt.req)
			if sdk.KindOf(err) != sdk.KindInvalidRequest {
				t.Fatalf("err = %v, want invalid_request", err)
			}
		})
	}
	if n := e.fx.TotalCalls(); n != 0 {
		t.Fatalf("%d requests reached the exchange", n)
	}
}

func TestPlaceOrderRejectedByExchange(t *testing.T) {
	tests := []struct {
		name string
		req  sdk.OrderRequest
		kind sdk.Kind
		code string
	}{
		{"unknown spot symbol", sdk.OrderRequest{Symbol: "DOGE/EUR", Side: "buy", Type: "market", Quantity: d("1")}, sdk.KindUnknownSymbol, "-1121"},
		{"unknown perpetual", sdk.OrderRequest{Symbol: "DOGE/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1")}, sdk.KindUnknownSymbol, "-1121"},
		{"spot balance short", sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("1"), Price: d("60000")}, sdk.KindInsufficientFunds, "-2010"},
		{"futures margin short", sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("10")}, sdk.KindInsufficientFunds, "-2019"},
		{"reduce-only with nothing to reduce", sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("1"), ReduceOnly: true}, sdk.KindInvalidRequest, "-2022"},
	}
	e := funded(t, false)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.c.PlaceOrder(ctx(t), e.acct, tt.req)
			var se *sdk.Error
			if sdk.KindOf(err) != tt.kind || !asErr(err, &se) || se.ExchangeCode != tt.code {
				t.Fatalf("err = %v (kind %v), want %v with code %s", err, sdk.KindOf(err), tt.kind, tt.code)
			}
		})
	}
	// Duplicate client order id on an open order.
	req := sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("10000"), ClientOrderID: "dup"}
	if _, err := e.c.PlaceOrder(ctx(t), e.acct, req); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.PlaceOrder(ctx(t), e.acct, req); sdk.KindOf(err) != sdk.KindInvalidRequest || !strings.Contains(err.Error(), "Duplicate") {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestCancelOrder(t *testing.T) {
	e := funded(t, false)
	spot, err := e.c.PlaceOrder(ctx(t), e.acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("10000"), ClientOrderID: "c-1"})
	if err != nil {
		t.Fatal(err)
	}
	fut, err := e.c.PlaceOrder(ctx(t), e.acct, sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "buy", Type: "limit", Quantity: d("0.5"), Price: d("2000")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  sdk.CancelRequest
		want sdk.Order
		kind sdk.Kind
	}{
		{"spot by client id", sdk.CancelRequest{Market: "spot", Symbol: "BTC/USDT", ClientOrderID: "c-1"},
			sdk.Order{ID: spot.ID, ClientOrderID: "c-1", Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "limit", Status: sdk.StatusCanceled}, 0},
		{"futures by order id", sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: fut.ID},
			sdk.Order{ID: fut.ID, ClientOrderID: fut.ClientOrderID, Market: "futures", Symbol: "ETH/USDT:USDT", Side: "buy", Type: "limit", Status: sdk.StatusCanceled}, 0},
		{"again: unknown order", sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: fut.ID}, sdk.Order{}, sdk.KindOrderNotFound},
		{"no id", sdk.CancelRequest{Symbol: "BTC/USDT"}, sdk.Order{}, sdk.KindInvalidRequest},
		{"id not a number", sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "abc"}, sdk.Order{}, sdk.KindInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.c.CancelOrder(ctx(t), e.acct, tt.req)
			if tt.kind != 0 {
				if sdk.KindOf(err) != tt.kind {
					t.Fatalf("err = %v, want %v", err, tt.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != tt.want.ID || got.ClientOrderID != tt.want.ClientOrderID || got.Market != tt.want.Market ||
				got.Symbol != tt.want.Symbol || got.Side != tt.want.Side || got.Type != tt.want.Type || got.Status != tt.want.Status {
				t.Fatalf("cancel = %+v, want %+v", got, tt.want)
			}
		})
	}
	for _, o := range e.fx.Orders(apiKey) {
		if o.Status != "CANCELED" {
			t.Errorf("order %d is %s at the exchange", o.OrderID, o.Status)
		}
	}
}
