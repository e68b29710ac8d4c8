package webhooks

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/globalautomation/gahost/host/internal/store"
	"github.com/globalautomation/gahost/sdk"
)

// withMarket gives the env's exchange OKX-style instrument names and a
// price per symbol.
func withMarket(e *env) {
	e.ex.mu.Lock()
	defer e.ex.mu.Unlock()
	e.ex.instruments = map[sdk.Market][]sdk.Instrument{
		sdk.MarketFutures: {
			{Symbol: "BTC/USDT:USDT", NativeSymbols: []string{"BTC-USDT-SWAP"}, Market: sdk.MarketFutures, Base: "BTC",
				Quote: "USDT", Settle: "USDT", LotStep: dec("0.001"), MinQuantity: dec("0.002"), TickSize: dec("0.1"),
				MinNotional: dec("5"), Status: sdk.InstrumentTrading},
			{Symbol: "LUNA/USDT:USDT", NativeSymbols: []string{"LUNA-USDT-SWAP"}, Market: sdk.MarketFutures, Base: "LUNA",
				Quote: "USDT", Settle: "USDT", LotStep: dec("1"), Status: sdk.InstrumentHalted},
		},
		sdk.MarketSpot: {
			{Symbol: "BTC/USDT", NativeSymbols: []string{"BTC-USDT"}, Market: sdk.MarketSpot, Base: "BTC", Quote: "USDT",
				LotStep: dec("0.00001"), MinQuantity: dec("0.00001"), TickSize: dec("0.01"), MinNotional: dec("5"),
				Status: sdk.InstrumentTrading},
		},
	}
	e.ex.prices = map[string]sdk.Price{
		"BTC/USDT:USDT": {Symbol: "BTC/USDT:USDT", Last: dec("60010"), Mark: dec("60000")},
		"BTC/USDT":      {Symbol: "BTC/USDT", Last: dec("60000")},
	}
}

func TestTickersAreResolvedAndOrdersRounded(t *testing.T) {
	tests := []struct {
		name   string
		market string
		limit  string
		snap   bool
		alert  map[string]any
		// want: the order sent, or the rejection
		symbol, side, qty, price, method string
		code                             string
	}{
		{name: "TradingView perpetual, quantity rounded down", market: "futures",
			alert:  map[string]any{"action": "buy", "symbol": "OKX:BTCUSDT.P", "quantity": "0.0157"},
			symbol: "BTC/USDT:USDT", side: "buy", qty: "0.015", method: MatchTradingView},
		{name: "bare ticker", market: "futures",
			alert:  map[string]any{"action": "sell", "symbol": "BTCUSDT", "quantity": 0.0029},
			symbol: "BTC/USDT:USDT", side: "sell", qty: "0.002", method: MatchBaseQuote},
		{name: "native name", market: "futures",
			alert:  map[string]any{"action": "buy", "symbol": "BTC-USDT-SWAP", "quantity": "0.01"},
			symbol: "BTC/USDT:USDT", side: "buy", qty: "0.01", method: MatchNative},
		{name: "limit buy price rounds down to the tick", market: "futures",
			alert:  map[string]any{"action": "buy", "symbol": "BTC/USDT:USDT", "type": "limit", "quantity": "0.01", "price": "59999.99"},
			symbol: "BTC/USDT:USDT", side: "buy", qty: "0.01", price: "59999.9", method: MatchUnified},
		{name: "limit sell price rounds up to the tick", market: "futures",
			alert:  map[string]any{"action": "sell", "symbol": "BTC/USDT:USDT", "type": "limit", "quantity": "0.01", "price": "60000.01"},
			symbol: "BTC/USDT:USDT", side: "sell", qty: "0.01", price: "60000.1", method: MatchUnified},
		{name: "spot limit sell under max_notional is priced by the exchange", market: "spot", limit: "1000",
			alert:  map[string]any{"action": "sell", "symbol": "BTCUSDT", "type": "limit", "quantity": "0.01", "price": "61000"},
			symbol: "BTC/USDT", side: "sell", qty: "0.01", price: "61000", method: MatchBaseQuote},
		{name: "spot limit sell below the market counts at the market", market: "spot", limit: "500",
			alert: map[string]any{"action": "sell", "symbol": "BTCUSDT", "type": "limit", "quantity": "0.01", "price": "30000"},
			code:  CodeMaxNotionalExceeded},
		{name: "futures market order bounded by the exchange's mark price", market: "futures", limit: "100",
			alert: map[string]any{"action": "buy", "symbol": "BTCUSDT.P", "quantity": "0.002"},
			code:  CodeMaxNotionalExceeded},
		{name: "spot close sells the free balance rounded down", market: "spot", snap: true,
			alert:  map[string]any{"action": "close", "symbol": "BINANCE:BTCUSDT"},
			symbol: "BTC/USDT", side: "sell", qty: "1.23456", method: MatchTradingView},
		{name: "below the minimum once rounded", market: "futures",
			alert: map[string]any{"action": "buy", "symbol": "BTCUSDT.P", "quantity": "0.0019"},
			code:  CodeBelowMinQuantity},
		{name: "rounds to nothing", market: "spot",
			alert: map[string]any{"action": "buy", "symbol": "BTCUSDT", "quantity": "0.000009"},
			code:  CodeBelowMinQuantity},
		{name: "below the minimum value", market: "spot",
			alert: map[string]any{"action": "buy", "symbol": "BTCUSDT", "type": "limit", "quantity": "0.00002", "price": "60000"},
			code:  CodeBelowMinNotional},
		{name: "unknown ticker", market: "futures",
			alert: map[string]any{"action": "buy", "symbol": "BINANCE:DOGEUSDT.P", "quantity": "1"},
			code:  CodeSymbolUnknown},
		{name: "halted instrument", market: "futures",
			alert: map[string]any{"action": "buy", "symbol": "LUNAUSDT.P", "quantity": "1"},
			code:  CodeInstrumentHalted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			withMarket(e)
			in := NewWebhook{Market: tt.market}
			if tt.limit != "" {
				in.MaxNotional = limitOf(tt.limit)
			}
			h := e.webhook(in)
			if tt.snap {
				e.snapshot(store.Snapshot{SyncedAt: e.clock.now(), SpotAt: e.clock.now(),
					Spot: []store.Balance{{Asset: "BTC", Free: dec("1.234567891"), Locked: dec("1"), Total: dec("2.234567891")}}})
			}
			out, err := e.send(h, tt.alert)
			if err != nil {
				t.Fatal(err)
			}
			d := out.Delivery
			if d.Resolution == nil || d.Resolution.Ticker != tt.alert["symbol"] {
				t.Fatalf("resolution %+v", d.Resolution)
			}
			if tt.code != "" {
				if d.Status != store.DeliveryRejected || d.ErrorCode != tt.code || len(e.ex.placed()) != 0 {
					t.Fatalf("got %s %s (%s), %d orders; want rejected %s", d.Status, d.ErrorCode, d.ErrorMessage,
						len(e.ex.placed()), tt.code)
				}
				return
			}
			orders := e.ex.placed()
			if d.Status != store.DeliveryExecuted || len(orders) != 1 {
				t.Fatalf("not placed: %s %s %s", d.Status, d.ErrorCode, d.ErrorMessage)
			}
			o := orders[0]
			if o.Symbol != tt.symbol || string(o.Side) != tt.side || o.Quantity.String() != tt.qty ||
				(tt.price != "" && o.Price.String() != tt.price) {
				t.Fatalf("order %s %s %s @ %s, want %s %s %s @ %s", o.Symbol, o.Side, o.Quantity, o.Price,
					tt.symbol, tt.side, tt.qty, tt.price)
			}
			if d.Symbol != tt.symbol || d.Resolution.Symbol != tt.symbol || d.Resolution.Method != tt.method ||
				d.Order.Quantity.String() != tt.qty {
				t.Fatalf("delivery %s %+v %+v", d.Symbol, d.Resolution, d.Order)
			}
		})
	}
}

