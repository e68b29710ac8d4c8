package webhooks

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestParseAlert(t *testing.T) {
	const s = `"secret":"x",`
	tests := []struct {
		name   string
		market string
		body   string
		code   string // "" means accepted
		want   Alert  // checked when accepted
	}{
		{"spot market buy by quantity", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"market","quantity":"0.015"}`, "",
			Alert{Action: "buy", Symbol: "BTC/USDT", Type: "market", Quantity: dec("0.015")}},
		{"spot market buy by quote", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"market","quote_quantity":"25"}`, "",
			Alert{Action: "buy", Symbol: "BTC/USDT", Type: "market", QuoteQuantity: dec("25")}},
		{"futures limit sell with alert id", "futures", `{` + s + `"action":"sell","symbol":"ETH/USDT:USDT","type":"limit","quantity":"1.5","price":"3000.10","alert_id":"tv-2026-01-02T03:04:05Z"}`, "",
			Alert{Action: "sell", Symbol: "ETH/USDT:USDT", Type: "limit", Quantity: dec("1.5"), Price: dec("3000.10"), AlertID: "tv-2026-01-02T03:04:05Z"}},
		{"futures reduce-only", "futures", `{` + s + `"action":"sell","symbol":"ETH/USDT:USDT","type":"market","quantity":"1","reduce_only":true}`, "",
			Alert{Action: "sell", Symbol: "ETH/USDT:USDT", Type: "market", Quantity: dec("1"), ReduceOnly: true}},
		{"bare JSON number is read exactly", "futures", `{` + s + `"action":"buy","symbol":"BTC/USDT:USDT","type":"market","quantity":0.1000000000000000055511151231}`, "",
			Alert{Action: "buy", Symbol: "BTC/USDT:USDT", Type: "market", Quantity: dec("0.1000000000000000055511151231")}},
		{"close futures", "futures", `{` + s + `"action":"close","symbol":"BTC/USDT:USDT"}`, "",
			Alert{Action: "close", Symbol: "BTC/USDT:USDT", Type: "market"}},
		{"close with type market and reduce_only", "futures", `{` + s + `"action":"close","symbol":"BTC/USDT:USDT","type":"market","reduce_only":true}`, "",
			Alert{Action: "close", Symbol: "BTC/USDT:USDT", Type: "market", ReduceOnly: true}},
		{"close spot", "spot", `{` + s + `"action":"close","symbol":"SOL/USDT"}`, "", Alert{Action: "close", Symbol: "SOL/USDT", Type: "market"}},
		{"digits in asset", "futures", `{` + s + `"action":"buy","symbol":"1000PEPE/USDT:USDT","type":"market","quantity":"1000"}`, "",
			Alert{Action: "buy", Symbol: "1000PEPE/USDT:USDT", Type: "market", Quantity: dec("1000")}},
		{"null amount counts as absent", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"market","quantity":"1","price":null}`, "",
			Alert{Action: "buy", Symbol: "BTC/USDT", Type: "market", Quantity: dec("1")}},

		{"not JSON", "spot", `action=buy`, CodeInvalidJSON, Alert{}},
		{"array", "spot", `[{"action":"buy"}]`, CodeInvalidJSON, Alert{}},
		{"truncated", "spot", `{"action":"buy",`, CodeInvalidJSON, Alert{}},
		{"trailing data", "spot", `{` + s + `"action":"close","symbol":"BTC/USDT"} {}`, CodeInvalidJSON, Alert{}},
		{"unknown field", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"market","quantity":"1","leverage":"10"}`, CodeUnknownField, Alert{}},
		{"field names are exact", "spot", `{` + s + `"Action":"buy","symbol":"BTC/USDT","type":"market","quantity":"1"}`, CodeUnknownField, Alert{}},
		{"field given twice", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"market","quantity":"1","action":"sell"}`, CodeInvalidJSON, Alert{}},
		{"missing action", "spot", `{` + s + `"symbol":"BTC/USDT","type":"market","quantity":"1"}`, CodeMissingField, Alert{}},
		{"bad action", "spot", `{` + s + `"action":"long","symbol":"BTC/USDT","type":"market","quantity":"1"}`, CodeInvalidField, Alert{}},
		{"action is case-sensitive", "spot", `{` + s + `"action":"BUY","symbol":"BTC/USDT","type":"market","quantity":"1"}`, CodeInvalidField, Alert{}},
		{"missing symbol", "spot", `{` + s + `"action":"buy","type":"market","quantity":"1"}`, CodeMissingField, Alert{}},
		{"exchange ticker is matched later", "spot", `{` + s + `"action":"buy","symbol":"BTCUSDT","type":"market","quantity":"1"}`, "",
			Alert{Action: "buy", Symbol: "BTCUSDT", Type: "market", Quantity: dec("1")}},
		{"TradingView perpetual ticker", "futures", `{` + s + `"action":"sell","symbol":"BINANCE:BTCUSDT.P","quantity":"0.5"}`, "",
			Alert{Action: "sell", Symbol: "BINANCE:BTCUSDT.P", Type: "market", Quantity: dec("0.5")}},
		{"native ticker with separators", "futures", `{` + s + `"action":"buy","symbol":"BTC-USDT-SWAP","quantity":"1"}`, "",
			Alert{Action: "buy", Symbol: "BTC-USDT-SWAP", Type: "market", Quantity: dec("1")}},
		{"perpetual ticker on spot", "spot", `{` + s + `"action":"buy","symbol":"BTCUSDT.P","type":"market","quantity":"1"}`, CodeInvalidField, Alert{}},
		{"lower-case ticker", "spot", `{` + s + `"action":"buy","symbol":"btcusdt","type":"market","quantity":"1"}`, CodeInvalidField, Alert{}},
		{"ticker with a space", "spot", `{` + s + `"action":"buy","symbol":"BTC USDT","type":"market","quantity":"1"}`, CodeInvalidField, Alert{}},
		{"ticker too long", "spot", `{` + s + `"action":"buy","symbol":"` + strings.Repeat("A", 65) + `","type":"market","quantity":"1"}`, CodeInvalidField, Alert{}},
		{"unreplaced quantity placeholder", "futures", `{` + s + `"action":"buy","symbol":"BTCUSDT","quantity":"{{strategy.order.contracts}}"}`, CodeInvalidField, Alert{}},
		{"unreplaced action placeholder", "futures", `{` + s + `"action":"{{strategy.order.action}}","symbol":"BTCUSDT","quantity":"1"}`, CodeInvalidField, Alert{}},
		{"lower-case symbol", "spot", `{` + s + `"action":"buy","symbol":"btc/usdt","type":"market","quantity":"1"}`, CodeInvalidField, Alert{}},
		{"futures symbol on spot", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT:USDT","type":"market","quantity":"1"}`, CodeInvalidField, Alert{}},
		{"spot symbol on futures", "futures", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"market","quantity":"1"}`, CodeInvalidField, Alert{}},
		{"missing type is market", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","quantity":"1"}`, "",
			Alert{Action: "buy", Symbol: "BTC/USDT", Type: "market", Quantity: dec("1")}},
		{"empty type is market", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"","quantity":"1"}`, "",
			Alert{Action: "buy", Symbol: "BTC/USDT", Type: "market", Quantity: dec("1")}},
		{"a price without type is refused, not a limit", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","quantity":"1","price":"5"}`, CodeInvalidField, Alert{}},
		{"bad type", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"stop","quantity":"1"}`, CodeInvalidField, Alert{}},
		{"no amount", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"market"}`, CodeMissingField, Alert{}},
		{"both amounts", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"market","quantity":"1","quote_quantity":"5"}`, CodeInvalidField, Alert{}},
		{"limit without price", "futures", `{` + s + `"action":"buy","symbol":"BTC/USDT:USDT","type":"limit","quantity":"1"}`, CodeMissingField, Alert{}},
		{"market with price", "futures", `{` + s + `"action":"buy","symbol":"BTC/USDT:USDT","type":"market","quantity":"1","price":"5"}`, CodeInvalidField, Alert{}},
		{"quote on futures", "futures", `{` + s + `"action":"buy","symbol":"BTC/USDT:USDT","type":"market","quote_quantity":"5"}`, CodeInvalidField, Alert{}},
		{"quote on a limit", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"limit","quote_quantity":"5","price":"1"}`, CodeInvalidField, Alert{}},
		{"quote on a sell", "spot", `{` + s + `"action":"sell","symbol":"BTC/USDT","type":"market","quote_quantity":"5"}`, CodeInvalidField, Alert{}},
		{"reduce_only on spot", "spot", `{` + s + `"action":"sell","symbol":"BTC/USDT","type":"market","quantity":"1","reduce_only":true}`, CodeInvalidField, Alert{}},
		{"zero quantity", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"market","quantity":"0"}`, CodeInvalidField, Alert{}},
		{"negative quantity", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"market","quantity":"-1"}`, CodeInvalidField, Alert{}},
		{"exponent", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"market","quantity":"1e3"}`, CodeInvalidField, Alert{}},
		{"exponent as a number", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"market","quantity":1e3}`, CodeInvalidField, Alert{}},
		{"comma decimal", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"market","quantity":"0,5"}`, CodeInvalidField, Alert{}},
		{"bool amount", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"market","quantity":true}`, CodeInvalidField, Alert{}},
		{"too many digits", "spot", `{` + s + `"action":"buy","symbol":"BTC/USDT","type":"market","quantity":"0.` + strings.Repeat("1", 31) + `"}`, CodeInvalidField, Alert{}},
		{"close with quantity", "futures", `{` + s + `"action":"close","symbol":"BTC/USDT:USDT","quantity":"1"}`, CodeInvalidField, Alert{}},
		{"close as limit", "futures", `{` + s + `"action":"close","symbol":"BTC/USDT:USDT","type":"limit"}`, CodeInvalidField, Alert{}},
		{"close not reduce-only", "futures", `{` + s + `"action":"close","symbol":"BTC/USDT:USDT","reduce_only":false}`, CodeInvalidField, Alert{}},
		{"empty alert id", "spot", `{` + s + `"action":"close","symbol":"BTC/USDT","alert_id":""}`, CodeInvalidField, Alert{}},
		{"alert id with space", "spot", `{` + s + `"action":"close","symbol":"BTC/USDT","alert_id":"a b"}`, CodeInvalidField, Alert{}},
		{"alert id too long", "spot", `{` + s + `"action":"close","symbol":"BTC/USDT","alert_id":"` + strings.Repeat("a", 65) + `"}`, CodeInvalidField, Alert{}},
		{"alert id not a string", "spot", `{` + s + `"action":"close","symbol":"BTC/USDT","alert_id":7}`, CodeInvalidField, Alert{}},
		{"reduce_only not a bool", "futures", `{` + s + `"action":"close","symbol":"BTC/USDT:USDT","reduce_only":"true"}`, CodeInvalidField, Alert{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ParseAlert([]byte(tt.body), tt.market)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if !alertsEqual(a, tt.want) {
					t.Fatalf("got %+v\nwant %+v", a, tt.want)
				}
				return
			}
			var rej *Rejection
			if !errors.As(err, &rej) || rej.Code != tt.code || !rej.Invalid || rej.Message == "" {
				t.Fatalf("got %#v, want code %s", err, tt.code)
			}
		})
	}
}

