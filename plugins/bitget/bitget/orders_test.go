package bitget_test

import (
	"strings"
	"testing"

	"github.com/globalautomation/gahost/plugins/bitget/bitget"
	"github.com/globalautomation/gahost/plugins/bitget/fake"
	"github.com/globalautomation/gahost/sdk"
	"github.com/globalautomation/gahost/sdk/plugintest"
)

func TestPlaceOrder(t *testing.T) {
	const fut = `"productType":"USDT-FUTURES","marginMode":"crossed","marginCoin":"USDT"`
	tests := []struct {
		name     string
		hedge    bool
		pos      []fake.Position
		settings map[string]fake.Settings
		req      sdk.OrderRequest
		body     string // exactly as sent
		want     sdk.Order
		status   string // at the fake
	}{
		{
			name:   "spot market buy sized in quote",
			req:    sdk.OrderRequest{Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "market", QuoteQuantity: d("600"), ClientOrderID: "alert-1"},
			body:   `{"symbol":"BTCUSDT","side":"buy","orderType":"market","force":"gtc","size":"600","clientOid":"alert-1"}`,
			want:   sdk.Order{ClientOrderID: "alert-1", Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "market"},
			status: "filled",
		},
		{
			name:   "spot market sell sized in base",
			req:    sdk.OrderRequest{Symbol: "BTC/USDT", Side: "SELL", Type: "Market", Quantity: d("0.2")},
			body:   `{"symbol":"BTCUSDT","side":"sell","orderType":"market","force":"gtc","size":"0.2","clientOid":"auto-1"}`,
			want:   sdk.Order{ClientOrderID: "auto-1", Market: "spot", Symbol: "BTC/USDT", Side: "sell", Type: "market", Quantity: d("0.2")},
			status: "filled",
		},
		{
			name:   "spot limit buy: the documented POST vector",
			req:    sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("30000"), ClientOrderID: "t-1"},
			body:   `{"symbol":"BTCUSDT","side":"buy","orderType":"limit","force":"gtc","price":"30000","size":"0.001","clientOid":"t-1"}`,
			want:   sdk.Order{ClientOrderID: "t-1", Market: "spot", Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("30000")},
			status: "live",
		},
		{
			name:   "spot limit sell, trailing zeros dropped",
			req:    sdk.OrderRequest{Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("0.10000"), Price: d("70000.50")},
			body:   `{"symbol":"BTCUSDT","side":"sell","orderType":"limit","force":"gtc","price":"70000.5","size":"0.1","clientOid":"auto-1"}`,
			want:   sdk.Order{ClientOrderID: "auto-1", Market: "spot", Symbol: "BTC/USDT", Side: "sell", Type: "limit", Quantity: d("0.1"), Price: d("70000.5")},
			status: "live",
		},
		{
			name:   "futures market, one-way",
			req:    sdk.OrderRequest{Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.002"), ClientOrderID: "x:1/a.b"},
			body:   `{"symbol":"BTCUSDT",` + fut + `,"size":"0.002","side":"buy","orderType":"market","clientOid":"x:1/a.b"}`,
			want:   sdk.Order{ClientOrderID: "x:1/a.b", Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.002")},
			status: "filled",
		},
		{
			name:   "futures reduce-only close, one-way",
			pos:    []fake.Position{{Symbol: "BTCUSDT", HoldSide: "long", Total: "0.01", OpenPriceAvg: "50000", MarkPrice: "60000", UnrealizedPL: "100"}},
			req:    sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true},
			body:   `{"symbol":"BTCUSDT",` + fut + `,"size":"0.01","side":"sell","orderType":"market","clientOid":"auto-1","reduceOnly":"YES"}`,
			want:   sdk.Order{ClientOrderID: "auto-1", Market: "futures", Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true},
			status: "filled",
		},
		{
			name:     "futures limit on the spot form of the symbol, isolated margin",
			settings: map[string]fake.Settings{"ETHUSDT": {MarginMode: "isolated", Leverage: 5}},
			req:      sdk.OrderRequest{Market: "futures", Symbol: "ETH/USDT", Side: "sell", Type: "limit", Quantity: d("1"), Price: d("3500")},
			body:     `{"symbol":"ETHUSDT","productType":"USDT-FUTURES","marginMode":"isolated","marginCoin":"USDT","size":"1","price":"3500","side":"sell","orderType":"limit","force":"gtc","clientOid":"auto-1"}`,
			want:     sdk.Order{ClientOrderID: "auto-1", Market: "futures", Symbol: "ETH/USDT:USDT", Side: "sell", Type: "limit", Quantity: d("1"), Price: d("3500")},
			status:   "live",
		},
		{
			name:   "hedge mode: opening a short",
			hedge:  true,
			req:    sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "sell", Type: "limit", Quantity: d("1"), Price: d("3500")},
			body:   `{"symbol":"ETHUSDT",` + fut + `,"size":"1","price":"3500","side":"sell","tradeSide":"open","orderType":"limit","force":"gtc","clientOid":"auto-1"}`,
			want:   sdk.Order{ClientOrderID: "auto-1", Market: "futures", Symbol: "ETH/USDT:USDT", Side: "sell", Type: "limit", Quantity: d("1"), Price: d("3500")},
			status: "live",
		},
		{
			name:   "hedge mode: reduce-only sell closes the long, side names the position",
			hedge:  true,
			pos:    []fake.Position{{Symbol: "BTCUSDT", HoldSide: "long", Total: "0.01", OpenPriceAvg: "50000", MarkPrice: "60000", UnrealizedPL: "100"}},
			req:    sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true},
			body:   `{"symbol":"BTCUSDT",` + fut + `,"size":"0.01","side":"buy","tradeSide":"close","orderType":"market","clientOid":"auto-1"}`,
			want:   sdk.Order{ClientOrderID: "auto-1", Market: "futures", Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("0.01"), ReduceOnly: true},
			status: "filled",
		},
		{
			name:   "hedge mode: buying back a short by position side",
			hedge:  true,
			pos:    []fake.Position{{Symbol: "BTCUSDT", HoldSide: "short", Total: "0.02", OpenPriceAvg: "65000", MarkPrice: "60000", UnrealizedPL: "100"}},
			req:    sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.02"), PositionSide: "short"},
			body:   `{"symbol":"BTCUSDT",` + fut + `,"size":"0.02","side":"sell","tradeSide":"close","orderType":"market","clientOid":"auto-1"}`,
			want:   sdk.Order{ClientOrderID: "auto-1", Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.02"), ReduceOnly: true},
			status: "filled",
		},
		{
			name:   "hedge mode: opening a long by position side",
			hedge:  true,
			req:    sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001"), PositionSide: "long"},
			body:   `{"symbol":"BTCUSDT",` + fut + `,"size":"0.001","side":"buy","tradeSide":"open","orderType":"market","clientOid":"auto-1"}`,
			want:   sdk.Order{ClientOrderID: "auto-1", Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.001")},
			status: "filled",
		},
		{
			name:   "one-way: a position side against the direction closes reduce-only",
			pos:    []fake.Position{{Symbol: "BTCUSDT", HoldSide: "short", Total: "0.01", OpenPriceAvg: "50000", MarkPrice: "60000", UnrealizedPL: "-100"}},
			req:    sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01"), PositionSide: "short"},
			body:   `{"symbol":"BTCUSDT",` + fut + `,"size":"0.01","side":"buy","orderType":"market","clientOid":"auto-1","reduceOnly":"YES"}`,
			want:   sdk.Order{ClientOrderID: "auto-1", Market: "futures", Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("0.01"), ReduceOnly: true},
			status: "filled",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := funded(t, tt.hedge)
			e.Fake.Update(apiKey, func(a *fake.Account) { a.Positions, a.Settings = tt.pos, tt.settings })
			got, err := e.C.PlaceOrder(ctx(t), e.Acct, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			orders := e.Fake.Orders(apiKey)
			if len(orders) != 1 {
				t.Fatalf("orders at the fake: %d", len(orders))
			}
			placed := orders[0]
			if placed.Body != tt.body {
				t.Errorf("body\n got %s\nwant %s", placed.Body, tt.body)
			}
			if placed.Status != tt.status {
				t.Errorf("status at the fake %s, want %s", placed.Status, tt.status)
			}
			w := tt.want
			if got.ID == "" || got.ID != placed.OrderID || got.ClientOrderID != w.ClientOrderID || got.Market != w.Market ||
				got.Symbol != w.Symbol || got.Side != w.Side || got.Type != w.Type || got.Status != sdk.StatusNew ||
				got.ReduceOnly != w.ReduceOnly || !got.Quantity.Equal(w.Quantity) || !got.Price.Equal(w.Price) {
				t.Errorf("order %+v\nwant  %+v (id %s)", got, w, placed.OrderID)
			}
			if got.CreatedAt.IsZero() {
				t.Error("no creation time")
			}
			want := map[string]int{fake.PathSpotPlace: 1}
			if w.Market == "futures" {
				want = map[string]int{fake.PathFuturesAccount: 1, fake.PathFuturesPlace: 1}
			}
			for p, n := range want {
				if e.Fake.Calls(p) != n {
					t.Errorf("calls to %s: %d, want %d", p, e.Fake.Calls(p), n)
				}
			}
		})
	}
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

func TestPlaceOrderRejectedByExchange(t *testing.T) {
	// Setup: the account is in hedge mode.
	plugintest.RunRefusals(t, []plugintest.Refusal[bool]{
		{Name: "unknown spot symbol", Req: sdk.OrderRequest{Symbol: "DOGE/EUR", Side: "sell", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnknownSymbol, Code: "40034"},
		{Name: "unknown perpetual", Req: sdk.OrderRequest{Symbol: "DOGE/USDT:USDT", Side: "buy", Type: "market", Quantity: d("1")}, Kind: sdk.KindUnknownSymbol, Code: "40034"},
		{Name: "spot balance short", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("1"), Price: d("60000")}, Kind: sdk.KindInsufficientFunds, Code: "43012"},
		{Name: "futures margin short", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "buy", Type: "market", Quantity: d("10")}, Kind: sdk.KindInsufficientFunds, Code: "40762"},
		{Name: "below the minimum", Req: sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "market", QuoteQuantity: d("0.5")}, Kind: sdk.KindInvalidRequest, Code: "45110"},
		{Name: "reduce-only with nothing to reduce", Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("1"), ReduceOnly: true}, Kind: sdk.KindInvalidRequest, Code: "22002"},
		{Name: "hedge close with nothing to close", Setup: true, Req: sdk.OrderRequest{Symbol: "BTC/USDT:USDT", Side: "sell", Type: "market", Quantity: d("1"), ReduceOnly: true}, Kind: sdk.KindInvalidRequest, Code: "22002"},
	}, func(t *testing.T, hedge bool) plugintest.Arranged {
		e := funded(t, hedge)
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

func TestCancelOrder(t *testing.T) {
	e := funded(t, false)
	spot := plugintest.MustPlace(t, e.C, e.Acct, sdk.OrderRequest{Symbol: "BTC/USDT", Side: "buy", Type: "limit", Quantity: d("0.001"), Price: d("10000"), ClientOrderID: "c-1"})
	fut := plugintest.MustPlace(t, e.C, e.Acct, sdk.OrderRequest{Symbol: "ETH/USDT:USDT", Side: "buy", Type: "limit", Quantity: d("0.5"), Price: d("2000")})
	plugintest.RunCancels(t, e.C, e.Acct, e.Fake, []plugintest.CancelRow{
		{Name: "spot by client id", Req: sdk.CancelRequest{Market: "spot", Symbol: "BTC/USDT", ClientOrderID: "c-1"}, Body: `{"symbol":"BTCUSDT","clientOid":"c-1"}`, Want: sdk.Order{ID: spot.ID, ClientOrderID: "c-1", Market: "spot", Symbol: "BTC/USDT", Status: sdk.StatusCanceled}},
		{Name: "futures by order id", Req: sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: fut.ID, ClientOrderID: "ignored"}, Body: `{"symbol":"ETHUSDT","productType":"USDT-FUTURES","marginCoin":"USDT","orderId":"` + fut.ID + `"}`, Want: sdk.Order{ID: fut.ID, ClientOrderID: fut.ClientOrderID, Market: "futures", Symbol: "ETH/USDT:USDT", Status: sdk.StatusCanceled}},
		{Name: "again: no longer open", Req: sdk.CancelRequest{Symbol: "ETH/USDT:USDT", OrderID: fut.ID}, Kind: sdk.KindOrderNotFound, Code: "40768"},
		{Name: "spot unknown order", Req: sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "1"}, Kind: sdk.KindOrderNotFound, Code: "43001"},
		{Name: "no id", Req: sdk.CancelRequest{Symbol: "BTC/USDT"}, Kind: sdk.KindInvalidRequest},
		{Name: "id not a number", Req: sdk.CancelRequest{Symbol: "BTC/USDT", OrderID: "abc"}, Kind: sdk.KindInvalidRequest},
		{Name: "bad symbol", Req: sdk.CancelRequest{Symbol: "BTC-USDT", OrderID: "1"}, Kind: sdk.KindInvalidRequest},
	})
	for _, o := range e.Fake.Orders(apiKey) {
		if o.Status != "cancelled" {
			t.Errorf("order %s is %s at the exchange", o.OrderID, o.Status)
		}
	}
	// The spot cancel released the frozen USDT.
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
