package webhooks

import (
	"errors"
	"regexp"
	"testing"
	"unicode/utf8"

	"github.com/globalautomation/gahost/sdk"
)

var codeShape = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// FuzzParseAlert: whatever the body, ParseAlert does not panic, a rejection
// is a bad request with a stable code and a readable message, and an
// accepted alert is one the order path can rely on.
func FuzzParseAlert(f *testing.F) {
	for _, seed := range []string{
		`{"secret":"s","action":"buy","symbol":"BTC/USDT","type":"market","quantity":"0.015"}`,
		`{"secret":"s","action":"buy","symbol":"BTC/USDT","type":"market","quote_quantity":"25"}`,
		`{"secret":"s","action":"sell","symbol":"ETH/USDT:USDT","type":"limit","quantity":"1.5","price":"3000.1","alert_id":"a-1"}`,
		`{"secret":"s","action":"sell","symbol":"ETH/USDT:USDT","type":"market","quantity":1,"reduce_only":true}`,
		`{"secret":"s","action":"close","symbol":"BTC/USDT:USDT"}`,
		`{"secret":"s","action":"close","symbol":"BTC/USDT","type":"market","alert_id":"x"}`,
		`{"action":"BUY","Symbol":"btcusdt","quantity":-1}`,
		`{"secret":"s","action":"buy","action":"sell"}`,
		`{"secret":"s","quantity":"1e400","price":1E-7}`,
		`{"secret":"s","alert_id":"\u00e9\u0000"}`,
		`[]`, `{`, `null`, ``, `{"secret":"s"} trailing`,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, futures bool) {
		market := string(sdk.MarketSpot)
		if futures {
			market = string(sdk.MarketFutures)
		}
		a, err := ParseAlert(body, market)
		if err != nil {
			var rej *Rejection
			if !errors.As(err, &rej) || !rej.Invalid || !codeShape.MatchString(rej.Code) || rej.Message == "" ||
				!utf8.ValidString(rej.Message) || len(rej.Message) > 600 {
				t.Fatalf("rejection %#v", err)
			}
			return
		}
		checkAccepted(t, a, market)
	})
}

func checkAccepted(t *testing.T, a Alert, market string) {
	t.Helper()
	if err := ValidSymbol(market, a.Symbol); err != nil {
		t.Fatalf("accepted symbol %q: %v", a.Symbol, err)
	}
	if len(a.AlertID) > MaxAlertIDLen {
		t.Fatalf("alert id of %d bytes", len(a.AlertID))
	}
	if a.ReduceOnly && sdk.Market(market) != sdk.MarketFutures {
		t.Fatal("reduce_only accepted on spot")
	}
	for _, d := range []string{a.Quantity.String(), a.QuoteQuantity.String(), a.Price.String()} {
		if d != "0" && !plainDecimal.MatchString(d) {
			t.Fatalf("amount %s", d)
		}
	}
	switch a.Action {
	case ActionClose:
		if a.Type != sdk.OrderMarket || !a.Quantity.IsZero() || !a.QuoteQuantity.IsZero() || !a.Price.IsZero() {
			t.Fatalf("close carries an order: %+v", a)
		}
	case ActionBuy, ActionSell:
		hasQty, hasQuote := a.Quantity.IsPositive(), a.QuoteQuantity.IsPositive()
		if hasQty == hasQuote {
			t.Fatalf("quantity and quote: %+v", a)
		}
		switch a.Type {
		case sdk.OrderLimit:
			if !a.Price.IsPositive() || hasQuote {
				t.Fatalf("limit: %+v", a)
			}
		case sdk.OrderMarket:
			if !a.Price.IsZero() {
				t.Fatalf("market with a price: %+v", a)
			}
		default:
			t.Fatalf("type %q", a.Type)
		}
		if hasQuote && (sdk.Market(market) != sdk.MarketSpot || a.Action != ActionBuy || a.Type != sdk.OrderMarket) {
			t.Fatalf("quote quantity on %+v", a)
		}
	default:
		t.Fatalf("action %q", a.Action)
	}
}