// Instrument lists are read once and cached; a ticker missing from an old
// list has it read again (a new listing), and prices are cached briefly.
func TestMarketDataIsCached(t *testing.T) {
	e := newEnv(t)
	withMarket(e)
	h := e.webhook(NewWebhook{Market: "futures", MaxNotional: limitOf("100000")})
	for i := range 3 {
		if out, err := e.send(h, map[string]any{"action": "buy", "symbol": "BTCUSDT.P", "quantity": "0.01",
			"alert_id": string(rune('a' + i))}); err != nil || out.Delivery.Status != store.DeliveryExecuted {
			t.Fatalf("alert %d: %+v %v", i, out.Delivery, err)
		}
	}
	if e.ex.instrumentCalls != 1 || e.ex.priceCalls != 1 {
		t.Fatalf("%d instrument reads and %d price reads for three alerts, want 1 and 1", e.ex.instrumentCalls, e.ex.priceCalls)
	}
	// A new instrument, unknown to the cached list.
	e.ex.mu.Lock()
	e.ex.instruments[sdk.MarketFutures] = append(e.ex.instruments[sdk.MarketFutures], sdk.Instrument{Symbol: "NEW/USDT:USDT",
		NativeSymbols: []string{"NEW-USDT-SWAP"}, Market: sdk.MarketFutures, Base: "NEW", Quote: "USDT", Settle: "USDT",
		LotStep: dec("1"), Status: sdk.InstrumentTrading})
	e.ex.prices["NEW/USDT:USDT"] = sdk.Price{Symbol: "NEW/USDT:USDT", Last: dec("2"), Mark: dec("2")}
	e.ex.mu.Unlock()
	e.clock.add(InstrumentRecheck + time.Second)
	out, err := e.send(h, map[string]any{"action": "buy", "symbol": "NEWUSDT.P", "quantity": "10.7", "alert_id": "n"})
	if err != nil || out.Delivery.Status != store.DeliveryExecuted || out.Delivery.Order.Quantity.String() != "10" {
		t.Fatalf("new listing: %+v %v", out.Delivery, err)
	}
	if e.ex.instrumentCalls != 2 {
		t.Fatalf("%d instrument reads, want 2", e.ex.instrumentCalls)
	}
}

func TestDisabledOwnerPlacesNothing(t *testing.T) {
	e := newEnv(t)
	h := e.webhook(NewWebhook{Market: "futures"})
	if _, err := e.st.UpdateUser(e.ctx, e.user.ID, func(u *store.User, _ []store.User) error {
		u.Disabled = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	out, err := e.send(h, map[string]any{"action": "buy", "symbol": "BTC/USDT:USDT", "quantity": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.Delivery; d.Status != store.DeliveryRejected || d.ErrorCode != CodeUserDisabled || out.Rejection == nil ||
		out.Rejection.Invalid {
		t.Fatalf("got %+v", d)
	}
	// Dry run too: a disabled owner's webhook does nothing.
	dry := e.webhook(NewWebhook{Market: "futures", DryRun: true, Name: "dry"})
	if out, err := e.send(dry, map[string]any{"action": "close", "symbol": "BTC/USDT:USDT"}); err != nil ||
		out.Delivery.ErrorCode != CodeUserDisabled {
		t.Fatalf("dry run: %+v %v", out.Delivery, err)
	}
	if n := len(e.ex.placed()); n != 0 {
		t.Fatalf("%d orders placed for a disabled user", n)
	}
}

func TestTestAnAlert(t *testing.T) {
	e := newEnv(t)
	withMarket(e)
	h := e.webhook(NewWebhook{Market: "futures", MaxNotional: limitOf("500"), AllowedSymbols: []string{"BTC/USDT:USDT"}})
	body, _ := json.Marshal(map[string]any{"action": "buy", "symbol": "BINANCE:BTCUSDT.P", "quantity": "0.0157",
		"alert_id": "T1"})
	res, err := e.svc.Test(e.ctx, e.user.ID, h.ID, body)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Delivery
	if d.Status != store.DeliveryTest || d.Order == nil || d.Order.Quantity.String() != "0.015" || d.Symbol != "BTC/USDT:USDT" ||
		d.Resolution == nil || d.Resolution.Method != MatchTradingView || d.Resolution.Native != "BTC-USDT-SWAP" {
		t.Fatalf("test delivery %+v %+v %+v", d, d.Order, d.Resolution)
	}
	p := res.Plan
	if p.Price.String() != "60000" || p.PriceSource != PriceFromExchange || p.Notional == nil || p.Notional.String() != "900" {
		t.Fatalf("price %s (%s), notional %v", p.Price, p.PriceSource, p.Notional)
	}
	// 0.015 × 60000 = 900 > 500: max_notional fails, the rest passes.
	var names, failed []string
	for _, c := range d.Checks {
		names = append(names, c.Name)
		if !c.Passed {
			failed = append(failed, c.Name+":"+c.Code)
		}
	}
	want := []string{CheckOwner, CheckAccount, CheckExchange, CheckSymbol, CheckAllowedSymbols, CheckInstrument,
		CheckMinQuantity, CheckMinNotional, CheckMaxNotional}
	if !slices.Equal(names, want) || !slices.Equal(failed, []string{"max_notional:" + CodeMaxNotionalExceeded}) {
		t.Fatalf("checks %v failed %v", names, failed)
	}
	if res.WouldPlace() || d.ErrorCode != CodeMaxNotionalExceeded {
		t.Fatalf("would place %v, error %s", res.WouldPlace(), d.ErrorCode)
	}
	if n := len(e.ex.placed()); n != 0 {
		t.Fatalf("a test placed %d orders", n)
	}
	stored := e.deliveries(h)
	if len(stored) != 1 || stored[0].Status != store.DeliveryTest || len(stored[0].Checks) != len(want) {
		t.Fatalf("stored %+v", stored)
	}
	// The test claimed no alert id: the real alert with it still goes.
	out, err := e.send(h, map[string]any{"action": "buy", "symbol": "BINANCE:BTCUSDT.P", "quantity": "0.008", "alert_id": "T1"})
	if err != nil || out.Delivery.Status != store.DeliveryExecuted {
		t.Fatalf("the real alert after a test: %+v %v", out.Delivery, err)
	}
	// Another user's webhook is not found; a broken alert is answered with
	// its reason.
	if _, err := e.svc.Test(e.ctx, "someone-else", h.ID, body); err == nil {
		t.Fatal("another user's webhook was tested")
	}
	res, err = e.svc.Test(e.ctx, e.user.ID, h.ID, []byte(`{"action":"buy","symbol":"BTCUSDT.P","quantity":"{{strategy.order.contracts}}"}`))
	if err != nil || res.Rejection == nil || res.Rejection.Code != CodeInvalidField || res.Plan != nil ||
		res.Delivery.Status != store.DeliveryTest {
		t.Fatalf("broken alert: %+v %v", res, err)
	}
}
