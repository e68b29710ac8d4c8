package okx_test

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/okx/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func TestPlaceOrder(t *testing.T) {
	long := fake.Position{InstID: "BTC-USDT-SWAP", MgnMode: "isolated", PosSide: "long", Pos: "2", AvgPx: "50000", MarkPx: "60000", Upl: "200", Lever: "10"}
	tests := []struct {
		name    string
		acctLv  string
		posMode string
		pos     []fake.Position
		req     sdk.OrderRequest
		body    string // exactly what OKX must receive
		qty     string
		price   string
		reduce  bool
	}{
		{
			name: "spot limit buy with a client id",
			req:  sdk.OrderRequest{Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("50000.0"), ClientOrderID: "b15"},
			body: `{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"50000","sz":"0.001","clOrdId":"b15"}`,
			qty:  "0.001", price: "50000",
		},
		{
			name: "spot market buy spending quote",
			req:  sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", QuoteQuantity: d("100")},
			body: `{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"market","sz":"100","tgtCcy":"quote_ccy"}`,
			qty:  "0", price: "0",
		},
		{
			name: "spot market buy in base units says so",
			req:  sdk.OrderRequest{Symbol: "BTC/USDT", Side: "BUY", Type: "MARKET", Quantity: d("0.001")},
			body: `{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"market","sz":"0.001","tgtCcy":"base_ccy"}`,
			qty:  "0.001", price: "0",
		},
		{
			name: "spot market sell",
			req:  sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("0.001")},
			body: `{"instId":"BTC-USDT","tdMode":"cash","side":"sell","ordType":"market","sz":"0.001","tgtCcy":"base_ccy"}`,
			qty:  "0.001", price: "0",
		},
		{
			name:   "spot in multi-currency margin mode trades cross",
			acctLv: "3",
			req:    sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("0.25"), Price: d("70000")},
			body:   `{"instId":"BTC-USDT","tdMode":"cross","side":"sell","ordType":"limit","px":"70000","sz":"0.25"}`,
			qty:    "0.25", price: "70000",
		},
		{
			name: "swap market buy, one-way: 0.01 BTC is 1 contract",
			req:  sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01")},
			body: `{"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"buy","ordType":"market","sz":"1"}`,
			qty:  "0.01", price: "0",
		},
		{
			name:    "swap limit buy opens a long in hedge mode",
			posMode: "long_short_mode",
			req:     sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "limit", Quantity: d("0.02"), Price: d("50000")},
			body:    `{"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"buy","ordType":"limit","px":"50000","sz":"2","posSide":"long"}`,
			qty:     "0.02", price: "50000",
		},
		{
			name:    "swap sell opens a short in hedge mode",
			posMode: "long_short_mode",
			req:     sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.5"), ClientOrderID: "Alert42"},
			body:    `{"instId":"ETH-USDT-SWAP","tdMode":"cross","side":"sell","ordType":"market","sz":"5","posSide":"short","clOrdId":"Alert42"}`,
			qty:     "0.5", price: "0",
		},
		{
			name: "reduce-only close in one-way mode",
			pos:  []fake.Position{{InstID: "BTC-USDT-SWAP", MgnMode: "cross", PosSide: "net", Pos: "1", AvgPx: "50000", MarkPx: "60000", Upl: "100", Lever: "10"}},
			req:  sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true},
			body: `{"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"sell","ordType":"market","sz":"1","reduceOnly":true}`,
			qty:  "0.01", price: "0", reduce: true,
		},
		{
			name: "reduce-only close of an isolated position keeps its margin mode",
			pos:  []fake.Position{{InstID: "BTC-USDT-SWAP", MgnMode: "isolated", PosSide: "net", Pos: "-3", AvgPx: "50000", MarkPx: "60000", Upl: "-300", Lever: "10"}},
			req:  sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.03"), ReduceOnly: true},
			body: `{"instId":"BTC-USDT-SWAP","tdMode":"isolated","side":"buy","ordType":"market","sz":"3","reduceOnly":true}`,
			qty:  "0.03", price: "0", reduce: true,
		},
		{
			name:    "hedge mode: reduce-only sell closes the long side",
			posMode: "long_short_mode",
			pos:     []fake.Position{long},
			req:     sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.02"), ReduceOnly: true},
			body:    `{"instId":"BTC-USDT-SWAP","tdMode":"isolated","side":"sell","ordType":"market","sz":"2","posSide":"long"}`,
			qty:     "0.02", price: "0",
		},
		{
			name: "one-way: a named short side bought back is reduce-only",
			pos:  []fake.Position{{InstID: "ETH-USDT-SWAP", MgnMode: "cross", PosSide: "net", Pos: "-10", AvgPx: "3000", MarkPx: "3000", Upl: "0", Lever: "10"}},
			req:  sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1"), PositionSide: "short"},
			body: `{"instId":"ETH-USDT-SWAP","tdMode":"cross","side":"buy","ordType":"market","sz":"10","reduceOnly":true}`,
			qty:  "1", price: "0", reduce: true,
		},
		{
			name: "futures market with the spot form of the symbol",
			req:  sdk.OrderRequest{Market: "futures", Symbol: "ETH/USDT", Side: "buy", Type: "limit", Quantity: d("0.05"), Price: d("2999.99")},
			body: `{"instId":"ETH-USDT-SWAP","tdMode":"cross","side":"buy","ordType":"limit","px":"2999.99","sz":"0.5"}`,
			qty:  "0.05", price: "2999.99",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := funded(t, tt.posMode)
			e.Fake.Update(apiKey, func(a *fake.Account) { a.AcctLv, a.Positions = tt.acctLv, tt.pos })
			got, err := e.C.PlaceOrder(ctx(t), e.Acct, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			orders := e.Fake.Orders(apiKey)
			if len(orders) != 1 {
				t.Fatalf("orders at the exchange %d, want 1", len(orders))
			}
			placed := orders[0]
			if placed.Body != tt.body {
				t.Errorf("body\n got %s\nwant %s", placed.Body, tt.body)
			}
			mkt, sym := sdk.MarketSpot, tt.req.Symbol
			if strings.HasSuffix(placed.InstID, "-SWAP") {
				mkt = sdk.MarketFutures
				if !strings.Contains(sym, ":") {
					sym += ":USDT"
				}
			}
			if got.ID != placed.OrdID || got.ClientOrderID != placed.ClOrdID || got.Market != mkt || got.Symbol != sym ||
				got.Side != sdk.Side(strings.ToLower(string(tt.req.Side))) || got.Type != sdk.OrderType(strings.ToLower(string(tt.req.Type))) ||
				got.Status != sdk.StatusNew || got.ReduceOnly != tt.reduce || got.CreatedAt.IsZero() {
				t.Errorf("order %+v (exchange has %+v)", got, placed)
			}
			eq(t, "quantity", got.Quantity, tt.qty)
			eq(t, "price", got.Price, tt.price)
			if n := e.Fake.Calls("/api/v5/trade/order"); n != 1 {
				t.Errorf("order requests %d, want 1", n)
			}
		})
	}
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
		{Name: "read-only key", Setup: okxSetup{key: &fake.Key{APIKey: apiKey, Secret: secret, Passphrase: passphrase}}, Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", Quantity: d("0.001")}, Kind: sdk.KindPermission, Code: "50120"},
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
	spot := plugintest.MustPlace(t, e.C, e.Acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("10000"), ClientOrderID: "c1"})
	swap := plugintest.MustPlace(t, e.C, e.Acct, sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "buy", Type: "limit", Quantity: d("0.5"), Price: d("2000")})
	plugintest.RunCancels(t, e.C, e.Acct, e.Fake, []plugintest.CancelRow{
		{Name: "spot by client id", Req: sdk.CancelRequest{Market: "spot", Symbol: "BTC/USDT", ClientOrderID: "c1"}, Body: `{"instId":"BTC-USDT","clOrdId":"c1"}`, Want: sdk.Order{ID: spot.ID, ClientOrderID: "c1", Market: "spot", Symbol: "BTC/USDT", Status: sdk.StatusCanceled}},
		{Name: "swap by order id", Req: sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: swap.ID}, Body: `{"instId":"ETH-USDT-SWAP","ordId":"` + swap.ID + `"}`, Want: sdk.Order{ID: swap.ID, Market: "futures", Symbol: "ETH/USDT:USDT", Status: sdk.StatusCanceled}},
		{Name: "again: already cancelled", Req: sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: swap.ID}, Kind: sdk.KindOrderNotFound, Code: "51400"},
		{Name: "unknown instrument", Req: sdk.CancelRequest{Symbol: "DOGE/EUR", OrderID: "1"}, Kind: sdk.KindUnknownSymbol, Code: "51001"},
		{Name: "no id", Req: sdk.CancelRequest{Symbol: "BTC/USDT"}, Kind: sdk.KindInvalidRequest},
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