// A rejected alert still yields its alert id, so the rejection claims it.
func TestParseAlertKeepsAlertIDOfARejectedAlert(t *testing.T) {
	a, err := ParseAlert([]byte(`{"secret":"x","action":"buy","symbol":"BTC/USDT","type":"market","alert_id":"A1"}`), "spot")
	if err == nil || a.AlertID != "A1" {
		t.Fatalf("alert %+v, err %v", a, err)
	}
}

func TestPeekSecret(t *testing.T) {
	tests := []struct {
		body   string
		secret string
		bad    bool
	}{
		{`{"secret":"abc","action":"whatever","extra":1}`, "abc", false},
		{`{"secret":7}`, "", false},
		{`{"action":"buy"}`, "", false},
		{` {"secret":"a\u0062c"} `, "abc", false},
		{`{"secret":"abc"`, "", true},
		{`"abc"`, "", true},
		{``, "", true},
	}
	for _, tt := range tests {
		got, err := peekSecret([]byte(tt.body))
		if got != tt.secret || (err != nil) != tt.bad {
			t.Errorf("%s: %q %v", tt.body, got, err)
		}
	}
}

var clientIDShape = regexp.MustCompile(`^[a-z0-9]{32}$`)

func TestClientOrderID(t *testing.T) {
	a := ClientOrderID("01WEBHOOK00000000000000000", "alert-1", "01DELIVERYA")
	if a != ClientOrderID("01WEBHOOK00000000000000000", "alert-1", "01DELIVERYB") {
		t.Fatal("the same alert id gives different ids")
	}
	for _, other := range []string{
		ClientOrderID("01WEBHOOK00000000000000001", "alert-1", "01DELIVERYA"),
		ClientOrderID("01WEBHOOK00000000000000000", "alert-2", "01DELIVERYA"),
		ClientOrderID("01WEBHOOK00000000000000000", "", "01DELIVERYA"),
	} {
		if other == a {
			t.Fatal("different inputs give one id")
		}
	}
	if ClientOrderID("W", "", "D1") == ClientOrderID("W", "", "D2") {
		t.Fatal("alerts without id share a client order id")
	}
	if !clientIDShape.MatchString(a) {
		t.Fatalf("%q does not fit every exchange", a)
	}
}

func alertsEqual(a, b Alert) bool {
	return a.Action == b.Action && a.Symbol == b.Symbol && a.Type == b.Type && a.ReduceOnly == b.ReduceOnly &&
		a.AlertID == b.AlertID && a.Quantity.Equal(b.Quantity) && a.QuoteQuantity.Equal(b.QuoteQuantity) &&
		a.Price.Equal(b.Price) && a.Quantity.String() == b.Quantity.String()
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }
